"""The embedded search backend on SQLite: FTS5 (bm25 weighted by column), an R*Tree, exact distance."""

# The SQL is composed from fixed fragments; every value a caller sends is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from referral_hub.geo.distance import bounding_box
from referral_hub.search.embedded import EmbeddedIndex, document_decoder
from referral_hub.search.hits import hit
from referral_hub.search.hours import current_slot
from referral_hub.search.model import BackendResult, Facets, SearchDocument, SearchQuery

# bm25 column weights: name, terms (taxonomy terms and need categories), description.
RANK = "bm25(search_fts, 10.0, 4.0, 1.0)"
TRIGRAM_RANK = "bm25(search_trigrams)"
DISTANCE = (
    "(6371.0088 * 2 * asin(min(1.0, sqrt("
    "pow(sin(radians(d.latitude - :lat) / 2), 2) + "
    "cos(radians(:lat)) * cos(radians(d.latitude)) * pow(sin(radians(d.longitude - :lng) / 2), 2)))))"
)
_TOKEN = re.compile(r"\w+", re.UNICODE)


def _fts_terms(words: Sequence[str]) -> list[str]:
    """Plain tokens only: FTS5 syntax in a query ("NEAR", quotes, *) is never passed through."""
    return [token for word in words for token in _TOKEN.findall(word)]


def match_expression(words: Sequence[str]) -> str | None:
    """Every word must match; the last one also as a prefix ("pant" finds "pantry")."""
    tokens = _fts_terms(words)
    if not tokens:
        return None
    quoted = [f'"{token}"' for token in tokens]
    quoted[-1] += "*"
    return " AND ".join(quoted)


def trigram_groups(words: Sequence[str]) -> list[str]:
    """One group per word of 4+ letters for the typo fallback: any two neighbouring trigrams of it.

    "pantyr" becomes (pan AND ant) OR (ant AND nty) OR (nty AND tyr): "pantry" matches, while a word
    sharing one common trigram ("ant" in "want") does not.
    """
    groups = []
    for token in _fts_terms(words):
        lowered = token.casefold()
        grams = [lowered[i : i + 3] for i in range(len(lowered) - 2)]
        pairs = sorted({f'("{a}" AND "{b}")' for a, b in itertools.pairwise(grams)})
        if pairs:
            groups.append(" OR ".join(pairs))
    return groups


def _key_lists(keys: list[int]) -> list[str]:
    """Integer keys as literal IN lists (ints only, so nothing to escape), 900 at a time."""
    return [", ".join(str(int(k)) for k in keys[i : i + 900]) for i in range(0, len(keys), 900)]


