"""HSDS 3 JSON reader: API-shaped documents (nested objects, pages, NDJSON, tabular JSON) as flat records."""

from __future__ import annotations

import mmap
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import msgspec

from directory_import.records import (
    KIND_ORDER,
    ObjectKind,
    RejectedRecord,
    SourceRecord,
    SourceUnreadable,
)

__all__ = [
    "TABLE_FILES",
    "TABLE_ORDER",
    "Flattener",
    "Hsds3JsonReader",
    "guess_kind",
    "json_files",
    "kind_hint_from_name",
]


class _Nested(NamedTuple):
    """How an object nested under a key relates to the object that holds it."""

    kind: ObjectKind
    is_parent: bool  # True: the holder points at the nested object (`ref` is the holder's field)
    ref: str  # the reference field, on the nested child or (for a parent) on the holder
    entity_field: str | None = None  # attribute/metadata also name the holder's kind


_ATTRIBUTES = _Nested("attribute", False, "link_id", "link_entity")
_METADATA = _Nested("metadata", False, "resource_id", "resource_type")

# Nested keys of the HSDS 3.1 schemas (schema/*.json) and the API's compiled documents.
NESTED: dict[str, dict[str, _Nested]] = {
    "service": {
        "organization": _Nested("organization", True, "organization_id"),
        "program": _Nested("program", True, "program_id"),
        "additional_urls": _Nested("url", False, "service_id"),
        "phones": _Nested("phone", False, "service_id"),
        "schedules": _Nested("schedule", False, "service_id"),
        "service_areas": _Nested("service_area", False, "service_id"),
        "service_at_locations": _Nested("service_at_location", False, "service_id"),
        "languages": _Nested("language", False, "service_id"),
        "funding": _Nested("funding", False, "service_id"),
        "cost_options": _Nested("cost_option", False, "service_id"),
        "required_documents": _Nested("required_document", False, "service_id"),
        "contacts": _Nested("contact", False, "service_id"),
        "capacities": _Nested("service_capacity", False, "service_id"),
    },
    "organization": {
        "additional_websites": _Nested("url", False, "organization_id"),
        "funding": _Nested("funding", False, "organization_id"),
        "contacts": _Nested("contact", False, "organization_id"),
        "phones": _Nested("phone", False, "organization_id"),
        "locations": _Nested("location", False, "organization_id"),
        "programs": _Nested("program", False, "organization_id"),
        "organization_identifiers": _Nested("organization_identifier", False, "organization_id"),
        "services": _Nested("service", False, "organization_id"),
    },
    "service_at_location": {
        "service": _Nested("service", True, "service_id"),
        "location": _Nested("location", True, "location_id"),
        "service_areas": _Nested("service_area", False, "service_at_location_id"),
        "contacts": _Nested("contact", False, "service_at_location_id"),
        "phones": _Nested("phone", False, "service_at_location_id"),
        "schedules": _Nested("schedule", False, "service_at_location_id"),
    },
    "location": {
        "languages": _Nested("language", False, "location_id"),
        "addresses": _Nested("address", False, "location_id"),
        "contacts": _Nested("contact", False, "location_id"),
        "accessibility": _Nested("accessibility", False, "location_id"),
        "phones": _Nested("phone", False, "location_id"),
        "schedules": _Nested("schedule", False, "location_id"),
    },
    "contact": {"phones": _Nested("phone", False, "contact_id")},
    "phone": {"languages": _Nested("language", False, "phone_id")},
    "service_capacity": {"unit": _Nested("unit", True, "unit_id")},
    "attribute": {"taxonomy_term": _Nested("taxonomy_term", True, "taxonomy_term_id")},
    "taxonomy_term": {"taxonomy_detail": _Nested("taxonomy", True, "taxonomy_id")},
}
for _kind in KIND_ORDER:
    _table = NESTED.setdefault(_kind, {})
    _table.setdefault("metadata", _METADATA)
    # HSDS 3.1 gives attributes to every object except taxonomy, taxonomy_term, metadata and attribute.
    if _kind not in ("taxonomy", "taxonomy_term", "metadata", "attribute"):
        _table.setdefault("attributes", _ATTRIBUTES)
