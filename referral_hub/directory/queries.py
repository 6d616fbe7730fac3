"""The HSDS read side: SQL over the directory tables, assembled into HSDS 3.1 Structs a batch at a time.

A page costs a fixed number of queries whatever its size: each table is read once for the whole
batch (`IN (...)` over the ids the batch needs), and the rows are nested in Python. There are no ORM
objects here and so no lazy loads. Only `active` rows are ever shown.
"""

from __future__ import annotations

import functools
import logging
import typing
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Generic, Literal, Protocol, TypeVar, cast

import msgspec
from sqlalchemy import ColumnElement, Select, Table, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral_hub.directory import hsds
from referral_hub.directory.models import RECORD_MODELS
from referral_hub.errors import NotFound
from referral_hub.geo.distance import bounding_box, great_circle_km
from referral_hub.geo.zip_centroids import normalize_zip
from referral_hub.pagination import Page, PageRequest, make_page

log = logging.getLogger("referral_hub.directory.queries")

Record = dict[str, Any]
S = TypeVar("S", bound=hsds.HsdsObject)

# Bound parameters per statement: far below the limits of SQLite (32,766) and asyncpg (32,767).
_PARAMS_PER_QUERY: Final = 1000
# Objects per chunk of an NDJSON stream: one round of batch queries each.
STREAM_BATCH: Final = 100

ServiceView = Literal["minimal", "list", "full"]
"""`minimal`: id, name, status, last_modified; `list`: compiled/service_list.json; `full`: fully nested."""
ServiceAtLocationView = Literal["list", "full"]
OrganizationView = Literal["list", "full", "full_services"]
"""`list`: compiled/organization_list.json; `full`: nested, with flat services; `full_services`: nested
services too (HSDS `full_service`)."""


class DirectoryDataError(RuntimeError):
    """A stored row cannot be shown as HSDS, e.g. a required field is empty; imports never store one."""


@dataclass(frozen=True, kw_only=True)
class Near:
    """A circle around a point: HSDS `postcode` + `proximity`."""

    latitude: float
    longitude: float
    radius_km: float


@dataclass(frozen=True, kw_only=True)
class Filters:
    """The HSDS list filters, already checked; each listing uses the ones HSDS defines for it."""

    search: tuple[str, ...] = ()  # every word must occur in one of the searched columns
    taxonomy_term_id: uuid.UUID | None = None
    taxonomy_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    modified_after: datetime | None = None
    postcode: str | None = None  # without `near`: a location address in that postal code
    near: Near | None = None
    parent_id: uuid.UUID | None = None
    top_only: bool = False


@dataclass(frozen=True)
class _Kind:
    name: str
    table: Table
    columns: tuple[str, ...]  # the HSDS fields that are columns of the table, in Struct order

    def select(self) -> Select[Any]:
        return select(*(self.table.c[name] for name in self.columns))


def _kind(name: str) -> _Kind:
    table: Table = RECORD_MODELS[name].__table__
    fields = hsds.HSDS_TYPES[name].__struct_fields__
    return _Kind(name, table, tuple(field for field in fields if field in table.c))


_KINDS: Final = {name: _kind(name) for name in RECORD_MODELS}


def _table(kind: str) -> Table:
    return _KINDS[kind].table


class _Identified(Protocol):
    id: str


def _make(cls: type[S], record: Record, **nested: Any) -> S:
    """The Struct of one row; empty nested lists are left out, as HSDS leaves out absent fields."""
    values: dict[str, Any] = {}
    for name, value in record.items():
        if value is None:
            continue
        if isinstance(value, uuid.UUID):
            values[name] = str(value)
        elif isinstance(value, float) and name in hsds.WHOLE_NUMBER_FIELDS and value.is_integer():
            values[name] = int(value)
        else:
            values[name] = value
    values.update((name, value) for name, value in nested.items() if value)
    try:
        return cls(**values)
    except TypeError as exc:
        # msgspec names the missing field; the row id lets an operator find and fix the row.
        log.error(
            "directory row cannot be shown as HSDS",
            extra={"kind": cls.__name__, "row_id": str(record.get("id")), "problem": str(exc)},
        )
        raise DirectoryDataError(f"{cls.__name__} {record.get('id')}: {exc}") from exc


def _leaf(cls: type[S]) -> Callable[[Record], S]:
    return functools.partial(_make, cls)


def _ids(records: Iterable[Record]) -> set[uuid.UUID]:
    return {record["id"] for record in records}


def _refs(records: Iterable[Record], column: str) -> set[uuid.UUID]:
    return {record[column] for record in records if record[column] is not None}


