"""HSDS 3 CSV reader: the tabular package (one CSV per table, optional datapackage.json) as records."""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import msgspec

from directory_import.formats.hsds3_json import TABLE_FILES, TABLE_ORDER
from directory_import.records import (
    KIND_ORDER,
    ObjectKind,
    RejectedRecord,
    SourceRecord,
    SourceUnreadable,
)

__all__ = ["NUMBER_COLUMNS", "Hsds3CsvReader", "package_generation"]

ColumnType = Literal["number", "integer", "boolean"]

# Typed columns of HSDS 3.1 (schema/*.json); the 3.1 datapackage.json misses service_capacity's.
NUMBER_COLUMNS: dict[ObjectKind, dict[str, ColumnType]] = {
    "organization": {"year_incorporated": "number"},
    "service": {"minimum_age": "number", "maximum_age": "number"},
    "location": {"latitude": "number", "longitude": "number"},
    "phone": {"extension": "number"},
    "schedule": {"timezone": "number", "count": "number", "interval": "number"},
    "cost_option": {"amount": "number"},
    "service_capacity": {"available": "number", "maximum": "number"},
}

# File names only one generation of the tabular format uses (HSDS 1.1/2.0 datapackages vs 3.x).
LEGACY_ONLY_FILES = frozenset(
    {
        "services_at_location.csv",
        "regular_schedules.csv",
        "holiday_schedules.csv",
        "physical_addresses.csv",
        "postal_addresses.csv",
        "services_taxonomy.csv",
        "accessibility_for_disabilities.csv",
        "payments_accepted.csv",
        "eligibility.csv",
        "service_attributes.csv",
        "other_attributes.csv",
    }
)
HSDS3_ONLY_FILES = frozenset(
    {
        "service_at_location.csv",
        "url.csv",
        "units.csv",
        "service_capacity.csv",
        "attributes.csv",
        "cost_options.csv",
        "organization_identifiers.csv",
        "taxonomies.csv",
    }
)

_TRUE = frozenset({"true", "1", "yes", "y"})
_FALSE = frozenset({"false", "0", "no", "n"})
_INTEGER = re.compile(r"[+-]?\d+")
_KINDS: dict[str, ObjectKind] = {kind: kind for kind in KIND_ORDER}


class _Resource(msgspec.Struct):
    name: str | None = None
    path: str | list[str] | None = None
    schema: dict[str, Any] | str | None = None


class _Package(msgspec.Struct):
    version: str | int | float | None = None
    resources: list[_Resource] = []


class _Table(msgspec.Struct, frozen=True):
    kind: ObjectKind
    path: Path
    types: dict[str, ColumnType]


def _read_package(folder: Path) -> _Package | None:
    descriptor = folder / "datapackage.json"
    if not descriptor.is_file():
        return None
    try:
        return msgspec.json.decode(descriptor.read_bytes(), type=_Package)
    except (OSError, msgspec.DecodeError) as exc:
        raise SourceUnreadable(f"{descriptor.name} in {folder} cannot be read: {exc}") from exc


def _resource_paths(resource: _Resource) -> list[str]:
    if isinstance(resource.path, str):
        return [resource.path]
    return list(resource.path or [])


def package_generation(folder: Path) -> Literal["3", "legacy"] | None:
    """Which generation of HSDS tabular data a folder holds, from its datapackage.json and file names."""
    try:
        package = _read_package(folder)
    except SourceUnreadable:
        package = None
    if package is not None:
        declared = {
            Path(path).name.lower() for resource in package.resources for path in _resource_paths(resource)
        }
        if declared & LEGACY_ONLY_FILES:
            return "legacy"
        if declared & HSDS3_ONLY_FILES:
            return "3"
        # `version` is the HSDS version in the official templates, but publishers reuse it for their
        # own data version ("0.1"): it only decides when it names HSDS 1, 2 or 3.
        major = str(package.version or "").strip().split(".", 1)[0]
        if major == "3":
            return "3"
        if major in ("1", "2"):
            return "legacy"
    present = {path.name.lower() for path in folder.iterdir() if path.is_file()}
    if present & LEGACY_ONLY_FILES:
        return "legacy"
    if present & HSDS3_ONLY_FILES:
        return "3"
    return None


def _declared_types(resource: _Resource) -> dict[str, ColumnType | None]:
    # A schema given as a path or URL instead of inline describes nothing we can use here.
    fields = resource.schema.get("fields", []) if isinstance(resource.schema, dict) else []
    declared: dict[str, ColumnType | None] = {}
    for field in fields if isinstance(fields, list) else []:
        if not isinstance(field, dict) or not isinstance(field.get("name"), str):
            continue
        kind = field.get("type")
        declared[field["name"]] = kind if kind in ("number", "integer", "boolean") else None
    return declared


def _inside(folder: Path, relative: str) -> Path | None:
    candidate = (folder / relative).resolve()
    root = folder.resolve()
    return candidate if candidate.is_relative_to(root) and candidate.is_file() else None


