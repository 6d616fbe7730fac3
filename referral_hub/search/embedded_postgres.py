"""The embedded search backend on PostgreSQL: a weighted tsvector, a trigram typo fallback, exact distance."""

# The SQL is composed from fixed fragments; every value a caller sends is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from referral_hub.geo.distance import EARTH_RADIUS_KM, bounding_box
from referral_hub.search.documents import SQL_OPEN_FOR_SERVICE
from referral_hub.search.embedded import EmbeddedIndex, document_decoder
from referral_hub.search.hits import hit
from referral_hub.search.hours import current_slot
from referral_hub.search.model import MAX_WORDS, BackendResult, Facets, SearchDocument, SearchQuery

# The text search configuration the migration creates: english stemming, unaccent, no stop words.
CONFIG = "search_english"
# Words are cut to MAX_WORDS; "e-mail/fax" still splits into more tokens, and so does a pasted URL.
MAX_TOKENS = 2 * MAX_WORDS
# Points per token by the best field it matches in (tsvector weights A, B, C): name > terms > description.
FIELD_POINTS = (("A", 4), ("B", 2), ("C", 1))
# The typo fallback: vocabulary words at least this similar (pg_trgm's similarity, 0..1) to a typed
# token replace it, the best few of them. 0.3 is pg_trgm's default; "pantyr" ~ "pantry" is 0.4.
SIMILARITY_THRESHOLD = 0.3
MAX_CORRECTIONS = 3
MIN_TYPO_LENGTH = 3
MAX_VOCABULARY_LENGTH = 64
# Plain letters and digits: nothing of the tsquery syntax (& | ! ( ) : * < > ') survives.
_TOKEN = re.compile(r"[^\W_]+")


def tokens(words: Sequence[str]) -> list[str]:
    """The searchable tokens of the query's words, at most MAX_TOKENS of them."""
    return [token for word in words for token in _TOKEN.findall(word)][:MAX_TOKENS]


@dataclass(frozen=True)
class Alternative:
    """A word that one typed token may stand for, and how much a match on it counts."""

    word: str  # letters and digits only
    weight: float = 1.0
    prefix: bool = False

    def lexeme(self, weights: str = "") -> str:
        return f"{self.word}:{'*' if self.prefix else ''}{weights}" if self.prefix or weights else self.word


def tsquery_text(groups: Sequence[Sequence[Alternative]]) -> str:
    """to_tsquery input: every group must match (AND), any alternative of a group (OR)."""
    return " & ".join("(" + " | ".join(a.lexeme() for a in group) + ")" for group in groups)


def exact_groups(query_tokens: Sequence[str]) -> list[list[Alternative]]:
    """Every token as typed; the last one also as a prefix ("pant" finds "pantry")."""
    last = len(query_tokens) - 1
    return [[Alternative(token, prefix=i == last)] for i, token in enumerate(query_tokens)]


def vocabulary(documents: Sequence[SearchDocument]) -> list[str]:
    """The words of names and terms worth correcting a typo to (lower case; unaccented in SQL)."""
    words: set[str] = set()
    for document in documents:
        for part in (document.service_name, *document.taxonomy_terms, *document.categories):
            words.update(
                token.lower()
                for token in _TOKEN.findall(part)
                if MIN_TYPO_LENGTH <= len(token) <= MAX_VOCABULARY_LENGTH and not token.isdigit()
            )
    return sorted(words)


Binder = Callable[[Any], str]


def relevance_expression(groups: Sequence[Sequence[Alternative]], bind: Binder) -> str:
    """SQL for a document's relevance to the groups of a tsquery (see tsquery_text).

    Per token, the points of the best field any of its alternatives matches in, times its weight; as
    many again when the tokens stand together in that order in one field. The phrase keeps "Help Pay
    for Housing" (a taxonomy term) above a name that merely has "for" in it.
    """

    def points(tsquery: str, value: float) -> str:
        # The cast matters: an untyped parameter beside ELSE 0 would be taken as an integer.
        return (
            f"WHEN d.search_vector @@ to_tsquery('{CONFIG}', {bind(tsquery)}) "
            f"THEN CAST({bind(value)} AS float8)"
        )

    terms = []
    for group in groups:
        options = [
            "CASE "
            + " ".join(points(a.lexeme(label), value * a.weight) for label, value in FIELD_POINTS)
            + " ELSE 0 END"
            for a in group
        ]
        terms.append(f"greatest({', '.join(options)})")
    if len(groups) > 1:
        phrase = [
            points(
                " <-> ".join("(" + " | ".join(a.lexeme(label) for a in group) + ")" for group in groups),
                value * len(groups),
            )
            for label, value in FIELD_POINTS
        ]
        terms.append(f"CASE {' '.join(phrase)} ELSE 0 END")
    return "(" + " + ".join(terms) + ")"