def _in_clauses(table: Table, wanted: dict[str, set[uuid.UUID]]) -> Iterator[ColumnElement[bool]]:
    """`column IN (...)` conditions OR-ed together, at most _PARAMS_PER_QUERY parameters per statement."""
    pending: list[ColumnElement[bool]] = []
    size = 0
    for column, keys in wanted.items():
        ordered = sorted(keys)
        for start in range(0, len(ordered), _PARAMS_PER_QUERY):
            chunk = ordered[start : start + _PARAMS_PER_QUERY]
            if pending and size + len(chunk) > _PARAMS_PER_QUERY:
                yield or_(*pending)
                pending, size = [], 0
            pending.append(table.c[column].in_(chunk))
            size += len(chunk)
    if pending:
        yield or_(*pending)


def _holds_structs(hint: Any) -> bool:
    for option in typing.get_args(hint) or (hint,):
        if typing.get_origin(option) is list:
            return True
        if isinstance(option, type) and issubclass(option, msgspec.Struct):
            return True
    return False


@functools.cache
def _nested_fields(cls: type[msgspec.Struct]) -> tuple[str, ...]:
    """The fields of a Struct class that hold a Struct or a list of them."""
    hints = typing.get_type_hints(cls)
    return tuple(name for name in cls.__struct_fields__ if _holds_structs(hints[name]))


def _nodes(roots: Iterable[msgspec.Struct]) -> list[msgspec.Struct]:
    """Every Struct of the trees, roots included, once each (built objects are shared between places)."""
    seen: set[int] = set()
    found: list[msgspec.Struct] = []
    stack = list(roots)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        found.append(node)
        for name in _nested_fields(type(node)):
            value = getattr(node, name)
            if isinstance(value, list):
                stack.extend(value)
            elif value is not None:
                stack.append(value)
    return found


def _keys(nodes: Iterable[msgspec.Struct]) -> dict[str, uuid.UUID]:
    """The id of each node as a UUID, each distinct id parsed once."""
    return {key: uuid.UUID(key) for key in {cast(_Identified, node).id for node in nodes}}


def _node_key(node: msgspec.Struct, keys: dict[str, uuid.UUID]) -> uuid.UUID:
    return keys[cast(_Identified, node).id]


def _set(node: msgspec.Struct, field: str, value: Any) -> None:
    setattr(node, field, value)