del _kind, _table

# KIND_ORDER puts funding and url before service although both may point at a service; tables are
# read with them moved right after service (as csv_util.OUTPUT_ORDER does for the other CSV readers).
TABLE_ORDER: tuple[ObjectKind, ...] = tuple(
    kind
    for base in KIND_ORDER
    if base not in ("funding", "url")
    for kind in ((base, "funding", "url") if base == "service" else (base,))
)

_REF_TARGETS: dict[str, ObjectKind] = {
    "organization_id": "organization",
    "parent_organization_id": "organization",
    "program_id": "program",
    "service_id": "service",
    "location_id": "location",
    "service_at_location_id": "service_at_location",
    "contact_id": "contact",
    "phone_id": "phone",
    "unit_id": "unit",
    "taxonomy_id": "taxonomy",
    "taxonomy_term_id": "taxonomy_term",
}
# Fields that hold another object's source id: an integer id in the source becomes its string form.
REFERENCE_FIELDS: frozenset[str] = frozenset({*_REF_TARGETS, "parent_id", "link_id", "resource_id"})

# HSDS 3.1 tabular file name -> kind (datapackage.json `path`), plus spellings seen in the wild.
TABLE_FILES: dict[str, ObjectKind] = {
    "taxonomies.csv": "taxonomy",
    "taxonomy_terms.csv": "taxonomy_term",
    "organizations.csv": "organization",
    "organization_identifiers.csv": "organization_identifier",
    "programs.csv": "program",
    "funding.csv": "funding",
    "url.csv": "url",
    "urls.csv": "url",
    "locations.csv": "location",
    "addresses.csv": "address",
    "accessibility.csv": "accessibility",
    "services.csv": "service",
    "service_at_location.csv": "service_at_location",
    "service_at_locations.csv": "service_at_location",
    "service_areas.csv": "service_area",
    "cost_options.csv": "cost_option",
    "required_documents.csv": "required_document",
    "units.csv": "unit",
    "service_capacity.csv": "service_capacity",
    "service_capacities.csv": "service_capacity",
    "contacts.csv": "contact",
    "phones.csv": "phone",
    "schedules.csv": "schedule",
    "languages.csv": "language",
    "attributes.csv": "attribute",
    "metadata.csv": "metadata",
}

# Keys that only one of the documents the HSDS API returns carries (organization_full, service_full, ...).
_SIGNATURES: dict[ObjectKind, frozenset[str]] = {
    "service": frozenset(
        {
            "status", "service_at_locations", "additional_urls", "capacities", "cost_options",
            "required_documents", "program", "program_id", "organization", "fees_description",
            "eligibility_description", "application_process", "interpretation_services", "minimum_age",
            "maximum_age", "assured_date", "assurer_email", "wait_time", "fees", "accreditations",
            "licenses", "alert", "last_modified",
        }
    ),
    "organization": frozenset(
        {
            "services", "locations", "programs", "organization_identifiers", "additional_websites",
            "website", "tax_status", "tax_id", "year_incorporated", "legal_status", "logo",
            "parent_organization_id",
        }
    ),
    "service_at_location": frozenset({"service", "location"}),
    "location": frozenset(
        {
            "location_type", "addresses", "accessibility", "latitude", "longitude", "transportation",
            "external_identifier", "external_identifier_type",
        }
    ),
    "taxonomy_term": frozenset(
        {"taxonomy_detail", "taxonomy_id", "parent_id", "code", "term_uri", "taxonomy"}
    ),
    "taxonomy": frozenset({"version"}),
}

# Longest first: "service_at_location_list.json" must not read as a service, nor "taxonomy_terms" as taxonomy.
_NAME_HINTS: tuple[tuple[str, ObjectKind], ...] = (
    ("service_at_location", "service_at_location"),
    ("taxonomy_term", "taxonomy_term"),
    ("taxonomies", "taxonomy"),
    ("taxonomy", "taxonomy"),
    ("organization", "organization"),
    ("location", "location"),
    ("service", "service"),
)