class _Statement:
    """Bound parameters with generated names, so that fragments can be composed freely."""

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}

    def bind(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"


class PostgresSearchIndex(EmbeddedIndex):
    """Search over search_documents with its generated, weighted tsvector (see the 0002 migration)."""

    async def _write_extra(self, conn: AsyncConnection, rows: list[tuple[int, SearchDocument]]) -> None:
        documents = [document for _, document in rows]
        # Sorted inserts: concurrent writers take the same words' index locks in the same order.
        zones = sorted({d.time_zone for d in documents if d.time_zone})
        if zones:
            await conn.execute(
                text(
                    "INSERT INTO search_pg_time_zones (time_zone) "
                    "SELECT z FROM unnest(CAST(:zones AS text[])) AS z ORDER BY z ON CONFLICT DO NOTHING"
                ),
                {"zones": zones},
            )
        words = vocabulary(documents)
        if words:
            await conn.execute(
                text(
                    "INSERT INTO search_pg_words (word) "
                    "SELECT DISTINCT lower(unaccent(w)) FROM unnest(CAST(:words AS text[])) AS w "
                    "ORDER BY 1 ON CONFLICT DO NOTHING"
                ),
                {"words": words},
            )

    async def search(self, query: SearchQuery) -> BackendResult:
        query_tokens = tokens(query.words)
        async with self.engine.connect() as conn:
            # Custom plans: a generic plan cannot see how selective this query's words and place are.
            await conn.execute(
                text(
                    "SELECT set_config('plan_cache_mode', 'force_custom_plan', true), "
                    "set_config('pg_trgm.similarity_threshold', :threshold, true)"
                ),
                {"threshold": str(SIMILARITY_THRESHOLD)},
            )
            if not query_tokens:
                return await self._search(conn, query, None, marks=())
            result = await self._search(conn, query, exact_groups(query_tokens), marks=query.words)
            if result.total > 0:
                return result
            groups = await self._corrections(conn, query_tokens)
            if not groups:
                return result
            marks = [alternative.word for group in groups for alternative in group]
            corrected = await self._search(conn, query, groups, marks=marks)
            return corrected if corrected.total > 0 else result

    async def _corrections(
        self, conn: AsyncConnection, query_tokens: Sequence[str]
    ) -> list[list[Alternative]]:
        """Each token of 3+ characters with the vocabulary words most like it; tokens like none are left out.

        The typed token stays an alternative (a word only descriptions have is no typo), and the last
        one keeps its prefix match.
        """
        typed = [(i, t) for i, t in enumerate(query_tokens) if len(t) >= MIN_TYPO_LENGTH]
        if not typed:
            return []
        rows = await conn.execute(
            text(
                "SELECT t.position, c.word, c.similarity "
                "FROM unnest(CAST(:tokens AS text[])) WITH ORDINALITY AS t(token, position) "
                "CROSS JOIN LATERAL ("
                "  SELECT w.word, similarity(w.word, lower(unaccent(t.token))) AS similarity "
                "  FROM search_pg_words w WHERE w.word % lower(unaccent(t.token)) "
                "  ORDER BY similarity DESC, w.word LIMIT :limit"
                ") AS c"
            ),
            {"tokens": [t for _, t in typed], "limit": MAX_CORRECTIONS},
        )
        found: dict[int, list[Alternative]] = {}
        for position, word, similarity in rows.tuples():
            # unaccent() may spell a letter with punctuation; such a word cannot go into a tsquery.
            if _TOKEN.fullmatch(word):
                found.setdefault(int(position) - 1, []).append(Alternative(word, weight=float(similarity)))
        last = len(query_tokens) - 1
        groups: list[list[Alternative]] = []
        for index, (token_index, token) in enumerate(typed):
            if index not in found:
                continue
            corrections = [a for a in found[index] if a.word != token.lower()]
            groups.append([Alternative(token, prefix=token_index == last), *corrections])
        return groups

    async def _search(
        self,
        conn: AsyncConnection,
        query: SearchQuery,
        groups: list[list[Alternative]] | None,
        *,
        marks: Sequence[str],
    ) -> BackendResult:
        """One page, the total and the facets; `marks` are the words the snippets highlight."""
        statement = _Statement()
        bind = statement.bind
        where = [
            f"d.network_id = {bind(query.network_id)}",
            # The live directory has the last word on what is active, whatever the index still holds.
            "(d.service_at_location_id IS NULL OR (sal.active AND l.active))",
        ]
        relevance = rank = distance = "NULL::float8"
        if groups is not None:
            match = f"to_tsquery('{CONFIG}', {bind(tsquery_text(groups))})"
            where.append(f"d.search_vector @@ {match}")
            relevance = relevance_expression(groups, bind)
            rank = f"ts_rank(d.search_vector, {match})"
        if query.near is not None:
            latitude, longitude = query.near.latitude, query.near.longitude
            min_lat, max_lat, min_lng, max_lng = bounding_box(latitude, longitude, query.radius_km)
            # The ix_search_documents_lat_lng prefilter, then great_circle_km's haversine, term for term.
            where.append(
                f"d.latitude BETWEEN {bind(min_lat)} AND {bind(max_lat)} "
                f"AND d.longitude BETWEEN {bind(min_lng)} AND {bind(max_lng)}"
            )
            lat, lng = f"CAST({bind(latitude)} AS float8)", f"CAST({bind(longitude)} AS float8)"
            distance = (
                f"(2 * CAST({bind(EARTH_RADIUS_KM)} AS float8) * asin(sqrt(least(1.0, greatest(0.0, "
                f"power(sin((radians(d.latitude) - radians({lat})) / 2), 2) + cos(radians({lat})) "
                f"* cos(radians(d.latitude)) * power(sin(radians(d.longitude - {lng}) / 2), 2))))))"
            )
            where.append(f"{distance} <= {bind(query.radius_km)}")
        if query.accepting_referrals:
            where.append("d.accepting_referrals")
        if query.taxonomy_term_id is not None:
            where.append(self._has_value("term", [str(query.taxonomy_term_id)], bind))
        if query.open_now:
            where.append(await self._open_now(conn, query, bind))
        category_ok = self._has_value("category", query.categories, bind) if query.categories else "true"
        language_ok = self._has_value("language", query.languages, bind) if query.languages else "true"
        if groups is not None:
            near = "distance, " if query.near is not None else ""
            order = f"relevance DESC, {near}rank DESC, sort_id"
        elif query.near is not None:
            order = "distance, sort_id"
        else:
            order = "sort_name, sort_id"
        # One round trip: the filtered documents are found once; the page, the total and both facets
        # (each over every filter but its own) are read from them.
        sql = f"""
            WITH base AS MATERIALIZED (
                SELECT d.doc_key, d.id COLLATE "C" AS sort_id, lower(d.name) COLLATE "C" AS sort_name,
                       {relevance} AS relevance, {rank} AS rank, {distance} AS distance,
                       {category_ok} AS category_ok, {language_ok} AS language_ok
                FROM search_documents d
                JOIN hsds_services s ON s.id = d.service_id AND s.active AND {SQL_OPEN_FOR_SERVICE}
                LEFT JOIN hsds_service_at_locations sal ON sal.id = d.service_at_location_id
                LEFT JOIN hsds_locations l ON l.id = sal.location_id
                WHERE {" AND ".join(where)}
            ),
            matched AS (SELECT * FROM base WHERE category_ok AND language_ok),
            page AS (
                SELECT * FROM matched ORDER BY {order}
                LIMIT {bind(query.per_page)} OFFSET {bind((query.page - 1) * query.per_page)}
            )
            SELECT 'hit' AS kind, row_number() OVER (ORDER BY {order}) AS n, d.body AS body,
                   page.distance AS distance, NULL::text AS facet, NULL::text AS value
            FROM page JOIN search_documents d ON d.doc_key = page.doc_key
            UNION ALL
            SELECT 'total', count(*), NULL::bytea, NULL::float8, NULL::text, NULL::text FROM matched
            UNION ALL
            SELECT 'facet', count(*), NULL::bytea, NULL::float8, v.facet, v.value
            FROM base JOIN search_document_values v ON v.doc_key = base.doc_key
            WHERE (v.facet = 'category' AND base.language_ok) OR (v.facet = 'language' AND base.category_ok)
            GROUP BY v.facet, v.value
        """
        hits: list[tuple[int, bytes, float | None]] = []
        total = 0
        facets: dict[str, dict[str, int]] = {"category": {}, "language": {}}
        for kind, n, body, row_distance, facet, value in (
            await conn.execute(text(sql), statement.params)
        ).tuples():
            if kind == "hit":
                hits.append((n, body, row_distance))
            elif kind == "total":
                total = n
            else:
                facets[facet][value] = n
        return BackendResult(
            hits=[
                hit(document_decoder.decode(body), distance_km=row_distance, words=marks)
                for _, body, row_distance in sorted(hits, key=lambda h: h[0])
            ],
            total=total,
            facets=Facets(
                category=dict(sorted(facets["category"].items())),
                language=dict(sorted(facets["language"].items())),
            ),
        )

    @staticmethod
    def _has_value(facet: str, values: Sequence[str], bind: Binder) -> str:
        return (
            "EXISTS (SELECT 1 FROM search_document_values v WHERE v.doc_key = d.doc_key "
            f"AND v.facet = '{facet}' AND v.value = ANY(CAST({bind(list(values))} AS text[])))"
        )

    @staticmethod
    async def _open_now(conn: AsyncConnection, query: SearchQuery, bind: Binder) -> str:
        """Open at query.at in each document's own zone; a zone Python cannot resolve is never open."""
        zones: list[str] = []
        slots: list[int] = []
        for zone in (await conn.execute(text("SELECT time_zone FROM search_pg_time_zones"))).scalars():
            slot = current_slot(query.at, zone)
            if slot is not None:
                zones.append(zone)
                slots.append(slot)
        if not zones:
            return "false"
        now = (
            f"(CAST({bind(slots)} AS int[]))"
            f"[array_position(CAST({bind(zones)} AS text[]), CAST(o.time_zone AS text))]"
        )
        return (
            "EXISTS (SELECT 1 FROM search_open_intervals o WHERE o.doc_key = d.doc_key "
            f"AND o.start_slot <= {now} AND o.end_slot > {now})"
        )
