"""Import a directory source: read, resolve ids, check, enrich and stage; then swap it in.

Staging writes the changes to a private temporary file, so the directory does not change until
the whole source has been read and checked. The swap then applies them in short transactions, so
the write lock is never held for long and referral traffic goes on; each transaction logs what it
replaced (`import_undo`) and marks what it created with the run's id, so a swap that fails, is
interrupted or loses its process is rolled back (by itself, or by the next import or server start)
and the directory is left as it was.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine

from directory_import import store
from directory_import.enrichment import CategoryIndex, Enricher
from directory_import.formats import open_source
from directory_import.records import KIND_ORDER, RejectedRecord, SourceRecord
from directory_import.references import ENTITY_LINKS, FORWARD_LINKS, SOFT_LINKS, target_kind
from directory_import.stable_ids import IdResolver, as_uuid
from directory_import.summary import ImportSummary, Issue, Severity
from directory_import.validation import RecordInvalid, StrictValidator, check_record
from referral_hub.directory.models import RECORD_MODELS
from referral_hub.geo.geocoder import Geocoder
from referral_hub.networks.models import DEFAULT_NETWORK_ID

ProgressFn = Callable[[str, int, int | None], None]


def default_source_name(source: str) -> str:
    """A name for a source when none is given: the URL's host and path, or the file's name."""
    if source.startswith(("http://", "https://")):
        parts = urlsplit(source)
        return f"{parts.hostname}{parts.path.rstrip('/')}"
    return Path(source).resolve().name


def content_hash(fields: dict[str, Any]) -> str:
    return hashlib.blake2b(msgspec.json.encode(fields, order="sorted"), digest_size=16).hexdigest()


class _Pending(msgspec.Struct):
    """A location without coordinates in its source, waiting for its addresses to be geocoded."""

    source_id: str
    fields: dict[str, Any]
    content_hash: str
    origin: str


class ImportJob:
    """One pass over a source; holds the per-run maps (ids seen, hashes, categories)."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        network_id: uuid.UUID,
        source_name: str,
        format_name: str,
        dry_run: bool,
        strict: bool,
        enricher: Enricher,
        batch_size: int,
        progress: ProgressFn | None,
    ) -> None:
        self.engine = engine
        self.network_id = network_id
        self.dry_run = dry_run
        self.strict = strict
        self.strict_validator = StrictValidator() if strict else None
        self.enricher = enricher
        self.batch_size = batch_size
        self.progress = progress
        self.summary = ImportSummary(source_name=source_name, format=format_name, dry_run=dry_run)
        self.resolver = IdResolver(network_id, source_name, self._known_id)
        self.source_id: uuid.UUID | None = None
        # Kinds of which another source has records: only their UUIDs can be taken already.
        self.shared_kinds: set[str] = set()
        self.run_id: uuid.UUID | None = None
        self.existing: dict[str, dict[str, store.ExistingRecord]] = {}
        # Records new to this source that the stream has shown; known ones are flagged in `existing`.
        self.seen_new: dict[str, set[str]] = defaultdict(set)
        self.forward_refs: list[tuple[str, str, str, str, str]] = []
        self.pending_locations: dict[uuid.UUID, _Pending] = {}
        self.location_addresses: dict[uuid.UUID, dict[str, Any]] = {}
        self.changed_address_locations: set[uuid.UUID] = set()
        self.categories = CategoryIndex(enricher.category_matcher)
        self.existing_categories: dict[uuid.UUID, frozenset[str]] = {}
        self.stage = store.StageFile()
        self.deferred: list[SourceRecord] = []
        self.final_pass = False
        self.last_touch = time.monotonic()

    # -- setup -------------------------------------------------------------------------------------

    async def prepare(self, source_name: str, format_name: str) -> None:
        async with self.engine.begin() as conn:
            self.source_id = await store.get_or_create_source(
                conn, self.network_id, source_name, format_name, create=not self.dry_run
            )
        async with self.engine.connect() as conn:
            self.shared_kinds = {
                kind for kind in RECORD_MODELS if await store.has_other_sources(conn, kind, self.source_id)
            }
        if self.source_id is not None:
            async with self.engine.connect() as conn:
                for kind in RECORD_MODELS:
                    self.existing[kind] = await store.load_existing(conn, self.source_id, kind)
                self.existing_categories = await store.load_service_categories(conn, self.source_id)
            if not self.dry_run:
                self.run_id = await store.start_run(self.engine, self.network_id, self.source_id, format_name)
                self.summary.run_id = str(self.run_id)

    def _seen(self, kind: str, source_id: str) -> bool:
        record = self.existing.get(kind, {}).get(source_id)
        return record.seen if record is not None else source_id in self.seen_new[kind]

    def _mark_seen(self, kind: str, source_id: str) -> None:
        record = self.existing.get(kind, {}).get(source_id)
        if record is not None:
            record.seen = True
        else:
            self.seen_new[kind].add(source_id)

    def _known_id(self, kind: str, source_id: str) -> uuid.UUID | None:
        record = self.existing.get(kind, {}).get(source_id)
        return None if record is None else record.id

    async def _mark_taken(self, batch: list[SourceRecord]) -> None:
        """Find, for one batch, the UUID source ids that another source already uses."""
        candidates: dict[str, set[uuid.UUID]] = defaultdict(set)
        for record in batch:
            refs: list[tuple[str, str]] = [(record.kind, record.source_id)]
            refs.extend(
                (kind, str(value))
                for field, value in record.fields.items()
                if (kind := target_kind(record.kind, field, record.fields)) is not None
            )
            for kind, source_id in refs:
                if kind not in self.shared_kinds:
                    continue
                own = as_uuid(source_id)
                if own is not None and self._known_id(kind, source_id) is None:
                    candidates[kind].add(own)
        if not candidates:
            return
        async with self.engine.connect() as conn:
            for kind, uuids in candidates.items():
                self.resolver.mark_taken(kind, await store.taken_ids(conn, kind, uuids, self.source_id))

    # -- the stream --------------------------------------------------------------------------------

    async def consume(self, records: Iterator[SourceRecord | RejectedRecord]) -> None:
        read = 0
        while True:
            batch = list(itertools.islice(records, self.batch_size))
            if not batch:
                break
            accepted = [r for r in batch if isinstance(r, SourceRecord)]
            await self._mark_taken(accepted)
            for item in batch:
                if isinstance(item, RejectedRecord):
                    self.summary.report(
                        Issue(
                            severity="rejected",
                            origin=item.origin,
                            kind=item.kind,
                            source_id=item.source_id,
                            field=item.field,
                            reason=item.reason,
                        )
                    )
                else:
                    self._take(item)
            read += len(batch)
            await self._keep_alive()
            if self.progress is not None:
                self.progress("read", read, None)
        await self._finish_stream()

    def _reject(
        self, record: SourceRecord, field: str | None, reason: str, severity: Severity = "rejected"
    ) -> None:
        self.summary.report(
            Issue(
                severity=severity,
                origin=record.origin,
                kind=record.kind,
                source_id=record.source_id,
                field=field,
                reason=reason,
            )
        )

    def _take(self, record: SourceRecord) -> None:
        if record.kind == "language":
            parts, issues = self.enricher.split_language(record)
            for field, reason in issues:
                self._reject(record, field, reason, "warning")
            for part in parts:
                self._take_one(part)
        else:
            self._take_one(record)

    def _take_one(self, record: SourceRecord) -> None:
        kind = record.kind
        if self._seen(kind, record.source_id):
            self._reject(record, "id", f"a second {kind} with the same id in this source")
            return
        data = dict(record.fields)
        data.pop("id", None)
        for field, value in list(data.items()):
            target = target_kind(kind, field, data)
            text = str(value)
            if (kind, field) in ENTITY_LINKS:
                target = self._entity_target(record, data, field, target, text)
                if target is None:
                    return
            if target is None:
                continue
            if (kind, field) in FORWARD_LINKS:
                self.forward_refs.append((kind, record.source_id, field, target, text))
            elif not self._seen(target, text):
                if not self.final_pass:
                    # Its target may still come (an API lists organizations, with their phones, before
                    # the services those phones belong to): look again when the stream has ended.
                    self.deferred.append(record)
                    return
                reason = f"points at {target} {text!r}, which this source does not contain"
                if (kind, field) in SOFT_LINKS:
                    self._reject(record, field, reason, "dropped")
                    del data[field]
                    continue
                self._reject(record, field, reason)
                return
            data[field] = str(self.resolver.resolve(target, text))
        record_id = self.resolver.resolve(kind, record.source_id)
        data["id"] = str(record_id)
        try:
            for field, reason in check_record(kind, data, repair=not self.strict):
                self._reject(record, field, reason, "dropped")
            if self.strict_validator is not None:
                self.strict_validator.check(kind, data)
        except RecordInvalid as exc:
            self._reject(record, exc.field, exc.reason)
            return
        self._mark_seen(kind, record.source_id)
        digest = content_hash(data)
        self.categories.observe(kind, data)
        if kind == "address":
            self._note_address(record, data, digest)
        if kind == "location" and (data.get("latitude") is None or data.get("longitude") is None):
            self.pending_locations[record_id] = _Pending(record.source_id, data, digest, record.origin)
            return
        if kind == "location":
            self.enricher.locate(data, None)
        self._stage(kind, record.source_id, record_id, data, digest)

    def _entity_target(
        self, record: SourceRecord, data: dict[str, Any], field: str, declared: str | None, text: str
    ) -> str | None:
        """The kind an attribute's link_id or a metadata's resource_id points at.

        Exports (the official examples among them) sometimes name the wrong table; when the id
        belongs to exactly one kind of this source, that kind is used and the mismatch reported.
        """
        if declared is not None and self._seen(declared, text):
            return declared
        if not self.final_pass:
            self.deferred.append(record)
            return None
        entity_field = ENTITY_LINKS[(record.kind, field)]
        candidates = [kind for kind in KIND_ORDER if self._seen(kind, text)]
        if len(candidates) != 1:
            named = data.get(entity_field)
            self._reject(record, field, f"points at {named!r} {text!r}, which this source does not contain")
            return None
        self._reject(
            record,
            entity_field,
            f"{data.get(entity_field)!r} does not hold {text!r}; taken as {candidates[0]!r}",
            "warning",
        )
        # The source's own words stay as they are; only the link is resolved.
        return candidates[0]

    def _note_address(self, record: SourceRecord, data: dict[str, Any], digest: str) -> None:
        location_id = uuid.UUID(data["location_id"]) if data.get("location_id") else None
        if location_id is None:
            return
        known = self.location_addresses.get(location_id)
        # A physical address locates better than a postal one.
        if known is None or (
            known.get("address_type") != "physical" and data.get("address_type") == "physical"
        ):
            self.location_addresses[location_id] = data
        previous = self.existing.get("address", {}).get(record.source_id)
        if previous is None or previous.content_hash != digest:
            self.changed_address_locations.add(location_id)

    def _stage(
        self, kind: str, source_id: str, record_id: uuid.UUID, data: dict[str, Any], digest: str
    ) -> None:
        previous = self.existing.get(kind, {}).get(source_id)
        if previous is not None and previous.content_hash == digest and previous.active:
            self.summary.count(kind, "unchanged")
            return
        action = "create" if previous is None else "update"
        self.summary.count(kind, "created" if previous is None else "updated")
        if self.dry_run:
            return
        data["_meta"] = {"source_record_id": source_id, "content_hash": digest}
        self.stage.add(kind, record_id, action, store.encode_payload(data))

    async def _keep_alive(self) -> None:
        """Tell other processes this run is alive (a silent run is taken for dead after two minutes)."""
        if self.run_id is not None and time.monotonic() - self.last_touch > 10:
            await store.touch_run(self.engine, self.run_id)
            self.last_touch = time.monotonic()

    async def _finish_stream(self) -> None:
        self.final_pass = True
        order = {kind: index for index, kind in enumerate(KIND_ORDER)}
        for record in sorted(self.deferred, key=lambda r: order[r.kind]):
            self._take_one(record)
        self.deferred = []
        for location_id, pending in self.pending_locations.items():
            previous = self.existing.get("location", {}).get(pending.source_id)
            if (
                previous is not None
                and previous.content_hash == pending.content_hash
                and previous.active
                and location_id not in self.changed_address_locations
            ):
                self.summary.count("location", "unchanged")
                continue
            address = self.location_addresses.get(location_id)
            # A network geocoder blocks (rate limits); keep the event loop free while it works.
            issues = await asyncio.to_thread(self.enricher.locate, pending.fields, address)
            for issue in issues:
                self.summary.report(
                    Issue(
                        severity="warning",
                        origin=pending.origin,
                        kind="location",
                        source_id=pending.source_id,
                        field=issue[0],
                        reason=issue[1],
                    )
                )
            self._stage("location", pending.source_id, location_id, pending.fields, pending.content_hash)
            await self._keep_alive()
        for kind, source_id, field, target, text in self.forward_refs:
            if not self._seen(target, text):
                self.summary.report(
                    Issue(
                        severity="warning",
                        origin=f"{kind} {source_id}",
                        kind=kind,
                        source_id=source_id,
                        field=field,
                        reason=f"points at {target} {text!r}, which this source does not contain",
                    )
                )
        for kind, existing in self.existing.items():
            for known in existing.values():
                if known.active and not known.seen:
                    self.summary.count(kind, "deactivated")
                    if not self.dry_run:
                        self.stage.add(kind, known.id, "deactivate")
        if self.dry_run:
            return
        for service_id, codes in self.categories.service_categories().items():
            if self.existing_categories.get(service_id, frozenset()) != codes:
                self.stage.add("service", service_id, "categories", msgspec.msgpack.encode(sorted(codes)))