_MAX_DEPTH = 32
_JSON_SUFFIXES = (".json", ".ndjson", ".jsonl")
_NDJSON_SUFFIXES = (".ndjson", ".jsonl")
_MMAP_FROM_BYTES = 1 << 20
_TOP_LEVEL = list[msgspec.Raw] | dict[str, msgspec.Raw]
_decode_any = msgspec.json.Decoder()
_decode_top = msgspec.json.Decoder(_TOP_LEVEL)


def kind_hint_from_name(name: str) -> ObjectKind | None:
    """The kind a file name announces ("service_full.json" -> service), if any."""
    stem = name.lower()
    for prefix, kind in _NAME_HINTS:
        if stem.startswith(prefix):
            return kind
    return None


def guess_kind(doc: dict[str, Any], hint: ObjectKind | None = None) -> ObjectKind | None:
    """Which HSDS object a top-level document is: by its distinctive keys, else by the hint."""
    scores = {kind: len(signature.intersection(doc)) for kind, signature in _SIGNATURES.items()}
    best = max(scores.values())
    if best:
        leaders = [kind for kind, score in scores.items() if score == best]
        if len(leaders) == 1:
            return leaders[0]
        if hint in leaders:
            return hint
        return None
    return hint


def _is_api_info(doc: dict[str, Any]) -> bool:
    # `GET /` of an HSDS API (examples/base.json): it describes the API and holds no directory data.
    return "id" not in doc and ("openapi_url" in doc or ("version" in doc and "profile" in doc))


def _is_tabular(doc: dict[str, Any]) -> bool:
    return bool(doc) and all(key.endswith(".csv") for key in doc)