class _Graph:
    """The rows that one batch of results shows, fetched a table at a time and indexed for nesting."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._by_id: dict[str, dict[uuid.UUID, Record]] = defaultdict(dict)
        self._by_ref: dict[tuple[str, str], dict[uuid.UUID, list[Record]]] = defaultdict(dict)
        self._done: dict[tuple[str, str], set[uuid.UUID]] = defaultdict(set)
        # A row shown in several places is built once and the same Struct is nested everywhere.
        self._built: dict[tuple[str, uuid.UUID], msgspec.Struct] = {}

    async def fetch(self, kind: str, **refs: Iterable[uuid.UUID]) -> list[Record]:
        """Active rows of `kind` whose column `c` holds one of `refs[c]` (for any `c` given), by id."""
        spec = _KINDS[kind]
        wanted = {column: set(keys) for column, keys in refs.items()}
        missing = {column: keys - self._done[(kind, column)] for column, keys in wanted.items()}
        missing = {column: keys for column, keys in missing.items() if keys}
        if missing:
            found: dict[uuid.UUID, Record] = {}
            for condition in _in_clauses(spec.table, missing):
                result = await self._session.execute(
                    spec.select().where(spec.table.c.active.is_(True), condition)
                )
                for row in result:
                    record = dict(zip(spec.columns, row, strict=True))
                    found[record["id"]] = record
            for key in sorted(found):
                record = found[key]
                self._by_id[kind][key] = record
                for column, keys in missing.items():
                    if record[column] in keys:
                        self._by_ref[(kind, column)].setdefault(record[column], []).append(record)
            for column, keys in missing.items():
                self._done[(kind, column)].update(keys)
        matched: dict[uuid.UUID, Record] = {}
        for column, keys in wanted.items():
            index = self._by_ref[(kind, column)]
            for key in keys:
                for record in index.get(key, ()):
                    matched[record["id"]] = record
        return [matched[key] for key in sorted(matched)]

    def one(self, kind: str, key: uuid.UUID | None) -> Record | None:
        return None if key is None else self._by_id[kind].get(key)

    def _all(self, kind: str, column: str, key: uuid.UUID, build: Callable[[Record], S]) -> list[S]:
        return [build(record) for record in self._by_ref[(kind, column)].get(key, ())]

    def children(self, kind: str, column: str, key: uuid.UUID) -> list[Record]:
        return list(self._by_ref[(kind, column)].get(key, ()))

    def _memo(self, kind: str, record: Record, build: Callable[[Record], S]) -> S:
        key = (kind, record["id"])
        built = self._built.get(key)
        if built is None:
            built = self._built[key] = build(record)
        return cast(S, built)

    # Loading: which rows a fully nested object shows.

    async def load_core(
        self,
        *,
        services: Sequence[Record] = (),
        organizations: Sequence[Record] = (),
        sals: Sequence[Record] = (),
        locations: Sequence[Record] = (),
    ) -> None:
        """Fetch every child that the full forms of these services, organizations, sals, locations show."""
        svc, org, sal, loc = _ids(services), _ids(organizations), _ids(sals), _ids(locations)
        await self.fetch("url", service_id=svc, organization_id=org)
        await self.fetch("funding", service_id=svc, organization_id=org)
        await self.fetch("service_area", service_id=svc, service_at_location_id=sal)
        await self.fetch("cost_option", service_id=svc)
        await self.fetch("required_document", service_id=svc)
        capacities = await self.fetch("service_capacity", service_id=svc)
        await self.fetch("unit", id=_refs(capacities, "unit_id"))
        await self.fetch("organization_identifier", organization_id=org)
        await self.fetch("program", id=_refs(services, "program_id"), organization_id=org)
        await self.fetch("address", location_id=loc)
        await self.fetch("accessibility", location_id=loc)
        await self.fetch("schedule", service_id=svc, location_id=loc, service_at_location_id=sal)
        contacts = await self.fetch(
            "contact", service_id=svc, organization_id=org, location_id=loc, service_at_location_id=sal
        )
        phones = await self.fetch(
            "phone",
            service_id=svc,
            organization_id=org,
            location_id=loc,
            service_at_location_id=sal,
            contact_id=_ids(contacts),
        )
        await self.fetch("language", service_id=svc, location_id=loc, phone_id=_ids(phones))

    async def load_services(self, services: Sequence[Record], *, with_sals: bool) -> None:
        sals = await self.fetch("service_at_location", service_id=_ids(services)) if with_sals else []
        organizations = await self.fetch("organization", id=_refs(services, "organization_id"))
        locations = await self.fetch(
            "location", id=_refs(sals, "location_id"), organization_id=_ids(organizations)
        )
        await self.load_core(services=services, organizations=organizations, sals=sals, locations=locations)

    async def load_organizations(self, organizations: Sequence[Record], *, full_services: bool) -> None:
        services = await self.fetch("service", organization_id=_ids(organizations))
        sals = await self.fetch("service_at_location", service_id=_ids(services)) if full_services else []
        locations = await self.fetch(
            "location", organization_id=_ids(organizations), id=_refs(sals, "location_id")
        )
        await self.load_core(
            services=services if full_services else [],
            organizations=organizations,
            sals=sals,
            locations=locations,
        )

    async def load_sals(self, sals: Sequence[Record]) -> None:
        services = await self.fetch("service", id=_refs(sals, "service_id"))
        organizations = await self.fetch("organization", id=_refs(services, "organization_id"))
        locations = await self.fetch(
            "location", id=_refs(sals, "location_id"), organization_id=_ids(organizations)
        )
        await self.load_core(services=services, organizations=organizations, sals=sals, locations=locations)

    async def attach_attributes_and_metadata(self, roots: Sequence[msgspec.Struct]) -> None:
        """Give every object of the trees its attributes (with their terms), then everything its metadata."""
        nodes = _nodes(roots)
        keys = _keys(nodes)
        linked = [node for node in nodes if "attributes" in node.__struct_fields__]
        attributes = await self.fetch("attribute", link_id={_node_key(node, keys) for node in linked})
        terms = await self.fetch("taxonomy_term", id=_refs(attributes, "taxonomy_term_id"))
        await self.fetch("taxonomy", id=_refs(terms, "taxonomy_id"))
        added: list[hsds.Attribute] = []
        for node in linked:
            # An attribute stands for its term: when the term is not listed, neither is the attribute.
            attached = [
                self.attribute(record)
                for record in self.children("attribute", "link_id", _node_key(node, keys))
                if record["taxonomy_term_id"] is None or self.one("taxonomy_term", record["taxonomy_term_id"])
            ]
            added.extend(attached)
            _set(node, "attributes", attached or None)
        await self._attach_metadata(nodes + _nodes(added))

    async def attach_metadata(self, roots: Sequence[msgspec.Struct]) -> None:
        await self._attach_metadata(_nodes(roots))

    async def _attach_metadata(self, nodes: list[msgspec.Struct]) -> None:
        described = [node for node in nodes if "metadata" in node.__struct_fields__]
        keys = _keys(described)
        await self.fetch("metadata", resource_id=keys.values())
        for node in described:
            attached = self._all("metadata", "resource_id", _node_key(node, keys), self.metadata)
            _set(node, "metadata", attached or None)

    # Building: rows to Structs, nothing fetched.

    def metadata(self, record: Record) -> hsds.Metadata:
        return _make(hsds.Metadata, record)

    def taxonomy(self, record: Record) -> hsds.Taxonomy:
        return self._memo("taxonomy", record, _leaf(hsds.Taxonomy))

    def taxonomy_term(self, record: Record) -> hsds.TaxonomyTerm:
        return self._memo("taxonomy_term", record, self._taxonomy_term)

    def _taxonomy_term(self, record: Record) -> hsds.TaxonomyTerm:
        detail = self.one("taxonomy", record["taxonomy_id"])
        return _make(hsds.TaxonomyTerm, record, taxonomy_detail=self.taxonomy(detail) if detail else None)

    def attribute(self, record: Record) -> hsds.Attribute:
        term = self.one("taxonomy_term", record["taxonomy_term_id"])
        return _make(hsds.Attribute, record, taxonomy_term=self.taxonomy_term(term) if term else None)

    def phone(self, record: Record) -> hsds.Phone:
        return self._memo("phone", record, self._phone)

    def _phone(self, record: Record) -> hsds.Phone:
        languages = self._all("language", "phone_id", record["id"], _leaf(hsds.Language))
        return _make(hsds.Phone, record, languages=languages)

    def contact(self, record: Record) -> hsds.Contact:
        return self._memo("contact", record, self._contact)

    def _contact(self, record: Record) -> hsds.Contact:
        return _make(hsds.Contact, record, phones=self._all("phone", "contact_id", record["id"], self.phone))

    def capacity(self, record: Record) -> hsds.ServiceCapacity:
        unit = self.one("unit", record["unit_id"])
        return _make(hsds.ServiceCapacity, record, unit=_make(hsds.Unit, unit) if unit else None)

    def location_full(self, record: Record) -> hsds.Location:
        return self._memo("location", record, self._location_full)

    def _location_full(self, record: Record) -> hsds.Location:
        key = record["id"]
        return _make(
            hsds.Location,
            record,
            languages=self._all("language", "location_id", key, _leaf(hsds.Language)),
            addresses=self._all("address", "location_id", key, _leaf(hsds.Address)),
            contacts=self._all("contact", "location_id", key, self.contact),
            accessibility=self._all("accessibility", "location_id", key, _leaf(hsds.Accessibility)),
            phones=self._all("phone", "location_id", key, self.phone),
            schedules=self._all("schedule", "location_id", key, _leaf(hsds.Schedule)),
        )

    def organization_full(self, record: Record, *, services: bool) -> hsds.Organization:
        key = record["id"]
        return _make(
            hsds.Organization,
            record,
            additional_websites=self._all("url", "organization_id", key, _leaf(hsds.Url)),
            funding=self._all("funding", "organization_id", key, _leaf(hsds.Funding)),
            contacts=self._all("contact", "organization_id", key, self.contact),
            phones=self._all("phone", "organization_id", key, self.phone),
            locations=self._all("location", "organization_id", key, self.location_full),
            programs=self._all("program", "organization_id", key, _leaf(hsds.Program)),
            organization_identifiers=self._all(
                "organization_identifier", "organization_id", key, _leaf(hsds.OrganizationIdentifier)
            ),
            services=self._all(
                "service",
                "organization_id",
                key,
                functools.partial(self.service_full, with_sals=True, with_organization=False),
            )
            if services
            else None,
        )

    def _nested_organization(self, record: Record) -> hsds.Organization:
        return self.organization_full(record, services=False)

    def service_full(self, record: Record, *, with_sals: bool, with_organization: bool) -> hsds.Service:
        key = record["id"]
        organization = self.one("organization", record["organization_id"]) if with_organization else None
        program = self.one("program", record["program_id"])
        return _make(
            hsds.Service,
            record,
            additional_urls=self._all("url", "service_id", key, _leaf(hsds.Url)),
            phones=self._all("phone", "service_id", key, self.phone),
            schedules=self._all("schedule", "service_id", key, _leaf(hsds.Schedule)),
            service_areas=self._all("service_area", "service_id", key, _leaf(hsds.ServiceArea)),
            service_at_locations=self._all(
                "service_at_location",
                "service_id",
                key,
                functools.partial(self.sal_full, with_service=False),
            )
            if with_sals
            else None,
            languages=self._all("language", "service_id", key, _leaf(hsds.Language)),
            organization=self._memo("organization", organization, self._nested_organization)
            if organization
            else None,
            funding=self._all("funding", "service_id", key, _leaf(hsds.Funding)),
            cost_options=self._all("cost_option", "service_id", key, _leaf(hsds.CostOption)),
            program=_make(hsds.Program, program) if program else None,
            required_documents=self._all(
                "required_document", "service_id", key, _leaf(hsds.RequiredDocument)
            ),
            contacts=self._all("contact", "service_id", key, self.contact),
            # HSDS requires a capacity's unit: a number of nothing in particular is not shown.
            capacities=[
                self.capacity(capacity)
                for capacity in self.children("service_capacity", "service_id", key)
                if self.one("unit", capacity["unit_id"])
            ],
        )

    def service_list_item(self, record: Record) -> hsds.Service:
        organization = self.one("organization", record["organization_id"])
        program = self.one("program", record["program_id"])
        return _make(
            hsds.Service,
            record,
            organization=_make(hsds.Organization, organization) if organization else None,
            program=_make(hsds.Program, program) if program else None,
        )

    def sal_full(self, record: Record, *, with_service: bool) -> hsds.ServiceAtLocation:
        key = record["id"]
        location = self.one("location", record["location_id"])
        service = self.one("service", record["service_id"]) if with_service else None
        return _make(
            hsds.ServiceAtLocation,
            record,
            service_areas=self._all("service_area", "service_at_location_id", key, _leaf(hsds.ServiceArea)),
            contacts=self._all("contact", "service_at_location_id", key, self.contact),
            phones=self._all("phone", "service_at_location_id", key, self.phone),
            schedules=self._all("schedule", "service_at_location_id", key, _leaf(hsds.Schedule)),
            location=self.location_full(location) if location else None,
            service=self.service_full(service, with_sals=False, with_organization=True) if service else None,
        )

    def sal_list_item(self, record: Record) -> hsds.ServiceAtLocation:
        location = self.one("location", record["location_id"])
        service = self.one("service", record["service_id"])
        return _make(
            hsds.ServiceAtLocation,
            record,
            location=_make(hsds.Location, location) if location else None,
            service=self.service_list_item(service) if service else None,
        )


# One function per object kind and view: a batch of rows in, their Structs out, in the same order.


async def _services(graph: _Graph, records: list[Record], view: ServiceView) -> list[hsds.Service]:
    if view == "minimal":
        minimal = ("id", "name", "status", "last_modified")
        return [_make(hsds.Service, {name: record[name] for name in minimal}) for record in records]
    if view == "list":
        await graph.fetch("organization", id=_refs(records, "organization_id"))
        await graph.fetch("program", id=_refs(records, "program_id"))
        return [graph.service_list_item(record) for record in records]
    await graph.load_services(records, with_sals=True)
    items = [graph.service_full(record, with_sals=True, with_organization=True) for record in records]
    await graph.attach_attributes_and_metadata(items)
    return items


async def _organizations(
    graph: _Graph, records: list[Record], view: OrganizationView
) -> list[hsds.Organization]:
    if view == "list":
        return [_make(hsds.Organization, record) for record in records]
    full_services = view == "full_services"
    await graph.load_organizations(records, full_services=full_services)
    items = [graph.organization_full(record, services=full_services) for record in records]
    await graph.attach_attributes_and_metadata(items)
    if not full_services:
        # Added after the attributes pass: these services are HSDS's "simple information" only.
        for item, record in zip(items, records, strict=True):
            services = graph.children("service", "organization_id", record["id"])
            item.services = [_make(hsds.Service, service) for service in services] or None
    return items


async def _sals(
    graph: _Graph, records: list[Record], view: ServiceAtLocationView
) -> list[hsds.ServiceAtLocation]:
    if view == "list":
        services = await graph.fetch("service", id=_refs(records, "service_id"))
        await graph.fetch("location", id=_refs(records, "location_id"))
        await graph.fetch("organization", id=_refs(services, "organization_id"))
        await graph.fetch("program", id=_refs(services, "program_id"))
        return [graph.sal_list_item(record) for record in records]
    await graph.load_sals(records)
    items = [graph.sal_full(record, with_service=True) for record in records]
    await graph.attach_attributes_and_metadata(items)
    return items


async def _taxonomies(graph: _Graph, records: list[Record]) -> list[hsds.Taxonomy]:
    items = [graph.taxonomy(record) for record in records]
    await graph.attach_metadata(items)
    return items


async def _taxonomy_terms(graph: _Graph, records: list[Record]) -> list[hsds.TaxonomyTerm]:
    await graph.fetch("taxonomy", id=_refs(records, "taxonomy_id"))
    items = [graph.taxonomy_term(record) for record in records]
    await graph.attach_metadata(items)
    return items


# Listings: which rows a list shows, in which order.


@dataclass(frozen=True)
class _Listing(Generic[S]):
    kind: str
    # The filtered rows, selecting the given columns (joins included).
    query: Callable[[Sequence[ColumnElement[Any]]], Select[Any]]
    # Ordered by this column (case-folded first, then exact, then id), or by id alone when None.
    name: ColumnElement[Any] | None
    build: Callable[[_Graph, list[Record]], Awaitable[list[S]]]
    # Only the service_at_location listing has one: nearest first, then id.
    near: Near | None = None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _search(words: Sequence[str], *columns: ColumnElement[Any]) -> list[ColumnElement[bool]]:
    return [
        or_(*(column.ilike(f"%{_escape_like(word)}%", escape="\\") for column in columns)) for word in words
    ]


def _tagged(filters: Filters) -> list[Select[Any]]:
    """For each taxonomy filter, the ids of the objects one of its terms is attached to."""
    attribute, term = _table("attribute"), _table("taxonomy_term")
    tagged: list[Select[Any]] = []
    if filters.taxonomy_term_id is not None:
        tagged.append(
            select(attribute.c.link_id)
            .join(term, term.c.id == attribute.c.taxonomy_term_id)
            .where(
                attribute.c.active.is_(True),
                term.c.active.is_(True),
                term.c.id == filters.taxonomy_term_id,
            )
        )
    if filters.taxonomy_id is not None:
        tagged.append(
            select(attribute.c.link_id)
            .join(term, term.c.id == attribute.c.taxonomy_term_id)
            .where(
                attribute.c.active.is_(True),
                term.c.active.is_(True),
                term.c.taxonomy_id == filters.taxonomy_id,
            )
        )
    return tagged


def _postcode_matches(column: ColumnElement[Any], postcode: str) -> ColumnElement[bool]:
    zip5 = normalize_zip(postcode)
    if zip5 is not None:
        # A US ZIP matches its ZIP+4 forms too ("21215-1234", "212151234", "21215 1234").
        return or_(
            column == zip5,
            column.like(f"{zip5}-____"),
            column.like(f"{zip5}____"),
            column.like(f"{zip5} ____"),
        )
    compact = "".join(postcode.split()).upper()
    return func.upper(func.replace(column, " ", "")) == compact


def _service_listing(filters: Filters, view: ServiceView) -> _Listing[hsds.Service]:
    service = _table("service")
    conditions = [
        service.c.active.is_(True),
        *_search(filters.search, service.c.name, service.c.alternate_name, service.c.description),
    ]
    if filters.organization_id is not None:
        conditions.append(service.c.organization_id == filters.organization_id)
    if filters.modified_after is not None:
        conditions.append(service.c.updated_at >= filters.modified_after)
    conditions.extend(service.c.id.in_(tagged) for tagged in _tagged(filters))

    def query(columns: Sequence[ColumnElement[Any]]) -> Select[Any]:
        return select(*columns).where(*conditions)

    async def build(graph: _Graph, records: list[Record]) -> list[hsds.Service]:
        return await _services(graph, records, view)

    return _Listing("service", query, service.c.name, build)


def _organization_listing(filters: Filters, view: OrganizationView) -> _Listing[hsds.Organization]:
    organization, service = _table("organization"), _table("service")
    conditions = [
        organization.c.active.is_(True),
        *_search(
            filters.search, organization.c.name, organization.c.alternate_name, organization.c.description
        ),
    ]
    for tagged in _tagged(filters):
        # Terms are usually attached to services; an organization shows under the terms of its services too.
        of_services = select(service.c.organization_id).where(
            service.c.active.is_(True), service.c.id.in_(tagged)
        )
        conditions.append(or_(organization.c.id.in_(tagged), organization.c.id.in_(of_services)))

    def query(columns: Sequence[ColumnElement[Any]]) -> Select[Any]:
        return select(*columns).where(*conditions)

    async def build(graph: _Graph, records: list[Record]) -> list[hsds.Organization]:
        return await _organizations(graph, records, view)

    return _Listing("organization", query, organization.c.name, build)


def _sal_listing(filters: Filters, view: ServiceAtLocationView) -> _Listing[hsds.ServiceAtLocation]:
    sal, service, location, address = (
        _table("service_at_location"),
        _table("service"),
        _table("location"),
        _table("address"),
    )
    # A service_at_location of a service that is no longer listed is not listed either.
    joined = sal.join(service, and_(service.c.id == sal.c.service_id, service.c.active.is_(True))).outerjoin(
        location, and_(location.c.id == sal.c.location_id, location.c.active.is_(True))
    )
    conditions = [
        sal.c.active.is_(True),
        *_search(
            filters.search,
            service.c.name,
            service.c.alternate_name,
            service.c.description,
            sal.c.description,
            location.c.name,
        ),
    ]
    if filters.organization_id is not None:
        conditions.append(service.c.organization_id == filters.organization_id)
    if filters.modified_after is not None:
        conditions.append(sal.c.updated_at >= filters.modified_after)
    conditions.extend(or_(sal.c.id.in_(tagged), sal.c.service_id.in_(tagged)) for tagged in _tagged(filters))
    if filters.postcode is not None and filters.near is None:
        in_postcode = select(address.c.location_id).where(
            address.c.active.is_(True), _postcode_matches(address.c.postal_code, filters.postcode)
        )
        conditions.append(sal.c.location_id.in_(in_postcode))

    def query(columns: Sequence[ColumnElement[Any]]) -> Select[Any]:
        return select(*columns).select_from(joined).where(*conditions)

    async def build(graph: _Graph, records: list[Record]) -> list[hsds.ServiceAtLocation]:
        return await _sals(graph, records, view)

    return _Listing("service_at_location", query, None, build, near=filters.near)


def _taxonomy_listing(filters: Filters) -> _Listing[hsds.Taxonomy]:
    taxonomy = _table("taxonomy")
    conditions = [
        taxonomy.c.active.is_(True),
        *_search(filters.search, taxonomy.c.name, taxonomy.c.description),
    ]

    def query(columns: Sequence[ColumnElement[Any]]) -> Select[Any]:
        return select(*columns).where(*conditions)

    return _Listing("taxonomy", query, taxonomy.c.name, _taxonomies)


def _taxonomy_term_listing(filters: Filters) -> _Listing[hsds.TaxonomyTerm]:
    term = _table("taxonomy_term")
    conditions = [
        term.c.active.is_(True),
        *_search(filters.search, term.c.name, term.c.description, term.c.code),
    ]
    if filters.taxonomy_id is not None:
        conditions.append(term.c.taxonomy_id == filters.taxonomy_id)
    if filters.parent_id is not None:
        conditions.append(term.c.parent_id == filters.parent_id)
    if filters.top_only:
        conditions.append(term.c.parent_id.is_(None))

    def query(columns: Sequence[ColumnElement[Any]]) -> Select[Any]:
        return select(*columns).where(*conditions)

    return _Listing("taxonomy_term", query, term.c.name, _taxonomy_terms)


def _ordering(listing: _Listing[S], dialect: str) -> list[ColumnElement[Any]]:
    key = _table(listing.kind).c.id
    if listing.name is None:
        return [key]
    folded: ColumnElement[Any] = func.lower(listing.name)
    exact = listing.name
    if dialect == "postgresql":
        # Byte order, as SQLite compares: the same request pages the same way on both backends.
        folded, exact = folded.collate("C"), exact.collate("C")
    return [listing.name.is_(None), folded, exact, key]


async def _ranked(session: AsyncSession, listing: _Listing[S], near: Near) -> list[uuid.UUID]:
    """Ids within the circle, nearest first: a bounding box in SQL, the exact distance here."""
    location = _table("location")
    min_lat, max_lat, min_lng, max_lng = bounding_box(near.latitude, near.longitude, near.radius_km)
    statement = listing.query([_table(listing.kind).c.id, location.c.latitude, location.c.longitude]).where(
        location.c.latitude.between(min_lat, max_lat), location.c.longitude.between(min_lng, max_lng)
    )
    ranked: list[tuple[float, uuid.UUID]] = []
    for key, latitude, longitude in await session.execute(statement):
        distance = great_circle_km(near.latitude, near.longitude, latitude, longitude)
        if distance <= near.radius_km:
            ranked.append((distance, key))
    ranked.sort()
    return [key for _, key in ranked]


async def _ordered_ids(session: AsyncSession, listing: _Listing[S]) -> list[uuid.UUID]:
    if listing.near is not None:
        return await _ranked(session, listing, listing.near)
    statement = listing.query([_table(listing.kind).c.id]).order_by(
        *_ordering(listing, session.get_bind().dialect.name)
    )
    return list((await session.execute(statement)).scalars())


async def _in_order(graph: _Graph, kind: str, keys: Sequence[uuid.UUID]) -> list[Record]:
    found = {record["id"]: record for record in await graph.fetch(kind, id=keys)}
    return [found[key] for key in keys if key in found]


async def _page(session: AsyncSession, listing: _Listing[S], request: PageRequest) -> Page[S]:
    graph = _Graph(session)
    if listing.near is not None:
        ranked = await _ranked(session, listing, listing.near)
        total = len(ranked)
        window = ranked[request.offset : request.offset + request.per_page]
        records = await _in_order(graph, listing.kind, window)
    else:
        spec = _KINDS[listing.kind]
        count = select(func.count()).select_from(listing.query([spec.table.c.id]).subquery())
        total = (await session.execute(count)).scalar_one()
        statement = (
            listing.query([spec.table.c[name] for name in spec.columns])
            .order_by(*_ordering(listing, session.get_bind().dialect.name))
            .limit(request.per_page)
            .offset(request.offset)
        )
        records = [dict(zip(spec.columns, row, strict=True)) for row in await session.execute(statement)]
    return make_page(await listing.build(graph, records), total, request)


async def _stream(
    sessions: async_sessionmaker[AsyncSession], listing: _Listing[S]
) -> AsyncIterator[list[S]]:
    # Its own session: a stream outlives the request's, which closes when the handler returns.
    async with sessions() as session:
        keys = await _ordered_ids(session, listing)
        for start in range(0, len(keys), STREAM_BATCH):
            graph = _Graph(session)
            records = await _in_order(graph, listing.kind, keys[start : start + STREAM_BATCH])
            yield await listing.build(graph, records)


async def _one(graph: _Graph, kind: str, key: uuid.UUID) -> Record:
    records = await graph.fetch(kind, id=[key])
    if not records:
        raise NotFound(f"No listed {kind} has the id {key}.")
    return records[0]


# The read side's public face: one function per route.


async def list_services(
    session: AsyncSession, filters: Filters, request: PageRequest, view: ServiceView
) -> Page[hsds.Service]:
    return await _page(session, _service_listing(filters, view), request)


def stream_services(
    sessions: async_sessionmaker[AsyncSession], filters: Filters, view: ServiceView
) -> AsyncIterator[list[hsds.Service]]:
    return _stream(sessions, _service_listing(filters, view))


async def get_service(session: AsyncSession, service_id: uuid.UUID) -> hsds.Service:
    graph = _Graph(session)
    record = await _one(graph, "service", service_id)
    return (await _services(graph, [record], "full"))[0]


async def list_organizations(
    session: AsyncSession, filters: Filters, request: PageRequest, view: OrganizationView
) -> Page[hsds.Organization]:
    return await _page(session, _organization_listing(filters, view), request)


def stream_organizations(
    sessions: async_sessionmaker[AsyncSession], filters: Filters, view: OrganizationView
) -> AsyncIterator[list[hsds.Organization]]:
    return _stream(sessions, _organization_listing(filters, view))


async def get_organization(
    session: AsyncSession, organization_id: uuid.UUID, *, full_services: bool
) -> hsds.Organization:
    graph = _Graph(session)
    record = await _one(graph, "organization", organization_id)
    return (await _organizations(graph, [record], "full_services" if full_services else "full"))[0]


async def list_service_at_locations(
    session: AsyncSession, filters: Filters, request: PageRequest, view: ServiceAtLocationView
) -> Page[hsds.ServiceAtLocation]:
    return await _page(session, _sal_listing(filters, view), request)


def stream_service_at_locations(
    sessions: async_sessionmaker[AsyncSession], filters: Filters, view: ServiceAtLocationView
) -> AsyncIterator[list[hsds.ServiceAtLocation]]:
    return _stream(sessions, _sal_listing(filters, view))


async def get_service_at_location(session: AsyncSession, sal_id: uuid.UUID) -> hsds.ServiceAtLocation:
    graph = _Graph(session)
    record = await _one(graph, "service_at_location", sal_id)
    if record["service_id"] is None or not await graph.fetch("service", id=[record["service_id"]]):
        raise NotFound(f"No listed service_at_location has the id {sal_id}.")
    return (await _sals(graph, [record], "full"))[0]


async def list_taxonomies(
    session: AsyncSession, filters: Filters, request: PageRequest
) -> Page[hsds.Taxonomy]:
    return await _page(session, _taxonomy_listing(filters), request)


def stream_taxonomies(
    sessions: async_sessionmaker[AsyncSession], filters: Filters
) -> AsyncIterator[list[hsds.Taxonomy]]:
    return _stream(sessions, _taxonomy_listing(filters))


async def get_taxonomy(session: AsyncSession, taxonomy_id: uuid.UUID) -> hsds.Taxonomy:
    graph = _Graph(session)
    return (await _taxonomies(graph, [await _one(graph, "taxonomy", taxonomy_id)]))[0]


async def list_taxonomy_terms(
    session: AsyncSession, filters: Filters, request: PageRequest
) -> Page[hsds.TaxonomyTerm]:
    return await _page(session, _taxonomy_term_listing(filters), request)


def stream_taxonomy_terms(
    sessions: async_sessionmaker[AsyncSession], filters: Filters
) -> AsyncIterator[list[hsds.TaxonomyTerm]]:
    return _stream(sessions, _taxonomy_term_listing(filters))


async def get_taxonomy_term(session: AsyncSession, term_id: uuid.UUID) -> hsds.TaxonomyTerm:
    graph = _Graph(session)
    return (await _taxonomy_terms(graph, [await _one(graph, "taxonomy_term", term_id)]))[0]