async def import_source(
    engine: AsyncEngine,
    source: str,
    *,
    format: str = "auto",
    source_name: str | None = None,
    network_id: uuid.UUID | None = None,
    dry_run: bool = False,
    strict: bool = False,
    geocoder: Geocoder | None = None,
    batch_size: int = 2000,
    progress: ProgressFn | None = None,
    on_committed: Callable[[list[uuid.UUID]], Awaitable[None]] | None = None,
) -> ImportSummary:
    """Import `source` into the directory.

    Raises SourceUnreadable, with nothing changed, when the source cannot be read at all.
    `on_committed` receives the ids of the services the import changed, once it is committed
    (the search index catches up there).
    """
    started = time.perf_counter()
    await store.recover_interrupted(engine)
    name = source_name or default_source_name(source)
    enricher = await Enricher.build(engine, geocoder)
    with open_source(source, format) as opened:
        job = ImportJob(
            engine,
            network_id=network_id or DEFAULT_NETWORK_ID,
            source_name=name,
            format_name=opened.reader.format_name,
            dry_run=dry_run,
            strict=strict,
            enricher=enricher,
            batch_size=batch_size,
            progress=progress,
        )
        try:
            await job.prepare(name, opened.reader.format_name)
            try:
                await job.consume(iter(opened.reader.records()))
            except BaseException as exc:
                if job.run_id is not None:
                    status = "failed" if isinstance(exc, Exception) else "aborted"
                    await store.end_run(engine, job.run_id, status, type(exc).__name__)
                raise
            if job.run_id is not None:
                job.summary.seconds = round(time.perf_counter() - started, 3)
                await store.begin_swap(engine, job.run_id, job.summary)
                longest, changed = await store.swap(
                    engine, job.run_id, job.stage, batch_size=batch_size, progress=progress
                )
                job.summary.longest_write_ms = round(longest * 1000, 1)
                if on_committed is not None and changed:
                    await on_committed(await store.changed_services(engine, changed))
        finally:
            job.stage.close()
    job.summary.seconds = round(time.perf_counter() - started, 3)
    return job.summary
