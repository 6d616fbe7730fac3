"""The database side of an import: existing ids, import runs, staged rows and the swap."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import Table, and_, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from directory_import.summary import ImportSummary
from referral_hub.db.base import core_table
from referral_hub.db.types import utcnow
from referral_hub.directory.models import (
    RECORD_MODELS,
    DirectorySource,
    ImportRun,
    ImportStagedRecord,
    ServiceCategory,
)

# A run whose heartbeat is older than this has lost its process (every batch touches it).
ABANDONED_AFTER = timedelta(minutes=2)
# SQLite allows 32766 bound parameters per statement; stay well below for IN (...) lists.
MAX_IN = 900

_decoder = msgspec.msgpack.Decoder(dict[str, Any])
_encoder = msgspec.msgpack.Encoder()

ProgressFn = Callable[[str, int, int | None], None]


def table_of(kind: str) -> Table:
    return core_table(RECORD_MODELS[kind])


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _converters(kind: str) -> dict[str, Callable[[Any], Any]]:
    """How to turn each JSON payload value into what the column takes."""
    table = table_of(kind)
    out: dict[str, Callable[[Any], Any]] = {}
    for column in table.columns:
        type_name = type(column.type).__name__
        if type_name == "Uuid":
            out[column.name] = lambda v: None if v is None else uuid.UUID(v)
        elif type_name == "UTCDateTime":
            out[column.name] = _to_datetime
        else:
            out[column.name] = lambda v: v
    return out


def _to_datetime(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


_CONVERTERS: dict[str, dict[str, Callable[[Any], Any]]] = {}
_BOOKKEEPING = frozenset(
    {
        "id",
        "network_id",
        "source_id",
        "source_record_id",
        "active",
        "content_hash",
        "last_run_id",
        "created_at",
        "updated_at",
    }
)


def encode_payload(fields: dict[str, Any]) -> bytes:
    return _encoder.encode(fields)


class ExistingRecord(msgspec.Struct, array_like=True, gc=False):
    id: uuid.UUID
    content_hash: str
    active: bool


async def get_or_create_source(
    conn: AsyncConnection, network_id: uuid.UUID, name: str, format_name: str, *, create: bool
) -> uuid.UUID | None:
    table = core_table(DirectorySource)
    found = (
        await conn.execute(
            select(table.c.id).where(and_(table.c.network_id == network_id, table.c.name == name))
        )
    ).scalar_one_or_none()
    if found is not None or not create:
        return found
    new_id = uuid.uuid4()
    await conn.execute(
        insert(table).values(
            id=new_id, network_id=network_id, name=name, format=format_name, created_at=utcnow()
        )
    )
    return new_id


async def load_existing(conn: AsyncConnection, source_id: uuid.UUID, kind: str) -> dict[str, ExistingRecord]:
    table = table_of(kind)
    result = await conn.stream(
        select(table.c.source_record_id, table.c.id, table.c.content_hash, table.c.active).where(
            table.c.source_id == source_id
        )
    )
    existing: dict[str, ExistingRecord] = {}
    async for source_record_id, record_id, content_hash, active in result:
        existing[source_record_id] = ExistingRecord(record_id, content_hash, bool(active))
    return existing


async def load_service_categories(
    conn: AsyncConnection, source_id: uuid.UUID
) -> dict[uuid.UUID, frozenset[str]]:
    services = table_of("service")
    categories = core_table(ServiceCategory)
    rows = await conn.execute(
        select(categories.c.service_id, categories.c.category_code)
        .join(services, services.c.id == categories.c.service_id)
        .where(services.c.source_id == source_id)
    )
    collected: dict[uuid.UUID, set[str]] = defaultdict(set)
    for service_id, code in rows:
        collected[service_id].add(code)
    return {key: frozenset(value) for key, value in collected.items()}


async def taken_ids(
    conn: AsyncConnection, kind: str, candidates: Iterable[uuid.UUID], source_id: uuid.UUID | None
) -> set[uuid.UUID]:
    """The candidate UUIDs that rows of another source already use as their id."""
    table = table_of(kind)
    taken: set[uuid.UUID] = set()
    for chunk in _chunks(list(candidates), MAX_IN):
        query = select(table.c.id).where(table.c.id.in_(chunk))
        if source_id is not None:
            query = query.where(table.c.source_id != source_id)
        taken.update((await conn.execute(query)).scalars())
    return taken


async def start_run(
    engine: AsyncEngine, network_id: uuid.UUID, source_id: uuid.UUID, format_name: str
) -> uuid.UUID:
    runs = core_table(ImportRun)
    async with engine.begin() as conn:
        busy = (
            await conn.execute(
                select(runs.c.id).where(
                    runs.c.source_id == source_id,
                    runs.c.status.in_(("staging", "swapping")),
                    runs.c.heartbeat_at > utcnow() - ABANDONED_AFTER,
                )
            )
        ).scalar_one_or_none()
        if busy is not None:
            raise ImportBusy(f"another import of this source is running (run {busy}); try again when it ends")
        run_id = uuid.uuid4()
        now = utcnow()
        await conn.execute(
            insert(runs).values(
                id=run_id,
                network_id=network_id,
                source_id=source_id,
                format=format_name,
                status="staging",
                dry_run=False,
                started_at=now,
                heartbeat_at=now,
            )
        )
    return run_id


class ImportBusy(RuntimeError):
    """Another process is importing the same source right now."""


async def stage(engine: AsyncEngine, run_id: uuid.UUID, rows: list[dict[str, Any]]) -> None:
    """Write one batch of staged rows in its own short transaction."""
    if not rows:
        return
    async with engine.begin() as conn:
        await conn.execute(insert(core_table(ImportStagedRecord)), rows)
        await _heartbeat(conn, run_id)


async def _heartbeat(conn: AsyncConnection, run_id: uuid.UUID, **values: Any) -> None:
    runs = core_table(ImportRun)
    await conn.execute(update(runs).where(runs.c.id == run_id).values(heartbeat_at=utcnow(), **values))


async def abort_run(engine: AsyncEngine, run_id: uuid.UUID, status: str, error: str | None) -> None:
    """Drop what was staged; the directory never saw any of it."""
    async with engine.begin() as conn:
        await conn.execute(
            delete(core_table(ImportStagedRecord)).where(core_table(ImportStagedRecord).c.run_id == run_id)
        )
        await _heartbeat(conn, run_id, status=status, error=error, finished_at=utcnow())


async def begin_swap(engine: AsyncEngine, run_id: uuid.UUID, summary: ImportSummary) -> None:
    async with engine.begin() as conn:
        await _heartbeat(conn, run_id, status="swapping", summary=msgspec.to_builtins(summary))


def _upsert(conn: AsyncConnection, table: Table) -> Any:
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    statement = dialect.insert(table)
    updatable = [c.name for c in table.columns if c.name not in ("id", "created_at")]
    return statement.on_conflict_do_update(
        index_elements=[table.c.id], set_={name: statement.excluded[name] for name in updatable}
    )


async def swap(
    engine: AsyncEngine, run_id: uuid.UUID, *, batch_size: int, progress: ProgressFn | None = None
) -> None:
    """Apply the staged rows in short transactions, keeping what each one replaced.

    Any failure or interruption rolls the applied rows back before it propagates, so the directory
    ends either fully imported or as it was.
    """
    staged = core_table(ImportStagedRecord)
    runs = core_table(ImportRun)
    async with engine.connect() as conn:
        run = (await conn.execute(select(runs).where(runs.c.id == run_id))).one()
        total = (await conn.execute(select(func.count()).where(staged.c.run_id == run_id))).scalar_one()
    done = 0
    try:
        while True:
            async with engine.begin() as conn:
                rows = (
                    await conn.execute(
                        select(
                            staged.c.seq, staged.c.kind, staged.c.record_id, staged.c.action, staged.c.payload
                        )
                        .where(staged.c.run_id == run_id, staged.c.applied.is_(False))
                        .order_by(staged.c.seq)
                        .limit(batch_size)
                    )
                ).all()
                if not rows:
                    break
                await _apply(conn, run, rows)
                await _heartbeat(conn, run_id)
            done += len(rows)
            if progress is not None:
                progress("swap", done, total)
    except BaseException as exc:
        status = "failed" if isinstance(exc, Exception) else "aborted"
        await asyncio.shield(rollback(engine, run_id, status=status, error=type(exc).__name__))
        raise
    async with engine.begin() as conn:
        now = utcnow()
        await _heartbeat(conn, run_id, status="completed", finished_at=now)
        sources = core_table(DirectorySource)
        await conn.execute(update(sources).where(sources.c.id == run.source_id).values(last_imported_at=now))
    await _clear_stage(engine, run_id, batch_size)


async def _clear_stage(engine: AsyncEngine, run_id: uuid.UUID, batch_size: int) -> None:
    staged = core_table(ImportStagedRecord)
    while True:
        async with engine.begin() as conn:
            last = (
                await conn.execute(
                    select(staged.c.seq)
                    .where(staged.c.run_id == run_id)
                    .order_by(staged.c.seq)
                    .offset(batch_size * 5)
                    .limit(1)
                )
            ).scalar_one_or_none()
            condition = staged.c.run_id == run_id
            if last is not None:
                condition = and_(condition, staged.c.seq < last)
            await conn.execute(delete(staged).where(condition))
        if last is None:
            return


async def rollback(engine: AsyncEngine, run_id: uuid.UUID, *, status: str, error: str | None) -> None:
    """Undo every applied row of a run, newest first, in short transactions; resumable."""
    staged = core_table(ImportStagedRecord)
    async with engine.begin() as conn:
        await _heartbeat(conn, run_id, status="rolling_back")
    while True:
        async with engine.begin() as conn:
            rows = (
                await conn.execute(
                    select(staged.c.seq, staged.c.kind, staged.c.record_id, staged.c.action, staged.c.undo)
                    .where(staged.c.run_id == run_id, staged.c.applied.is_(True))
                    .order_by(staged.c.seq.desc())
                    .limit(2000)
                )
            ).all()
            if not rows:
                break
            await _undo(conn, rows)
            await conn.execute(
                update(staged)
                .where(staged.c.run_id == run_id, staged.c.seq.in_([r.seq for r in rows]))
                .values(applied=False, undo=None)
            )
            await _heartbeat(conn, run_id)
    await abort_run(engine, run_id, status, error)


_snapshot_encoder = msgspec.msgpack.Encoder()


async def _apply(conn: AsyncConnection, run: Any, rows: Sequence[Any]) -> None:
    now = utcnow()
    upserts: dict[str, list[dict[str, Any]]] = defaultdict(list)
    deactivate: dict[str, list[uuid.UUID]] = defaultdict(list)
    categories: list[tuple[uuid.UUID, list[str]]] = []
    for row in rows:
        if row.action in ("create", "update"):
            upserts[row.kind].append(_row_values(row, run, now))
        elif row.action == "deactivate":
            deactivate[row.kind].append(row.record_id)
        elif row.action == "categories":
            categories.append((row.record_id, msgspec.msgpack.decode(row.payload, type=list[str])))
    undo = await _snapshots(conn, rows)
    staged = core_table(ImportStagedRecord)
    await conn.execute(
        update(staged)
        .where(staged.c.run_id == run.id, staged.c.seq == bindparam("b_seq"))
        .values(applied=True, undo=bindparam("b_undo")),
        [{"b_seq": row.seq, "b_undo": undo.get(row.seq)} for row in rows],
    )
    for kind, values in upserts.items():
        await conn.execute(_upsert(conn, table_of(kind)), values)
    for kind, ids in deactivate.items():
        table = table_of(kind)
        for chunk in _chunks(ids, MAX_IN):
            await conn.execute(
                update(table)
                .where(table.c.id.in_(chunk))
                .values(active=False, updated_at=now, last_run_id=run.id)
            )
    if categories:
        await _replace_categories(conn, categories)


async def _replace_categories(conn: AsyncConnection, categories: list[tuple[uuid.UUID, list[str]]]) -> None:
    table = core_table(ServiceCategory)
    for chunk in _chunks([service_id for service_id, _ in categories], MAX_IN):
        await conn.execute(delete(table).where(table.c.service_id.in_(chunk)))
    values = [{"service_id": sid, "category_code": code} for sid, codes in categories for code in codes]
    if values:
        await conn.execute(insert(table), values)


async def _snapshots(conn: AsyncConnection, rows: Sequence[Any]) -> dict[int, bytes]:
    """What each staged row is about to replace: the whole previous row, or the previous categories."""
    by_kind: dict[str, dict[uuid.UUID, list[int]]] = defaultdict(lambda: defaultdict(list))
    category_rows: dict[uuid.UUID, list[int]] = defaultdict(list)
    for row in rows:
        if row.action == "categories":
            category_rows[row.record_id].append(row.seq)
        else:
            by_kind[row.kind][row.record_id].append(row.seq)
    out: dict[int, bytes] = {}
    for kind, ids in by_kind.items():
        table = table_of(kind)
        for chunk in _chunks(list(ids), MAX_IN):
            for previous in (await conn.execute(select(table).where(table.c.id.in_(chunk)))).mappings():
                encoded = _snapshot_encoder.encode({k: _plain(v) for k, v in previous.items()})
                for seq in ids[previous["id"]]:
                    out[seq] = encoded
    if category_rows:
        table = core_table(ServiceCategory)
        found: dict[uuid.UUID, list[str]] = defaultdict(list)
        for chunk in _chunks(list(category_rows), MAX_IN):
            result = await conn.execute(
                select(table.c.service_id, table.c.category_code).where(table.c.service_id.in_(chunk))
            )
            for service_id, code in result:
                found[service_id].append(code)
        for service_id, seqs in category_rows.items():
            for seq in seqs:
                out[seq] = _snapshot_encoder.encode(sorted(found.get(service_id, [])))
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


async def _undo(conn: AsyncConnection, rows: Sequence[Any]) -> None:
    for row in rows:  # newest first, so the oldest snapshot of a record is restored last
        if row.action == "categories":
            codes = msgspec.msgpack.decode(row.undo, type=list[str]) if row.undo else []
            await _replace_categories(conn, [(row.record_id, codes)])
            continue
        table = table_of(row.kind)
        if row.undo is None:
            await conn.execute(delete(table).where(table.c.id == row.record_id))
            continue
        converters = _converters_for(row.kind)
        previous = _decoder.decode(row.undo)
        values = {
            name: converters[name](value) if name in converters else value for name, value in previous.items()
        }
        await conn.execute(_upsert(conn, table).values(values))


def _converters_for(kind: str) -> dict[str, Callable[[Any], Any]]:
    converters = _CONVERTERS.get(kind)
    if converters is None:
        converters = _CONVERTERS[kind] = _converters(kind)
    return converters


def _row_values(row: Any, run: Any, now: datetime) -> dict[str, Any]:
    kind: str = row.kind
    converters = _converters_for(kind)
    payload = _decoder.decode(row.payload)
    values: dict[str, Any] = dict.fromkeys(converters)
    for name, value in payload.items():
        convert = converters.get(name)
        if convert is not None and name not in _BOOKKEEPING:
            values[name] = convert(value)
    meta = payload["_meta"]
    values.update(
        id=row.record_id,
        network_id=run.network_id,
        source_id=run.source_id,
        source_record_id=meta["source_record_id"],
        content_hash=meta["content_hash"],
        active=True,
        last_run_id=run.id,
        created_at=now,
        updated_at=now,
    )
    return values


async def recover_interrupted(engine: AsyncEngine) -> list[uuid.UUID]:
    """Undo what a dead process left half done: its staged rows, or its half-applied swap."""
    runs = core_table(ImportRun)
    async with engine.connect() as conn:
        stale = (
            await conn.execute(
                select(runs.c.id, runs.c.status).where(
                    runs.c.status.in_(("staging", "swapping", "rolling_back")),
                    runs.c.heartbeat_at <= utcnow() - ABANDONED_AFTER,
                )
            )
        ).all()
    reason = "the importing process stopped before the import ended"
    for run_id, status in stale:
        if status == "staging":
            await abort_run(engine, run_id, "aborted", reason)
        else:
            await rollback(engine, run_id, status="aborted", error=reason)
    return [run_id for run_id, _ in stale]
