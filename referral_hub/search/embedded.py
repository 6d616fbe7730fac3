"""The embedded search backend's shared half: keeping the index tables in step with the directory.

The dialect halves (embedded_sqlite.py, embedded_postgres.py) add the text and geo indexes and the
query. Documents are rewritten in the caller's transaction, so the index commits with the change.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import msgspec
from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from referral_hub.db.base import core_table
from referral_hub.health import ComponentHealth
from referral_hub.search.documents import all_service_ids, documents_for
from referral_hub.search.model import SearchDocument
from referral_hub.search.models import SearchDocumentRow, SearchDocumentValue, SearchOpenInterval

documents_t = core_table(SearchDocumentRow)
values_t = core_table(SearchDocumentValue)
intervals_t = core_table(SearchOpenInterval)

_encoder = msgspec.msgpack.Encoder()
document_decoder = msgspec.msgpack.Decoder(SearchDocument)


def doc_key(document_id: str) -> int:
    """The integer key of a document (FTS5 and R*Tree rows need integer ids): 63 bits of a hash of its id.

    Derived, not allocated, so writers need no sequence and a rewrite keeps the key. Hashed, because
    ids that share their first bytes are common (sequential or time-ordered UUIDs); two of 50,000
    documents collide with a probability of about 1e-10.
    """
    return int.from_bytes(hashlib.blake2b(document_id.encode(), digest_size=8).digest(), "big") >> 1


@lru_cache(maxsize=4096)
def _runs(slots: tuple[int, ...]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for slot in slots:
        if runs and runs[-1][1] == slot:
            runs[-1] = (runs[-1][0], slot + 1)
        else:
            runs.append((slot, slot + 1))
    return runs


def intervals(slots: Sequence[int]) -> list[tuple[int, int]]:
    """Sorted slots as [start, end) runs (cached: the same hours recur across a directory)."""
    return _runs(tuple(slots))


async def _insert_many(
    conn: AsyncConnection, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """executemany through the DB-API driver, in its own parameter style."""
    if not rows:
        return
    if conn.dialect.paramstyle == "qmark":
        marks = ", ".join("?" for _ in columns)
    elif conn.dialect.paramstyle in ("numeric_dollar", "numeric"):
        prefix = "$" if conn.dialect.paramstyle == "numeric_dollar" else ":"
        marks = ", ".join(f"{prefix}{i}" for i in range(1, len(columns) + 1))
    else:
        marks = ", ".join("%s" for _ in columns)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608 - fixed names
    await conn.exec_driver_sql(sql, rows)


class EmbeddedIndex:
    """Writes and deletes documents; subclasses add their dialect's text and geo rows and the query."""

    name = "embedded"

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    # -- dialect hooks ------------------------------------------------------------------------------

    async def _write_extra(self, conn: AsyncConnection, rows: list[tuple[int, SearchDocument]]) -> None:
        """Dialect rows (FTS, R*Tree) for documents just written, by doc_key."""

    async def _delete_extra(self, conn: AsyncConnection, doc_keys: list[int]) -> None:
        """Remove dialect rows of documents about to be deleted."""

    # -- shared -------------------------------------------------------------------------------------

    async def refresh_in_transaction(self, conn: AsyncConnection, service_ids: Sequence[str]) -> None:
        ids = [uuid.UUID(str(s)) for s in service_ids]
        if not ids:
            return
        await self._delete_services(conn, ids)
        await self._write(conn, await documents_for(conn, ids))

    async def refresh_after_commit(self, service_ids: Sequence[str]) -> None:
        """Nothing to do: the embedded index committed with the change."""

    async def rebuild(self) -> int:
        """Rewrite every document, a chunk of services per short transaction (search stays up)."""
        count = 0
        # The ids first, and the reading connection closed: a read held open through the rebuild keeps
        # SQLite from reusing its write-ahead log, which then grew to 2.2 GB for 50,000 services.
        async with self.engine.connect() as reader:
            chunks = [chunk async for chunk in all_service_ids(reader)]
        for chunk in chunks:
            async with self.engine.begin() as conn:
                await self._delete_services(conn, chunk)
                documents = await documents_for(conn, chunk)
                await self._write(conn, documents)
                count += len(documents)
        async with self.engine.begin() as conn:
            await self._delete_orphans(conn)
        return count

    async def _delete_services(self, conn: AsyncConnection, service_ids: list[uuid.UUID]) -> None:
        keys = list(
            (
                await conn.execute(
                    select(documents_t.c.doc_key).where(documents_t.c.service_id.in_(service_ids))
                )
            )
            .scalars()
            .all()
        )
        await self._delete_keys(conn, keys)

    async def _delete_keys(self, conn: AsyncConnection, keys: list[int]) -> None:
        if not keys:
            return
        await self._delete_extra(conn, keys)
        await conn.execute(delete(values_t).where(values_t.c.doc_key.in_(keys)))
        await conn.execute(delete(intervals_t).where(intervals_t.c.doc_key.in_(keys)))
        await conn.execute(delete(documents_t).where(documents_t.c.doc_key.in_(keys)))

    async def _delete_orphans(self, conn: AsyncConnection) -> None:
        """Documents of services that are gone or inactive (a rebuild visits active services only)."""
        keys = list(
            (
                await conn.execute(
                    text(
                        "SELECT d.doc_key FROM search_documents d LEFT JOIN hsds_services s "
                        "ON s.id = d.service_id WHERE s.id IS NULL OR NOT s.active"
                    )
                )
            )
            .scalars()
            .all()
        )
        await self._delete_keys(conn, keys)

    async def _write(self, conn: AsyncConnection, documents: list[SearchDocument]) -> None:
        """Bulk inserts through the driver: tens of thousands of rows per import, and SQLAlchemy's
        per-row parameter processing was a third of the indexing time (measured on 50,000 services)."""
        if not documents:
            return
        sqlite = conn.dialect.name == "sqlite"

        def uid(value: str | None) -> str | None:
            # The stored form of a UUID: 32 hex digits on SQLite (SQLAlchemy's Uuid), the text on PostgreSQL.
            if value is None:
                return None
            return value.replace("-", "") if sqlite else value

        keys = [doc_key(document.id) for document in documents]
        rows = [
            (
                key,
                document.id,
                uid(document.network_id),
                uid(document.service_id),
                uid(document.id) if document.location_id else None,
                document.service_name,
                " ".join(document.taxonomy_terms + document.categories),
                " ".join(p for p in (document.service_description, document.organization_name) if p),
                document.latitude,
                document.longitude,
                document.time_zone,
                document.accepting_referrals,
                _encoder.encode(document),
            )
            for key, document in zip(keys, documents, strict=True)
        ]
        await _insert_many(
            conn,
            "search_documents",
            (
                "doc_key",
                "id",
                "network_id",
                "service_id",
                "service_at_location_id",
                "name",
                "terms",
                "description",
                "latitude",
                "longitude",
                "time_zone",
                "accepting_referrals",
                "body",
            ),
            rows,
        )
        written = list(zip(keys, documents, strict=True))
        values: list[tuple[Any, ...]] = []
        opening: list[tuple[Any, ...]] = []
        for key, document in written:
            values.extend(("category", c, key) for c in document.categories)
            values.extend(("language", c, key) for c in document.languages)
            values.extend(("term", t, key) for t in document.taxonomy_term_ids)
            if document.time_zone:
                opening.extend(
                    (key, start, end, document.time_zone) for start, end in intervals(document.open_slots)
                )
        await _insert_many(conn, "search_document_values", ("facet", "value", "doc_key"), values)
        await _insert_many(
            conn, "search_open_intervals", ("doc_key", "start_slot", "end_slot", "time_zone"), opening
        )
        await self._write_extra(conn, written)

    async def health(self) -> ComponentHealth:
        return ComponentHealth(status="ok", backend=f"embedded ({self.engine.dialect.name})")

    async def close(self) -> None:
        """The engine belongs to the app."""