def _tables(folder: Path) -> list[_Table]:
    """The package's tables, parents first, with the JSON type of each typed column."""
    package = _read_package(folder)
    on_disk = {path.name.lower(): path for path in folder.iterdir() if path.is_file()}
    found: dict[Path, _Table] = {}
    for resource in package.resources if package is not None else []:
        for relative in _resource_paths(resource):
            basename = Path(relative).name.lower()
            kind = _KINDS.get(resource.name or "") or TABLE_FILES.get(basename)
            if kind is None:
                continue
            # Templates name "resources/x.csv" while the files sit beside datapackage.json.
            path = _inside(folder, relative) or on_disk.get(basename)
            if path is None:
                continue
            types = dict(NUMBER_COLUMNS.get(kind, {}))
            for name, declared in _declared_types(resource).items():
                if declared is None:
                    types.pop(name, None)
                else:
                    types[name] = declared
            found[path.resolve()] = _Table(kind, path, types)
    for basename, kind in TABLE_FILES.items():
        path = on_disk.get(basename)
        # Keyed by the resolved path: the same file reached through a symlinked folder is one table.
        if path is not None and path.resolve() not in found:
            found[path.resolve()] = _Table(kind, path, dict(NUMBER_COLUMNS.get(kind, {})))
    return sorted(found.values(), key=lambda table: (TABLE_ORDER.index(table.kind), table.path.name))


class _BadValue(Exception):
    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason


def _convert(column: str, text: str, kind: ColumnType) -> int | float | bool:
    if kind == "boolean":
        lowered = text.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise _BadValue(column, f"{column} must be true or false, found {text!r}")
    if _INTEGER.fullmatch(text):
        return int(text)
    if kind == "integer":
        raise _BadValue(column, f"{column} must be a whole number, found {text!r}")
    try:
        number = float(text)
    except ValueError:
        raise _BadValue(column, f"{column} must be a number, found {text!r}") from None
    if not math.isfinite(number):
        raise _BadValue(column, f"{column} must be a finite number, found {text!r}")
    return number


class Hsds3CsvReader:
    """An HSDS 3 tabular package: a folder of CSV files named as in the 3.1 datapackage.json.

    Rows are numbered as a spreadsheet shows them: the header is row 1, the first data row is row 2.
    """

    format_name = "hsds3-csv"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def looks_like(cls, path: Path) -> bool:
        """A folder whose datapackage.json or file names are those of HSDS 3."""
        return path.is_dir() and package_generation(path) == "3"

    def tables(self) -> list[tuple[ObjectKind, Path]]:
        """The files this reader will read, in order; raise SourceUnreadable when there are none."""
        if not self.folder.is_dir():
            raise SourceUnreadable(
                f"{self.folder} is not a folder: an HSDS 3 CSV package is a folder of CSV files"
            )
        tables = _tables(self.folder)
        if not tables:
            raise SourceUnreadable(
                f"{self.folder} holds none of the HSDS 3 CSV files "
                "(organizations.csv, services.csv, locations.csv, service_at_location.csv, ...)"
            )
        return [(table.kind, table.path) for table in tables]

    def records(self) -> Iterator[SourceRecord | RejectedRecord]:
        """Each table, row by row, in KIND_ORDER except that funding and url follow service."""
        self.tables()
        for table in _tables(self.folder):
            yield from self._table(table)

    def _table(self, table: _Table) -> Iterator[SourceRecord | RejectedRecord]:
        name = table.path.name
        row_number = 0
        try:
            with table.path.open(newline="", encoding="utf-8-sig") as handle:
                reader = csv.reader(handle)
                header = next(reader, None)
                if header is None:
                    return
                row_number = 1
                columns = [column.strip().lower() for column in header]
                duplicated = sorted({column for column in columns if column and columns.count(column) > 1})
                if duplicated:
                    raise SourceUnreadable(f"{name} has the column(s) {', '.join(duplicated)} more than once")
                if "id" not in columns:
                    raise SourceUnreadable(f"{name} has no id column (found: {', '.join(columns)})")
                id_index = columns.index("id")
                for row in reader:
                    row_number += 1
                    if not any(value.strip() for value in row):
                        continue
                    yield self._record(table, columns, id_index, row, f"{name} row {row_number}")
        except UnicodeDecodeError as exc:
            raise SourceUnreadable(
                f"{name} is not UTF-8 text (byte {exc.object[exc.start]:#04x} near row {row_number + 1}): "
                "HSDS CSV files are UTF-8"
            ) from exc
        except csv.Error as exc:
            raise SourceUnreadable(f"{name} is not valid CSV near row {row_number + 1}: {exc}") from exc
        except OSError as exc:
            raise SourceUnreadable(f"cannot read {name}: {exc.strerror or exc}") from exc

    def _record(
        self, table: _Table, columns: list[str], id_index: int, row: list[str], origin: str
    ) -> SourceRecord | RejectedRecord:
        source_id = row[id_index].strip() if id_index < len(row) else ""
        if len(row) > len(columns):
            return RejectedRecord(
                origin,
                table.kind,
                source_id or None,
                None,
                f"the row has {len(row)} values but the header has {len(columns)} columns",
            )
        if not source_id:
            return RejectedRecord(origin, table.kind, None, "id", f"the {table.kind} has no id")
        fields: dict[str, Any] = {}
        for column, raw in zip(columns, row, strict=False):
            text = raw.strip()
            if not text or not column or column == "id":
                continue
            column_type = table.types.get(column)
            if column_type is None:
                fields[column] = text
                continue
            try:
                fields[column] = _convert(column, text, column_type)
            except _BadValue as bad:
                return RejectedRecord(origin, table.kind, source_id, bad.column, bad.reason)
        return SourceRecord(table.kind, source_id, fields, origin)