class SqliteSearchIndex(EmbeddedIndex):
    async def _write_extra(self, conn: AsyncConnection, rows: list[tuple[int, SearchDocument]]) -> None:
        # The text and coordinates are in search_documents already: index them from there.
        for keys in _key_lists([key for key, _ in rows]):
            await conn.execute(
                text(
                    "INSERT INTO search_fts(rowid, name, terms, description) "
                    "SELECT doc_key, name, terms, description FROM search_documents "
                    f"WHERE doc_key IN ({keys})"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO search_trigrams(rowid, name) "
                    f"SELECT doc_key, name FROM search_documents WHERE doc_key IN ({keys})"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO search_geo(doc_key, min_lat, max_lat, min_lng, max_lng) "
                    "SELECT doc_key, latitude, latitude, longitude, longitude FROM search_documents "
                    f"WHERE doc_key IN ({keys}) AND latitude IS NOT NULL AND longitude IS NOT NULL"
                )
            )

    async def _delete_extra(self, conn: AsyncConnection, doc_keys: list[int]) -> None:
        # External-content FTS5 tables forget a row through the 'delete' command with its old values.
        for keys in _key_lists(doc_keys):
            await conn.execute(
                text(
                    "INSERT INTO search_fts(search_fts, rowid, name, terms, description) "
                    "SELECT 'delete', doc_key, name, terms, description FROM search_documents "
                    f"WHERE doc_key IN ({keys})"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO search_trigrams(search_trigrams, rowid, name) "
                    f"SELECT 'delete', doc_key, name FROM search_documents WHERE doc_key IN ({keys})"
                )
            )
            await conn.execute(text(f"DELETE FROM search_geo WHERE doc_key IN ({keys})"))

    async def search(self, query: SearchQuery) -> BackendResult:
        async with self.engine.connect() as conn:
            words = query.words
            match = match_expression(words)
            result = await self._search(conn, query, match=match, trigram=None)
            if result.total == 0 and match is not None:
                groups = [g for g in trigram_groups(words) if await self._trigram_hits(conn, g)]
                if groups:
                    result = await self._search(
                        conn, query, match=None, trigram=" AND ".join(f"({g})" for g in groups)
                    )
            return result

    async def _trigram_hits(self, conn: AsyncConnection, group: str) -> bool:
        found = await conn.execute(
            text("SELECT 1 FROM search_trigrams WHERE search_trigrams MATCH :m LIMIT 1"), {"m": group}
        )
        return found.first() is not None

    async def _search(
        self, conn: AsyncConnection, query: SearchQuery, *, match: str | None, trigram: str | None
    ) -> BackendResult:
        params: dict[str, Any] = {"network": query.network_id.hex}
        # The most selective index drives the join (CROSS JOIN keeps SQLite from reordering it):
        # the text index when there is text, else the R*Tree when there is a place.
        source = "search_documents d"
        # The live directory has the last word on what is active, whatever the index still holds.
        joins = [
            "JOIN hsds_services s ON s.id = d.service_id AND s.active",
            "LEFT JOIN hsds_service_at_locations sal ON sal.id = d.service_at_location_id",
            "LEFT JOIN hsds_locations l ON l.id = sal.location_id",
        ]
        where = ["d.network_id = :network", "(d.service_at_location_id IS NULL OR (sal.active AND l.active))"]
        rank = "0"
        if match is not None or trigram is not None:
            table = "search_fts" if match is not None else "search_trigrams"
            source = f"{table} CROSS JOIN search_documents d ON d.doc_key = {table}.rowid"
            where.append(f"{table} MATCH :match")
            params["match"] = match if match is not None else trigram
            rank = RANK if match is not None else TRIGRAM_RANK
        distance = "NULL"
        if query.near is not None:
            min_lat, max_lat, min_lng, max_lng = bounding_box(
                query.near.latitude, query.near.longitude, query.radius_km
            )
            joins.append(
                "JOIN search_geo g ON g.doc_key = d.doc_key "
                "AND g.min_lat >= :min_lat AND g.max_lat <= :max_lat "
                "AND g.min_lng >= :min_lng AND g.max_lng <= :max_lng"
            )
            params.update(
                min_lat=min_lat,
                max_lat=max_lat,
                min_lng=min_lng,
                max_lng=max_lng,
                lat=query.near.latitude,
                lng=query.near.longitude,
                radius=query.radius_km,
            )
            distance = DISTANCE
        if query.accepting_referrals:
            where.append("d.accepting_referrals")
        if query.taxonomy_term_id is not None:
            where.append(
                "EXISTS (SELECT 1 FROM search_document_values v WHERE v.doc_key = d.doc_key "
                "AND v.facet = 'term' AND v.value = :term)"
            )
            params["term"] = str(query.taxonomy_term_id)
        if query.open_now:
            where.append(await self._open_now(conn, query, params))
        base = (
            f"SELECT d.doc_key, d.id, d.name, d.body, {rank} AS rank, {distance} AS distance "
            f"FROM {source} {' '.join(joins)} WHERE {' AND '.join(where)}"
        )
        radius = "distance <= :radius" if query.near is not None else "1"
        category = self._facet_filter("category", query.categories, params)
        language = self._facet_filter("language", query.languages, params)
        if match is not None or trigram is not None:
            order = "rank, " + ("distance, " if query.near is not None else "") + "id"
        elif query.near is not None:
            order = "distance, id"
        else:
            order = "lower(name), id"
        filtered = f"WITH base AS ({base}) SELECT * FROM base WHERE {radius} AND {category} AND {language}"
        params.update(limit=query.per_page, offset=(query.page - 1) * query.per_page)
        rows = (
            await conn.execute(text(f"{filtered} ORDER BY {order} LIMIT :limit OFFSET :offset"), params)
        ).all()
        total = (await conn.execute(text(f"SELECT count(*) FROM ({filtered})"), params)).scalar_one()
        facets = Facets(
            category=await self._facet(conn, base, "category", f"{radius} AND {language}", params),
            language=await self._facet(conn, base, "language", f"{radius} AND {category}", params),
        )
        words = query.words
        hits = [hit(document_decoder.decode(row.body), distance_km=row.distance, words=words) for row in rows]
        return BackendResult(hits=hits, total=total, facets=facets)

    @staticmethod
    def _facet_filter(facet: str, values: Sequence[str], params: dict[str, Any]) -> str:
        if not values:
            return "1"
        names = []
        for index, value in enumerate(values):
            name = f"{facet}_{index}"
            params[name] = value
            names.append(f":{name}")
        return (
            f"EXISTS (SELECT 1 FROM search_document_values v WHERE v.doc_key = base.doc_key "
            f"AND v.facet = '{facet}' AND v.value IN ({', '.join(names)}))"
        )

    @staticmethod
    async def _facet(
        conn: AsyncConnection, base: str, facet: str, condition: str, params: dict[str, Any]
    ) -> dict[str, int]:
        rows = await conn.execute(
            text(
                f"WITH base AS ({base}) SELECT v.value, count(*) FROM base "
                f"JOIN search_document_values v ON v.doc_key = base.doc_key AND v.facet = '{facet}' "
                f"WHERE {condition} GROUP BY v.value ORDER BY v.value"
            ),
            params,
        )
        return dict(rows.tuples().all())

    @staticmethod
    async def _open_now(conn: AsyncConnection, query: SearchQuery, params: dict[str, Any]) -> str:
        """Open at query.at in each document's own zone; a zone we cannot resolve is never open."""
        zones = (
            (await conn.execute(text("SELECT DISTINCT time_zone FROM search_open_intervals"))).scalars().all()
        )
        cases = []
        for index, zone in enumerate(zones):
            slot = current_slot(query.at, zone)
            if slot is None:
                continue
            params[f"zone_{index}"] = zone
            params[f"slot_{index}"] = slot
            cases.append(f"WHEN :zone_{index} THEN :slot_{index}")
        if not cases:
            return "0"
        now = f"(CASE o.time_zone {' '.join(cases)} ELSE -1 END)"
        return (
            "EXISTS (SELECT 1 FROM search_open_intervals o WHERE o.doc_key = d.doc_key "
            f"AND o.start_slot <= {now} AND o.end_slot > {now})"
        )
