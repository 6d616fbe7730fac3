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
from referral_hub.search.documents import SQL_OPEN_FOR_SERVICE
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
# Per-connection scratch tables (SQLite's temp schema takes no lock on the database).
TEMP_TEXT = "CREATE TEMP TABLE IF NOT EXISTS search_text (doc_key INTEGER PRIMARY KEY, rank REAL)"
TEMP_HITS = (
    "CREATE TEMP TABLE IF NOT EXISTS search_hits "
    "(doc_key INTEGER PRIMARY KEY, rank REAL, distance REAL, sort_name TEXT, doc_id TEXT)"
)


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
        """Candidates once into a per-connection temporary table; page, total and facets from it.

        The most selective index drives: the R*Tree box when there is a place, else the text match.
        """
        params: dict[str, Any] = {"network": query.network_id.hex}
        await conn.execute(text(TEMP_TEXT))
        await conn.execute(text(TEMP_HITS))
        await conn.execute(text("DELETE FROM temp.search_text"))
        await conn.execute(text("DELETE FROM temp.search_hits"))
        texts = match is not None or trigram is not None
        if texts:
            table, rank = ("search_fts", RANK) if match is not None else ("search_trigrams", TRIGRAM_RANK)
            await conn.execute(
                text(
                    f"INSERT INTO temp.search_text(doc_key, rank) SELECT rowid, {rank} FROM {table} "
                    f"WHERE {table} MATCH :match"
                ),
                {"match": match if match is not None else trigram},
            )
        # The live directory has the last word on what is active, whatever the index still holds.
        joins = [
            f"JOIN hsds_services s ON s.id = d.service_id AND s.active AND {SQL_OPEN_FOR_SERVICE}",
            "LEFT JOIN hsds_service_at_locations sal ON sal.id = d.service_at_location_id",
            "LEFT JOIN hsds_locations l ON l.id = sal.location_id",
        ]
        where = ["d.network_id = :network", "(d.service_at_location_id IS NULL OR (sal.active AND l.active))"]
        source = "search_documents d"
        distance = "NULL"
        if query.near is not None:
            min_lat, max_lat, min_lng, max_lng = bounding_box(
                query.near.latitude, query.near.longitude, query.radius_km
            )
            source = "search_geo g CROSS JOIN search_documents d ON d.doc_key = g.doc_key"
            where.append(
                "g.min_lat >= :min_lat AND g.max_lat <= :max_lat "
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
            where.append(f"{DISTANCE} <= :radius")
        if texts:
            if query.near is None:
                source = "temp.search_text t CROSS JOIN search_documents d ON d.doc_key = t.doc_key"
            else:
                joins.append("JOIN temp.search_text t ON t.doc_key = d.doc_key")
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
        await conn.execute(
            text(
                "INSERT INTO temp.search_hits(doc_key, rank, distance, sort_name, doc_id) "
                f"SELECT d.doc_key, {'t.rank' if texts else '0'}, {distance}, lower(d.name), d.id "
                f"FROM {source} {' '.join(joins)} WHERE {' AND '.join(where)}"
            ),
            params,
        )
        values: dict[str, Any] = {}
        category = self._facet_filter("category", query.categories, values)
        language = self._facet_filter("language", query.languages, values)
        if texts:
            order = "h.rank, " + ("h.distance, " if query.near is not None else "") + "h.doc_id"
        elif query.near is not None:
            order = "h.distance, h.doc_id"
        else:
            order = "h.sort_name, h.doc_id"
        page = await conn.execute(
            text(
                "SELECT h.distance, d.body FROM temp.search_hits h JOIN search_documents d "
                f"ON d.doc_key = h.doc_key WHERE {category} AND {language} "
                f"ORDER BY {order} LIMIT :limit OFFSET :offset"
            ),
            {**values, "limit": query.per_page, "offset": (query.page - 1) * query.per_page},
        )
        rows = page.all()
        total = (
            await conn.execute(
                text(f"SELECT count(*) FROM temp.search_hits h WHERE {category} AND {language}"), values
            )
        ).scalar_one()
        facets = Facets(
            category=await self._facet(conn, "category", language, values),
            language=await self._facet(conn, "language", category, values),
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
            f"EXISTS (SELECT 1 FROM search_document_values v WHERE v.doc_key = h.doc_key "
            f"AND v.facet = '{facet}' AND v.value IN ({', '.join(names)}))"
        )

    @staticmethod
    async def _facet(
        conn: AsyncConnection, facet: str, condition: str, values: dict[str, Any]
    ) -> dict[str, int]:
        rows = await conn.execute(
            text(
                "SELECT v.value, count(*) FROM temp.search_hits h "
                f"JOIN search_document_values v ON v.doc_key = h.doc_key AND v.facet = '{facet}' "
                f"WHERE {condition} GROUP BY v.value ORDER BY v.value"
            ),
            values,
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
