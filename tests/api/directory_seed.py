"""Put HSDS objects (official examples, or objects a test writes) straight into the directory tables.

Nested objects are flattened the way HSDS nests them: a phone under a service gets that service's id
in `service_id`, an organization under a service is the service's `organization_id`, and an object
that appears in several places (the examples reuse one phone everywhere) becomes one row with every
reference set. The importer is not used, so these tests do not depend on it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Table, Uuid, insert, update
from sqlalchemy.ext.asyncio import AsyncEngine

from referral_hub.db.engine import create_engine
from referral_hub.db.types import UTCDateTime
from referral_hub.directory.models import RECORD_MODELS, DirectorySource
from referral_hub.networks.models import DEFAULT_NETWORK_ID
from tests.api.hsds_validation import example

T = TypeVar("T")
Records = dict[str, dict[str, dict[str, Any]]]  # kind -> id -> fields

# location.json is left out: its schedule (same id as everywhere else) says opens_at "10:00", the
# others "10:00:00", and one row cannot hold both.
EXAMPLE_FILES = {
    "service_full.json": "service",
    "organization_full.json": "organization",
    "service_at_location_full.json": "service_at_location",
    "taxonomy.json": "taxonomy",
    "taxonomy_term.json": "taxonomy_term",
}


class Nested(NamedTuple):
    kind: str
    holder_points_at_it: bool  # True: the holder's `ref` field names the nested object
    ref: str


NESTED: dict[str, dict[str, Nested]] = {
    "service": {
        "organization": Nested("organization", True, "organization_id"),
        "program": Nested("program", True, "program_id"),
        "additional_urls": Nested("url", False, "service_id"),
        "phones": Nested("phone", False, "service_id"),
        "schedules": Nested("schedule", False, "service_id"),
        "service_areas": Nested("service_area", False, "service_id"),
        "service_at_locations": Nested("service_at_location", False, "service_id"),
        "languages": Nested("language", False, "service_id"),
        "funding": Nested("funding", False, "service_id"),
        "cost_options": Nested("cost_option", False, "service_id"),
        "required_documents": Nested("required_document", False, "service_id"),
        "contacts": Nested("contact", False, "service_id"),
        "capacities": Nested("service_capacity", False, "service_id"),
    },
    "organization": {
        "additional_websites": Nested("url", False, "organization_id"),
        "funding": Nested("funding", False, "organization_id"),
        "contacts": Nested("contact", False, "organization_id"),
        "phones": Nested("phone", False, "organization_id"),
        "locations": Nested("location", False, "organization_id"),
        "programs": Nested("program", False, "organization_id"),
        "organization_identifiers": Nested("organization_identifier", False, "organization_id"),
        "services": Nested("service", False, "organization_id"),
    },
    "service_at_location": {
        "service": Nested("service", True, "service_id"),
        "location": Nested("location", True, "location_id"),
        "service_areas": Nested("service_area", False, "service_at_location_id"),
        "contacts": Nested("contact", False, "service_at_location_id"),
        "phones": Nested("phone", False, "service_at_location_id"),
        "schedules": Nested("schedule", False, "service_at_location_id"),
    },
    "location": {
        "languages": Nested("language", False, "location_id"),
        "addresses": Nested("address", False, "location_id"),
        "contacts": Nested("contact", False, "location_id"),
        "accessibility": Nested("accessibility", False, "location_id"),
        "phones": Nested("phone", False, "location_id"),
        "schedules": Nested("schedule", False, "location_id"),
    },
    "contact": {"phones": Nested("phone", False, "contact_id")},
    "phone": {"languages": Nested("language", False, "phone_id")},
    "service_capacity": {"unit": Nested("unit", True, "unit_id")},
    "attribute": {"taxonomy_term": Nested("taxonomy_term", True, "taxonomy_term_id")},
    "taxonomy_term": {"taxonomy_detail": Nested("taxonomy", True, "taxonomy_id")},
}
# attribute.link_entity and metadata.resource_type name the holder's kind when the object does not.
_ENTITY_FIELD = {
    "attributes": ("attribute", "link_id", "link_entity"),
    "metadata": ("metadata", "resource_id", "resource_type"),
}


def flatten(kind: str, obj: dict[str, Any], records: Records, inherited: dict[str, Any] | None = None) -> str:
    """Add `obj` and everything nested in it to `records`; returns the id of `obj`."""
    key = obj["id"]
    fields: dict[str, Any] = {}
    for name, value in obj.items():
        if name in _ENTITY_FIELD:
            child_kind, ref, entity = _ENTITY_FIELD[name]
            for child in value:
                flatten(child_kind, child, records, {ref: key, entity: kind})
            continue
        nested = NESTED.get(kind, {}).get(name)
        if nested is None:
            fields[name] = value
        elif nested.holder_points_at_it:
            fields[nested.ref] = flatten(nested.kind, value, records)
        else:
            for child in value:
                flatten(nested.kind, child, records, {nested.ref: key})
    for name, value in (inherited or {}).items():
        fields.setdefault(name, value)
    existing = records.setdefault(kind, {}).setdefault(key, {})
    for name, value in fields.items():
        if name in existing and existing[name] != value:
            raise ValueError(f"{kind} {key}: {name} is {existing[name]!r} in one place, {value!r} in another")
        existing[name] = value
    return str(key)


def flatten_all(objects: Iterable[tuple[str, dict[str, Any]]]) -> Records:
    records: Records = {}
    for kind, obj in objects:
        flatten(kind, obj, records)
    return records


def example_records() -> Records:
    """The official full examples of service, organization, service_at_location, taxonomy and term."""
    return flatten_all((kind, example(name)) for name, kind in EXAMPLE_FILES.items())


def _convert(table: Table, kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name, value in fields.items():
        if name not in table.c:
            raise ValueError(f"{kind} {fields.get('id')}: {name!r} is not a column of {table.name}")
        column_type = table.c[name].type
        if value is not None and isinstance(column_type, Uuid):
            row[name] = uuid.UUID(str(value))
        elif isinstance(value, str) and isinstance(column_type, UTCDateTime):
            row[name] = datetime.fromisoformat(value)
        else:
            row[name] = value
    return row


async def insert_records(
    engine: AsyncEngine,
    records: Records,
    *,
    source_name: str = "seed",
    updated_at: datetime | None = None,
) -> uuid.UUID:
    """Insert every record as an active row of the default network, from a new source; returns its id."""
    source_id = uuid.uuid4()
    stamp = updated_at or datetime.now(UTC)
    async with engine.begin() as conn:
        await conn.execute(
            insert(DirectorySource).values(
                id=source_id, network_id=DEFAULT_NETWORK_ID, name=source_name, format="hsds3-json"
            )
        )
        for kind, by_id in records.items():
            table: Table = RECORD_MODELS[kind].__table__
            groups: dict[frozenset[str], list[dict[str, Any]]] = {}
            for fields in by_id.values():
                row = _convert(table, kind, fields)
                row.update(
                    network_id=DEFAULT_NETWORK_ID,
                    source_id=source_id,
                    source_record_id=str(row["id"]),
                    content_hash="seed",
                    created_at=stamp,
                    updated_at=stamp,
                )
                row.setdefault("active", True)
                groups.setdefault(frozenset(row), []).append(row)
            for rows in groups.values():
                await conn.execute(insert(table), rows)
    return source_id


async def update_rows(engine: AsyncEngine, kind: str, ids: Iterable[str], **values: Any) -> None:
    """Change columns of existing rows, e.g. `active=False` or `updated_at=...`."""
    table: Table = RECORD_MODELS[kind].__table__
    keys = [uuid.UUID(str(key)) for key in ids]
    async with engine.begin() as conn:
        await conn.execute(update(table).where(table.c.id.in_(keys)).values(**values))


def run(database_url: str, work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    """Run `work` with a short-lived engine, from synchronous test code."""

    async def main() -> T:
        engine = create_engine(database_url)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    return asyncio.run(main())


def seed(database_url: str, records: Records, **options: Any) -> uuid.UUID:
    return run(database_url, lambda engine: insert_records(engine, records, **options))


def seed_examples(database_url: str) -> None:
    seed(database_url, example_records(), source_name="hsds-3.1-examples")