def _source_id(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return value or None
    if isinstance(value, int):
        return str(value)
    return None


class _Pending:
    __slots__ = ("fields", "kind", "origin", "source_id")

    def __init__(self, kind: ObjectKind, source_id: str, fields: dict[str, Any], origin: str) -> None:
        self.kind = kind
        self.source_id = source_id
        self.fields = fields
        self.origin = origin


class _Document:
    """The records of one top-level document, merged by (kind, id) before they are ordered."""

    def __init__(self) -> None:
        self.pending: dict[tuple[str, str], _Pending] = {}
        self.rejected: list[RejectedRecord] = []

    def add(self, kind: ObjectKind, source_id: str, fields: dict[str, Any], origin: str) -> None:
        key = (kind, source_id)
        known = self.pending.get(key)
        if known is None:
            self.pending[key] = _Pending(kind, source_id, fields, origin)
            return
        # The same object nested under several holders (a phone under its service, location and
        # contact) is one row of the tabular form with every reference filled in.
        for name, value in fields.items():
            known.fields.setdefault(name, value)

    def ordered(self) -> list[_Pending]:
        """Records with every object before the objects of this document that point at it."""
        by_id: dict[str, list[tuple[str, str]]] = {}
        for key in self.pending:
            by_id.setdefault(key[1], []).append(key)
        done: set[tuple[str, str]] = set()
        out: list[_Pending] = []

        def targets(record: _Pending) -> Iterator[tuple[str, str]]:
            for name, value in record.fields.items():
                if not isinstance(value, str):
                    continue
                if name in _REF_TARGETS:
                    yield (_REF_TARGETS[name], value)
                elif name == "parent_id":
                    yield (record.kind, value)
                elif name in ("link_id", "resource_id"):
                    yield from by_id.get(value, ())

        def visit(key: tuple[str, str]) -> None:
            if key in done:
                return
            # Marked before its dependencies so that a reference cycle keeps document order.
            done.add(key)
            record = self.pending[key]
            for target in targets(record):
                if target != key and target in self.pending:
                    visit(target)
            out.append(record)

        for key in self.pending:
            visit(key)
        return out


class Flattener:
    """Turns nested HSDS 3 documents into flat records, each (kind, id) once per reader."""

    def __init__(self) -> None:
        # Per-kind sets of ids rather than (kind, id) tuples: the tuples would double the memory.
        self._seen: dict[str, set[str]] = {}

    def seen(self, kind: str, source_id: Any) -> bool:
        """Whether this reader already yielded the object."""
        key = _source_id(source_id)
        return key is not None and key in self._seen.get(kind, ())

    def document(
        self,
        doc: Any,
        origin: str,
        *,
        kind: ObjectKind | None = None,
        hint: ObjectKind | None = None,
        skip: frozenset[str] = frozenset(),
    ) -> Iterator[SourceRecord | RejectedRecord]:
        """Records of one top-level document; `kind` when the caller knows it, else guessed."""
        if not isinstance(doc, dict):
            yield RejectedRecord(
                origin, kind or "unknown", None, None, f"expected a JSON object, found {_json_type(doc)}"
            )
            return
        if kind is None:
            if _is_api_info(doc):
                return
            kind = guess_kind(doc, hint)
            if kind is None:
                keys = ", ".join(sorted(doc)[:12]) or "no keys"
                yield RejectedRecord(
                    origin,
                    "unknown",
                    _source_id(doc.get("id")),
                    None,
                    "cannot tell which HSDS 3 object this is (expected a service, organization, "
                    f"service_at_location, location, taxonomy or taxonomy_term; found keys: {keys})",
                )
                return
        collected = _Document()
        self._collect(collected, doc, kind, origin, inherited={}, skip=skip, depth=0)
        yield from self._emit(collected)

    def table_rows(
        self, kind: ObjectKind, rows: Iterable[Any], origin: str
    ) -> Iterator[SourceRecord | RejectedRecord]:
        """Flat rows of one table (tabular JSON): scalar fields only, each row its own record."""
        for number, row in enumerate(rows, start=1):
            row_origin = f"{origin} row {number}"
            if not isinstance(row, dict):
                yield RejectedRecord(
                    row_origin, kind, None, None, f"expected a JSON object, found {_json_type(row)}"
                )
                continue
            collected = _Document()
            self._collect(collected, row, kind, row_origin, inherited={}, skip=frozenset(), depth=0)
            yield from self._emit(collected)

    def _emit(self, collected: _Document) -> Iterator[SourceRecord | RejectedRecord]:
        for record in collected.ordered():
            seen = self._seen.setdefault(record.kind, set())
            if record.source_id in seen:
                continue
            seen.add(record.source_id)
            yield SourceRecord(record.kind, record.source_id, record.fields, record.origin)
        yield from collected.rejected

    def _collect(
        self,
        collected: _Document,
        obj: dict[str, Any],
        kind: ObjectKind,
        origin: str,
        *,
        inherited: dict[str, str],
        skip: frozenset[str],
        depth: int,
    ) -> str | None:
        """Gather `obj` and what it nests into `collected`; return its id (None when it has none)."""
        source_id = _source_id(obj.get("id"))
        if source_id is None:
            reason = "has no id" if obj.get("id") in (None, "") else "has an id that is not a string"
            collected.rejected.append(RejectedRecord(origin, kind, None, "id", f"the {kind} {reason}"))
        nested = NESTED[kind]
        fields: dict[str, Any] = {}
        children: list[tuple[str, _Nested, Any]] = []
        for name, value in obj.items():
            if name == "id" or value is None or value == "":
                continue
            link = nested.get(name)
            if link is not None:
                if name not in skip:
                    children.append((name, link, value))
                continue
            if isinstance(value, str | int | float | bool):
                if name in REFERENCE_FIELDS and not isinstance(value, str):
                    reference = _source_id(value)
                    if reference is not None:
                        fields[name] = reference
                else:
                    fields[name] = value
            # Values nested under keys HSDS does not define (profile extensions) have no table to go to.
        for name, value in inherited.items():
            fields.setdefault(name, value)

        if depth >= _MAX_DEPTH and children:
            collected.rejected.append(
                RejectedRecord(origin, kind, source_id, None, f"objects nested more than {_MAX_DEPTH} deep")
            )
            children = []

        for name, link, value in children:
            if not link.is_parent:
                continue
            if not isinstance(value, dict):
                collected.rejected.append(_not_an_object(f"{origin} > {name}", link.kind, name, value))
                continue
            parent_id = self._collect(
                collected, value, link.kind, f"{origin} > {name}", inherited={}, skip=skip, depth=depth + 1
            )
            if parent_id is not None:
                fields.setdefault(link.ref, parent_id)

        if source_id is not None:
            collected.add(kind, source_id, fields, origin)

        for name, link, value in children:
            if link.is_parent:
                continue
            items = value if isinstance(value, list) else [value]
            for index, item in enumerate(items):
                item_origin = f"{origin} > {name}" + (f"[{index}]" if isinstance(value, list) else "")
                if not isinstance(item, dict):
                    collected.rejected.append(_not_an_object(item_origin, link.kind, name, item))
                    continue
                passed: dict[str, str] = {}
                if source_id is not None:
                    passed[link.ref] = source_id
                    if link.entity_field is not None:
                        passed[link.entity_field] = kind
                self._collect(
                    collected, item, link.kind, item_origin, inherited=passed, skip=skip, depth=depth + 1
                )
        return source_id


def _not_an_object(origin: str, kind: ObjectKind, name: str, value: Any) -> RejectedRecord:
    return RejectedRecord(origin, kind, None, name, f"expected a JSON object, found {_json_type(value)}")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def json_files(folder: Path) -> list[Path]:
    """The JSON/NDJSON data files of a folder, parents' files first (taxonomies ... service_at_locations)."""
    files = [
        path
        for path in folder.iterdir()
        if path.is_file()
        and path.suffix.lower() in _JSON_SUFFIXES
        and path.name.lower() != "datapackage.json"
        and not path.name.startswith(".")
    ]

    def rank(path: Path) -> tuple[int, str]:
        hint = kind_hint_from_name(path.name)
        return (KIND_ORDER.index(hint) if hint is not None else len(KIND_ORDER), path.name)

    return sorted(files, key=rank)


class Hsds3JsonReader:
    """HSDS 3 JSON as the API returns it, from one file (.json, .ndjson) or a folder of such files."""

    format_name = "hsds3-json"

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def looks_like(cls, path: Path) -> bool:
        """A JSON/NDJSON file, or a folder holding at least one."""
        if path.is_dir():
            return bool(json_files(path))
        if path.suffix.lower() in _JSON_SUFFIXES:
            return True
        try:
            with path.open("rb") as handle:
                start = handle.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
        except OSError:
            return False
        return start[:1] in (b"{", b"[")

    def records(self) -> Iterator[SourceRecord | RejectedRecord]:
        """Stream every document's records; raise SourceUnreadable for a file that is not JSON at all."""
        flattener = Flattener()
        if self.path.is_dir():
            files = json_files(self.path)
            if not files:
                raise SourceUnreadable(f"{self.path} holds no .json or .ndjson files")
            for path in files:
                yield from self._file(flattener, path)
        elif self.path.is_file():
            yield from self._file(flattener, self.path)
        else:
            raise SourceUnreadable(f"{self.path} is neither a file nor a folder")

    def _file(self, flattener: Flattener, path: Path) -> Iterator[SourceRecord | RejectedRecord]:
        name = path.name
        hint = kind_hint_from_name(path.name)
        if path.suffix.lower() in _NDJSON_SUFFIXES:
            yield from _ndjson(flattener, path, name, hint)
            return
        try:
            size = path.stat().st_size
            if size == 0:
                raise SourceUnreadable(f"{name} is empty: expected an HSDS 3 JSON document")
            with path.open("rb") as handle:
                if size < _MMAP_FROM_BYTES:
                    yield from _buffer(flattener, handle.read(), path, name, hint)
                    return
                # A mapped file lets a big array be split into raw items without a copy in memory.
                with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                    yield from _buffer(flattener, mapped, path, name, hint)
        except OSError as exc:
            raise SourceUnreadable(f"cannot read {name}: {exc.strerror or exc}") from exc


def _buffer(
    flattener: Flattener, data: bytes | mmap.mmap, path: Path, name: str, hint: ObjectKind | None
) -> Iterator[SourceRecord | RejectedRecord]:
    try:
        top = _decode_top.decode(data)
    except msgspec.DecodeError as exc:
        if _looks_like_ndjson(data):
            yield from _ndjson(flattener, path, name, hint)
            return
        raise SourceUnreadable(
            f"{name} is not an HSDS 3 JSON document (an object, an array of objects or NDJSON): {exc}"
        ) from exc
    if isinstance(top, list):
        yield from _items(flattener, top, f"{name} item", hint)
        return
    contents = top.get("contents")
    if contents is not None:
        items = _decode_any.decode(contents)
        if not isinstance(items, list):
            raise SourceUnreadable(
                f"{name}: `contents` of a page must be an array, found {_json_type(items)}"
            )
        for number, doc in enumerate(items, start=1):
            yield from flattener.document(doc, f"{name} contents[{number - 1}]", hint=hint)
        return
    if _is_tabular(top):
        yield from _tabular(flattener, top, name)
        return
    doc = {key: _decode_any.decode(raw) for key, raw in top.items()}
    del top
    yield from flattener.document(doc, name, hint=hint)


def _items(
    flattener: Flattener, raws: list[msgspec.Raw], origin: str, hint: ObjectKind | None
) -> Iterator[SourceRecord | RejectedRecord]:
    for number in range(len(raws)):
        doc = _decode_any.decode(raws[number])
        # Released as it goes: a big array keeps only raw slices of the file, not decoded objects.
        raws[number] = msgspec.Raw()
        yield from flattener.document(doc, f"{origin} {number + 1}", hint=hint)


def _tabular(
    flattener: Flattener, top: dict[str, msgspec.Raw], name: str
) -> Iterator[SourceRecord | RejectedRecord]:
    # examples/tabular.json: {"organizations.csv": [rows], ...}, one key per table of the datapackage.
    tables = sorted(
        ((TABLE_FILES[key], key) for key in top if key in TABLE_FILES),
        key=lambda pair: TABLE_ORDER.index(pair[0]),
    )
    for kind, key in tables:
        rows = _decode_any.decode(top[key])
        if not isinstance(rows, list):
            reason = f"expected an array, found {_json_type(rows)}"
            yield RejectedRecord(f"{name} {key}", kind, None, None, reason)
            continue
        yield from flattener.table_rows(kind, rows, f"{name} {key}")


def _looks_like_ndjson(data: bytes | mmap.mmap) -> bool:
    end = data.find(b"\n")
    if end <= 0:
        return False
    try:
        first = _decode_any.decode(data[:end])
    except msgspec.DecodeError:
        return False
    return isinstance(first, dict)


def _ndjson(
    flattener: Flattener, path: Path, name: str, hint: ObjectKind | None
) -> Iterator[SourceRecord | RejectedRecord]:
    try:
        with path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                origin = f"{name} line {number}"
                try:
                    doc = _decode_any.decode(line)
                except msgspec.DecodeError as exc:
                    yield RejectedRecord(origin, "unknown", None, None, f"not valid JSON: {exc}")
                    continue
                if isinstance(doc, dict) and isinstance(doc.get("contents"), list):
                    # A saved API page per line: its items are the documents.
                    doc = doc["contents"]
                if isinstance(doc, list):
                    for index, item in enumerate(doc, start=1):
                        yield from flattener.document(item, f"{origin} item {index}", hint=hint)
                else:
                    yield from flattener.document(doc, origin, hint=hint)
    except OSError as exc:
        raise SourceUnreadable(f"cannot read {name}: {exc.strerror or exc}") from exc
