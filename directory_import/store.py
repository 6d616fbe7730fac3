"""The database side of an import: existing ids, import runs, the swap and its undo log."""

from __future__ import annotations

import asyncio
import itertools
import struct
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import Table, and_, delete, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from directory_import.summary import ImportSummary
from referral_hub.db.base import core_table
from referral_hub.db.types import utcnow
from referral_hub.directory.models import (
    RECORD_MODELS,
    DirectorySource,
    ImportRun,
    ImportUndo,
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
    """What an import needs of a record the source already has.

    One per record of the source: a re-import of 504,665 records peaks at ~410 MB RSS in all
    (bench/import_bench.py), so this stays lean (array-like, untracked by the garbage collector).
    """

    id: uuid.UUID
    content_hash: str
    active: bool
    seen: bool = False


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


async def has_other_sources(conn: AsyncConnection, kind: str, source_id: uuid.UUID | None) -> bool:
    table = table_of(kind)
    query = select(table.c.id).limit(1)
    if source_id is not None:
        query = query.where(table.c.source_id != source_id)
    return (await conn.execute(query)).first() is not None


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
                    runs.c.status.in_(("staging", "swapping", "rolling_back")),
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


class StagedEntry(msgspec.Struct, array_like=True, gc=False):
    """One change waiting for the swap: create, update, deactivate, or a service's categories."""

    seq: int
    kind: str
    record_id: str
    action: str
    payload: bytes | None = None


class StageFile:
    """The staged changes of one run, in a private temporary file (they never need the database:
    a run that does not finish is rolled back, never rolled forward)."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        self._encoder = msgspec.msgpack.Encoder()
        self._decoder = msgspec.msgpack.Decoder(StagedEntry)
        self._seq = itertools.count(1)
        self.count = 0

    def add(self, kind: str, record_id: uuid.UUID, action: str, payload: bytes | None = None) -> None:
        data = self._encoder.encode(StagedEntry(next(self._seq), kind, str(record_id), action, payload))
        self._file.write(struct.pack("<I", len(data)))
        self._file.write(data)
        self.count += 1

    def batches(self, size: int) -> Iterator[list[StagedEntry]]:
        self._file.flush()
        self._file.seek(0)
        batch: list[StagedEntry] = []
        while header := self._file.read(4):
            (length,) = struct.unpack("<I", header)
            batch.append(self._decoder.decode(self._file.read(length)))
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch

    def close(self) -> None:
        self._file.close()


async def _heartbeat(conn: AsyncConnection, run_id: uuid.UUID, **values: Any) -> None:
    runs = core_table(ImportRun)
    await conn.execute(update(runs).where(runs.c.id == run_id).values(heartbeat_at=utcnow(), **values))


async def touch_run(engine: AsyncEngine, run_id: uuid.UUID) -> None:
    async with engine.begin() as conn:
        await _heartbeat(conn, run_id)


async def end_run(engine: AsyncEngine, run_id: uuid.UUID, status: str, error: str | None) -> None:
    async with engine.begin() as conn:
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
    engine: AsyncEngine,
    run_id: uuid.UUID,
    stage: StageFile,
    *,
    batch_size: int,
    progress: ProgressFn | None = None,
) -> tuple[float, ChangedRecords]:
    """Apply the staged changes in short transactions, logging what each one replaced.

    Returns the longest of those write transactions, in seconds (the longest the directory's write
    lock was held), and the ids of the records it changed, by kind.

    Any failure or interruption rolls the run back before it propagates, so the directory ends
    either fully imported or as it was.
    """
    runs = core_table(ImportRun)
    async with engine.connect() as conn:
        run = (await conn.execute(select(runs).where(runs.c.id == run_id))).one()
    done = 0
    longest = 0.0
    touched = ChangedRecords()
    try:
        for batch in stage.batches(batch_size):
            started = time.perf_counter()
            async with engine.begin() as conn:
                await _apply(conn, run, batch)
                await _heartbeat(conn, run_id)
            for entry in batch:
                touched[entry.kind].add(uuid.UUID(entry.record_id))
            longest = max(longest, time.perf_counter() - started)
            done += len(batch)
            if progress is not None:
                progress("swap", done, stage.count)
    except BaseException as exc:
        status = "failed" if isinstance(exc, Exception) else "aborted"
        await asyncio.shield(rollback(engine, run_id, status=status, error=type(exc).__name__))
        raise
    async with engine.begin() as conn:
        now = utcnow()
        await _heartbeat(conn, run_id, status="completed", finished_at=now)
        sources = core_table(DirectorySource)
        await conn.execute(update(sources).where(sources.c.id == run.source_id).values(last_imported_at=now))
        undo = core_table(ImportUndo)
        await conn.execute(delete(undo).where(undo.c.run_id == run_id))
    return longest, touched


class ChangedRecords(defaultdict[str, set[uuid.UUID]]):
    """Ids of the records a swap changed, by kind ("categories" entries count as the service)."""

    def __init__(self) -> None:
        super().__init__(set)


# How a changed record reaches the services whose search documents show it.
_SERVICES_OF = {
    "service_at_location": "SELECT service_id FROM hsds_service_at_locations WHERE id IN ({ids})",
    "location": "SELECT service_id FROM hsds_service_at_locations WHERE location_id IN ({ids})",
    "address": (
        "SELECT sal.service_id FROM hsds_addresses a JOIN hsds_service_at_locations sal "
        "ON sal.location_id = a.location_id WHERE a.id IN ({ids})"
    ),
    "organization": "SELECT id FROM hsds_services WHERE organization_id IN ({ids})",
    "language": (
        "SELECT service_id FROM hsds_languages WHERE id IN ({ids}) AND service_id IS NOT NULL "
        "UNION SELECT sal.service_id FROM hsds_languages lg JOIN hsds_service_at_locations sal "
        "ON sal.location_id = lg.location_id WHERE lg.id IN ({ids})"
    ),
    "schedule": (
        "SELECT service_id FROM hsds_schedules WHERE id IN ({ids}) AND service_id IS NOT NULL "
        "UNION SELECT sal.service_id FROM hsds_schedules sc JOIN hsds_service_at_locations sal "
        "ON sal.location_id = sc.location_id OR sal.id = sc.service_at_location_id WHERE sc.id IN ({ids})"
    ),
    "attribute": "SELECT link_id FROM hsds_attributes WHERE id IN ({ids})",
    "taxonomy_term": (
        "SELECT link_id FROM hsds_attributes WHERE taxonomy_term_id IN ({ids}) AND link_id IS NOT NULL"
    ),
}


async def changed_services(engine: AsyncEngine, changed: ChangedRecords) -> list[uuid.UUID]:
    """The services whose search documents a swap's changes reach."""
    services = set(changed.get("service", ()))
    async with engine.connect() as conn:
        for kind, sql in _SERVICES_OF.items():
            ids = list(changed.get(kind, ()))
            for chunk in _chunks(ids, MAX_IN):
                marks = ", ".join(f":p{i}" for i in range(len(chunk)))
                params = {f"p{i}": _bind(conn, value) for i, value in enumerate(chunk)}
                rows = await conn.execute(text(sql.format(ids=marks)), params)
                services.update(_uuid(value) for (value,) in rows if value is not None)
    return sorted(services)


def _bind(conn: AsyncConnection, value: uuid.UUID) -> Any:
    # Raw SQL bypasses the Uuid type: SQLite stores UUIDs as 32 hex digits.
    return value.hex if conn.dialect.name == "sqlite" else value


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


async def rollback(engine: AsyncEngine, run_id: uuid.UUID, *, status: str, error: str | None) -> None:
    """Put back what a run replaced (newest first), then delete what it created; resumable."""
    undo = core_table(ImportUndo)
    async with engine.begin() as conn:
        await _heartbeat(conn, run_id, status="rolling_back")
    while True:
        async with engine.begin() as conn:
            rows = (
                await conn.execute(
                    select(undo.c.seq, undo.c.kind, undo.c.record_id, undo.c.action, undo.c.snapshot)
                    .where(undo.c.run_id == run_id)
                    .order_by(undo.c.seq.desc())
                    .limit(1000)
                )
            ).all()
            if not rows:
                break
            await _undo(conn, rows)
            await conn.execute(delete(undo).where(undo.c.run_id == run_id, undo.c.seq >= rows[-1].seq))
            await _heartbeat(conn, run_id)
    # Children before parents, in case a database enforces links between them.
    for kind in reversed(list(RECORD_MODELS)):
        table = table_of(kind)
        while True:
            async with engine.begin() as conn:
                ids = (
                    (
                        await conn.execute(
                            select(table.c.id).where(table.c.last_run_id == run_id).limit(MAX_IN)
                        )
                    )
                    .scalars()
                    .all()
                )
                if not ids:
                    break
                await conn.execute(delete(table).where(table.c.id.in_(ids)))
                await _heartbeat(conn, run_id)
    await end_run(engine, run_id, status, error)


async def _apply(conn: AsyncConnection, run: Any, batch: list[StagedEntry]) -> None:
    now = utcnow()
    creates: dict[str, list[dict[str, Any]]] = defaultdict(list)
    upserts: dict[str, list[dict[str, Any]]] = defaultdict(list)
    deactivate: dict[str, list[uuid.UUID]] = defaultdict(list)
    categories: list[tuple[uuid.UUID, list[str]]] = []
    for entry in batch:
        if entry.action == "create":
            creates[entry.kind].append(_row_values(entry, run, now))
        elif entry.action == "update":
            upserts[entry.kind].append(_row_values(entry, run, now))
        elif entry.action == "deactivate":
            deactivate[entry.kind].append(uuid.UUID(entry.record_id))
        elif entry.action == "categories":
            categories.append(
                (uuid.UUID(entry.record_id), msgspec.msgpack.decode(entry.payload or b"", type=list[str]))
            )
    undo = await _snapshots(conn, [e for e in batch if e.action in ("update", "deactivate", "categories")])
    if undo:
        await conn.execute(insert(core_table(ImportUndo)), [{"run_id": run.id, **row} for row in undo])
    # New to this source, and their ids checked against other sources: a plain insert (faster).
    for kind, values in creates.items():
        await conn.execute(insert(table_of(kind)), values)
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


async def _snapshots(conn: AsyncConnection, entries: list[StagedEntry]) -> list[dict[str, Any]]:
    """The undo rows of a batch: each replaced row as it was, or a service's previous categories."""
    by_kind: dict[str, dict[uuid.UUID, list[StagedEntry]]] = defaultdict(lambda: defaultdict(list))
    services: dict[uuid.UUID, list[StagedEntry]] = defaultdict(list)
    for entry in entries:
        if entry.action == "categories":
            services[uuid.UUID(entry.record_id)].append(entry)
        else:
            by_kind[entry.kind][uuid.UUID(entry.record_id)].append(entry)
    out: list[dict[str, Any]] = []

    def add(entry: StagedEntry, record_id: uuid.UUID, snapshot: bytes) -> None:
        out.append(
            {
                "seq": entry.seq,
                "kind": entry.kind,
                "record_id": record_id,
                "action": entry.action,
                "snapshot": snapshot,
            }
        )

    for kind, ids in by_kind.items():
        table = table_of(kind)
        for chunk in _chunks(list(ids), MAX_IN):
            for previous in (await conn.execute(select(table).where(table.c.id.in_(chunk)))).mappings():
                encoded = _encoder.encode({k: _plain(v) for k, v in previous.items()})
                for entry in ids[previous["id"]]:
                    add(entry, previous["id"], encoded)
    if services:
        table = core_table(ServiceCategory)
        found: dict[uuid.UUID, list[str]] = defaultdict(list)
        for chunk in _chunks(list(services), MAX_IN):
            result = await conn.execute(
                select(table.c.service_id, table.c.category_code).where(table.c.service_id.in_(chunk))
            )
            for service_id, code in result:
                found[service_id].append(code)
        for service_id, service_entries in services.items():
            for entry in service_entries:
                add(entry, service_id, _encoder.encode(sorted(found.get(service_id, []))))
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
            codes = msgspec.msgpack.decode(row.snapshot, type=list[str])
            await _replace_categories(conn, [(row.record_id, codes)])
            continue
        converters = _converters_for(row.kind)
        previous = _decoder.decode(row.snapshot)
        values = {name: converters[name](value) for name, value in previous.items() if name in converters}
        await conn.execute(_upsert(conn, table_of(row.kind)).values(values))


def _converters_for(kind: str) -> dict[str, Callable[[Any], Any]]:
    converters = _CONVERTERS.get(kind)
    if converters is None:
        converters = _CONVERTERS[kind] = _converters(kind)
    return converters


def _row_values(entry: StagedEntry, run: Any, now: datetime) -> dict[str, Any]:
    converters = _converters_for(entry.kind)
    payload = _decoder.decode(entry.payload or b"")
    values: dict[str, Any] = dict.fromkeys(converters)
    for name, value in payload.items():
        convert = converters.get(name)
        if convert is not None and name not in _BOOKKEEPING:
            values[name] = convert(value)
    meta = payload["_meta"]
    values.update(
        id=uuid.UUID(entry.record_id),
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
    """Roll back what a dead importing process left half done."""
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
            await end_run(engine, run_id, "aborted", reason)
        else:
            await rollback(engine, run_id, status="aborted", error=reason)
    return [run_id for run_id, _ in stale]
