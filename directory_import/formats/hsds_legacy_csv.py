"""Reader of HSDS 1.x and 2.x tabular data packages (CSV files), mapped to HSDS 3.1."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from directory_import.formats.csv_util import (
    FieldError,
    Output,
    Row,
    Source,
    check_utf8,
    clean_line,
    clean_postal_code,
    clean_text,
    coordinates,
    country_code,
    derived_id,
    emit_in_order,
    holiday_schedule_fields,
    iter_rows,
    normalise_time,
    parents_first,
    parse_date,
    parse_int,
    parse_number,
    parse_year,
    peek_header,
    phone_records,
    program_records,
    read_header,
    record,
    require_columns,
    service_status,
    split_list,
    weekday_to_byday,
    weekly_schedule_fields,
)
from directory_import.records import ObjectKind, RejectedRecord, SourceUnreadable

# Logical tables (the resource names of the 1.1.1 and 2.0.1 descriptors) and the file names they go
# by: the official ones first, then those of hsds-transformer exports (ILAO's output-full-tmp).
_TABLE_FILES: dict[str, tuple[str, ...]] = {
    "organization": ("organizations.csv",),
    "program": ("programs.csv",),
    "service": ("services.csv",),
    "service_taxonomy": ("services_taxonomy.csv", "service_taxonomy.csv"),
    "service_attribute": ("service_attributes.csv",),
    "other_attribute": ("other_attributes.csv",),
    "service_at_location": ("services_at_location.csv", "service_at_location.csv"),
    "location": ("locations.csv",),
    "phone": ("phones.csv",),
    "contact": ("contacts.csv",),
    "physical_address": ("physical_addresses.csv", "addresses.csv"),
    "postal_address": ("postal_addresses.csv",),
    "regular_schedule": ("regular_schedules.csv",),
    "schedule": ("schedules.csv",),
    "holiday_schedule": ("holiday_schedules.csv",),
    "funding": ("funding.csv", "fundings.csv"),
    "eligibility": ("eligibility.csv", "eligibilities.csv"),
    "service_area": ("service_areas.csv",),
    "required_document": ("required_documents.csv",),
    "payment_accepted": ("payments_accepted.csv", "payment_accepted.csv"),
    "language": ("languages.csv",),
    "accessibility_for_disabilities": ("accessibility_for_disabilities.csv",),
    "taxonomy": ("taxonomy.csv",),
    "taxonomy_term": ("taxonomy_terms.csv",),
    "metadata": ("metadata.csv",),
}
_REQUIRED_TABLES = ("organization", "service")
# Columns without which a table cannot be mapped at all; the rest may be absent. schedules.csv has
# none: hsds-transformer writes 1.x regular schedules (weekday) under that 2.0 (RRULE) name.
_TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "organization": ("id", "name"),
    "program": ("id", "name"),
    "service": ("id", "name", "organization_id"),
    "service_taxonomy": ("service_id", "taxonomy_id"),
    "service_attribute": ("service_id", "taxonomy_term_id"),
    "other_attribute": ("link_id", "link_type", "taxonomy_term_id"),
    "service_at_location": ("service_id", "location_id"),
    "location": ("id",),
    "phone": ("number",),
    "physical_address": ("address_1",),
    "postal_address": ("address_1",),
    "regular_schedule": ("weekday",),
    "holiday_schedule": ("start_date",),
    "funding": ("source",),
    "service_area": ("service_area",),
    "required_document": ("document",),
    "payment_accepted": ("payment",),
    "language": ("language",),
    "accessibility_for_disabilities": ("accessibility",),
    "taxonomy": ("id", "name"),
    "taxonomy_term": ("id", "term"),
    "metadata": ("resource_id",),
}
# Files only 1.x/2.x packages have (HSDS 3 renamed or dropped these tables).
_LEGACY_ONLY = frozenset(
    {
        "services_at_location.csv",
        "physical_addresses.csv",
        "postal_addresses.csv",
        "regular_schedules.csv",
        "holiday_schedules.csv",
        "services_taxonomy.csv",
        "service_attributes.csv",
        "other_attributes.csv",
        "payments_accepted.csv",
        "accessibility_for_disabilities.csv",
        "eligibility.csv",
    }
)
# HSDS 2.0 other_attributes.link_type names a 1.x/2.x table; the 3.1 object it became:
_LINK_ENTITIES: dict[str, ObjectKind] = {
    "organization": "organization",
    "program": "program",
    "service": "service",
    "service_at_location": "service_at_location",
    "location": "location",
    "phone": "phone",
    "contact": "contact",
    "physical_address": "address",
    "postal_address": "address",
    "schedule": "schedule",
    "regular_schedule": "schedule",
    "holiday_schedule": "schedule",
    "funding": "funding",
    "service_area": "service_area",
    "required_document": "required_document",
    "payment_accepted": "cost_option",
    "language": "language",
    "accessibility_for_disabilities": "accessibility",
}
_ALL_DAYS = "MO,TU,WE,TH,FR,SA,SU"


def _datapackage(path: Path) -> dict[str, Any] | None:
    file = path / "datapackage.json"
    if not file.is_file():
        return None
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (ValueError, OSError) as exc:
        raise SourceUnreadable(f"datapackage.json in {path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise SourceUnreadable(f"datapackage.json in {path} is not a data package descriptor (not an object)")
    return data


def _resolve_tables(path: Path, package: dict[str, Any] | None) -> dict[str, Path]:
    """Each table's file: where the descriptor says when that is a file of the folder, else the usual name."""
    declared: dict[str, str] = {}
    resources = package.get("resources") if package else None
    for resource in resources if isinstance(resources, list) else []:
        if isinstance(resource, dict) and isinstance(resource.get("name"), str):
            where = resource.get("path")
            if isinstance(where, str):
                declared[resource["name"]] = where
    found: dict[str, Path] = {}
    root = path.resolve()
    for table, names in _TABLE_FILES.items():
        where = declared.get(table)
        # Only files inside the package folder: a descriptor is data, and data does not choose which
        # files of this machine to read (nor which URLs to fetch).
        if where is not None and "://" not in where:
            described = path / PurePosixPath(where)
            if described.is_file() and described.resolve().is_relative_to(root):
                found[table] = described
                continue
        for candidate in (
            path / PurePosixPath(where).name if where else None,
            *(path / name for name in names),
        ):
            if candidate is not None and candidate.is_file():
                found[table] = candidate
                break
    return found


def _not_legacy(path: Path) -> str | None:
    """Why the folder is not an HSDS 1.x/2.x package, or None when it looks like one."""
    if not path.is_dir():
        return f"{path} is not a folder (an HSDS 1.x/2.x package is a folder of CSV files)"
    try:
        tables = _resolve_tables(path, _datapackage(path))
    except SourceUnreadable as exc:
        return str(exc)
    for table in _REQUIRED_TABLES:
        if table not in tables:
            return f"{path} has no {_TABLE_FILES[table][0]}: not an HSDS 1.x/2.x package"
    services = peek_header(tables["service"])
    organizations = peek_header(tables["organization"])
    if services is None or organizations is None:
        return None  # present but unreadable: records() names the problem
    if "organization_id" not in services:
        return f"{tables['service']} has no organization_id column: not an HSDS 1.x/2.x services table"
    locations = peek_header(tables["location"]) if "location" in tables else None
    # HSDS 3 renamed organization.url to website and made location_type required.
    if "website" in organizations or (locations is not None and "location_type" in locations):
        return (
            f"{path} holds HSDS 3 tables (organizations.website, locations.location_type), not HSDS 1.x/2.x"
        )
    present = {file.name for file in path.iterdir() if file.is_file()}
    if "url" in organizations or present & _LEGACY_ONLY:
        return None
    return f"{path} has none of the tables or columns that mark an HSDS 1.x/2.x package"


class LegacyHsdsCsvReader:
    """Streams the HSDS 3.1 records of an HSDS 1.x or 2.x CSV package folder."""

    format_name = "hsds-legacy-csv"

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def looks_like(cls, path: Path) -> bool:
        return _not_legacy(path) is None

    def _check(self) -> dict[str, Path]:
        reason = _not_legacy(self.path)
        if reason is not None:
            raise SourceUnreadable(reason)
        tables = _resolve_tables(self.path, _datapackage(self.path))
        for table, file in tables.items():
            check_utf8(file)
            require_columns(file, read_header(file), _TABLE_COLUMNS.get(table, ()))
        return tables

    def records(self) -> Iterator[Output]:
        tables = self._check()
        yield from emit_in_order(_Run(tables).sources())


class _Run:
    """Small lookups (ids → parent ids) and the row mappers of one read of the package."""

    def __init__(self, tables: dict[str, Path]) -> None:
        self.tables = tables
        # Eligibility texts join their service (3.1 eligibility_description); 2.0 other_attributes
        # point at eligibility rows, which 3.1 has no object for, so their service stands in.
        self.eligibility: dict[str, list[str]] = {}
        self.eligibility_services: dict[str, str] = {}
        for row in self._rows("eligibility"):
            service_id = row.get("service_id")
            if service_id is None:
                continue
            if row.get("id") is not None:
                self.eligibility_services[row.values["id"]] = service_id
            text = clean_line(row.get("eligibility"))
            texts = self.eligibility.setdefault(service_id, [])
            if text is not None and text not in texts:
                texts.append(text)
        self.linked: set[tuple[str, str, str]] = set()

    def _rows(self, table: str) -> Iterator[Row]:
        file = self.tables.get(table)
        return iter_rows(file) if file is not None else iter(())

    def sources(self) -> list[Source]:
        """The tables present, in the order they yield within a kind (the first keeps its ids)."""
        plan: list[tuple[str, set[str], Callable[[], Iterator[Output]], str | None]] = [
            ("taxonomy", {"taxonomy_term"}, lambda: self.terms("taxonomy"), None),
            ("taxonomy_term", {"taxonomy_term"}, lambda: self.terms("taxonomy_term"), "taxonomy_terms"),
            ("organization", {"organization"}, self.organizations, None),
            ("program", {"program"}, self.programs, None),
            ("location", {"location"}, self.locations, None),
            ("physical_address", {"location", "address"}, lambda: self.addresses("physical_address"), None),
            ("postal_address", {"location", "address"}, lambda: self.addresses("postal_address"), "postal"),
            ("accessibility_for_disabilities", {"accessibility"}, self.accessibility, None),
            ("service", {"service"}, self.services, None),
            ("funding", {"funding"}, self.funding, None),
            ("service_at_location", {"service_at_location"}, self.services_at_location, None),
            ("service_area", {"service_area"}, self.service_areas, None),
            ("payment_accepted", {"cost_option"}, self.payments, None),
            ("required_document", {"required_document"}, self.required_documents, None),
            ("contact", {"contact"}, self.contacts, None),
            ("regular_schedule", {"schedule"}, lambda: self.schedules("regular_schedule"), None),
            ("schedule", {"schedule"}, lambda: self.schedules("schedule"), "schedules"),
            ("holiday_schedule", {"schedule"}, self.holiday_schedules, "holiday"),
            ("language", {"language"}, self.languages, None),
            ("phone", {"phone", "language"}, self.phones, "phone"),
            ("service_taxonomy", {"attribute"}, self.service_taxonomy, None),
            ("service_attribute", {"attribute"}, self.service_attributes, "service_attributes"),
            ("other_attribute", {"attribute"}, self.other_attributes, "other_attributes"),
            ("service", {"attribute"}, self.service_taxonomy_ids, "services"),
            ("metadata", {"metadata"}, self.metadata, None),
        ]
        return [
            Source(frozenset(kinds), rows, prefix)
            for table, kinds, rows, prefix in plan
            if table in self.tables
        ]

    # --- mapping helpers --------------------------------------------------------------------------

    def _identified(self, table: str, kind: str) -> Iterator[tuple[Row, str] | RejectedRecord]:
        """The rows of a table with their ids; a row without one gets an id derived from its values.

        Two rows without ids and with the same values would get the same id: the second is reported
        as a duplicate instead of yielding a second copy of the same phone or schedule.
        """
        first_row: dict[str, int] = {}
        for row in self._rows(table):
            source_id = row.get("id")
            if source_id is not None:
                yield row, source_id
                continue
            source_id = derived_id(row.file.removesuffix(".csv"), row)
            earlier = first_row.setdefault(source_id, row.number)
            if earlier != row.number:
                yield row.reject(kind, f"the same values as row {earlier} and no id: a duplicate, left out")
                continue
            yield row, source_id

    # --- taxonomy ---------------------------------------------------------------------------------

    def terms(self, table: str) -> Iterator[Output]:
        # A taxonomy is a lookup table (hundreds to a few thousand terms): it is ordered in memory so
        # that parents come first, which exports do not promise.
        rows: list[Row] = []
        for row in self._rows(table):
            if row.get("id") is None:
                yield row.reject(
                    "taxonomy_term", "no id: attributes could not point at this term", field="id"
                )
            else:
                rows.append(row)
        name_column = "name" if table == "taxonomy" else "term"
        for row, parent_ok in parents_first(rows, lambda r: r.values["id"], lambda r: r.get("parent_id")):
            parent = row.get("parent_id")
            if parent is not None and not parent_ok:
                yield row.reject(
                    "taxonomy_term",
                    f"parent {parent!r} is not a term of {row.file} (or forms a cycle):"
                    " the term is kept at the top",
                    field="parent_id",
                )
            name = clean_line(row.get(name_column))
            yield record(
                "taxonomy_term",
                row.values["id"],
                {
                    "name": name,
                    # HSDS 3.1 requires a description; 1.x taxonomy rows have none, and the name is all
                    # they say. 2.0 terms have their own.
                    "description": clean_text(row.get("description")) or name,
                    "parent_id": parent if parent_ok else None,
                    "taxonomy": clean_line(row.get("vocabulary") or row.get("taxonomy")),
                    "language": row.get("language"),
                },
                row.origin,
            )

    # --- organizations, programs, locations -------------------------------------------------------

    def organizations(self) -> Iterator[Output]:
        for row in self._rows("organization"):
            org_id = row.get("id")
            if org_id is None:
                yield row.reject(
                    "organization", "no id: nothing could point at this organization", field="id"
                )
                continue
            year: int | None = None
            if row.get("year_incorporated") is not None:
                try:
                    year = parse_year(row.values["year_incorporated"])
                except ValueError as exc:
                    yield row.reject("organization", f"{exc}: left out", field="year_incorporated")
            yield record(
                "organization",
                org_id,
                {
                    "name": clean_line(row.get("name")),
                    "alternate_name": clean_line(row.get("alternate_name")),
                    "description": clean_text(row.get("description")),
                    "email": row.get("email"),
                    "website": row.get("url"),
                    "tax_status": clean_line(row.get("tax_status")),
                    "tax_id": clean_line(row.get("tax_id")),
                    "year_incorporated": year,
                    "legal_status": clean_line(row.get("legal_status")),
                },
                row.origin,
            )

    def programs(self) -> Iterator[Output]:
        yield from program_records(self._rows("program"))

    def locations(self) -> Iterator[Output]:
        for row in self._rows("location"):
            location_id = row.get("id")
            if location_id is None:
                yield row.reject("location", "no id: nothing could point at this location", field="id")
                continue
            lat, lng, problems = coordinates(row)
            yield from problems
            yield record(
                "location",
                location_id,
                {
                    # HSDS 3.1 requires location_type; 1.x/2.x locations are places people go to.
                    "location_type": "physical",
                    "organization_id": row.get("organization_id"),
                    "name": clean_line(row.get("name")),
                    "alternate_name": clean_line(row.get("alternate_name")),
                    "description": clean_text(row.get("description")),
                    "transportation": clean_text(row.get("transportation")),
                    "latitude": lat,
                    "longitude": lng,
                },
                row.origin,
            )

    def addresses(self, table: str) -> Iterator[Output]:
        default_type = "physical" if table == "physical_address" else "postal"
        for entry in self._identified(table, "address"):
            if isinstance(entry, RejectedRecord):
                yield entry
                continue
            row, source_id = entry
            address_type = (row.get("address_type") or default_type).lower()
            country = country_code(row.get("country"))
            location_id = row.get("location_id")
            fields: dict[str, Any] = {
                "attention": clean_line(row.get("attention")),
                "address_1": clean_line(row.get("address_1")),
                # HSDS 3.1 has two address lines where 1.x had four.
                "address_2": ", ".join(
                    line for line in (clean_line(row.get(f"address_{n}")) for n in (2, 3, 4)) if line
                ),
                "city": clean_line(row.get("city")),
                "region": clean_line(row.get("region")),
                "state_province": clean_line(row.get("state_province")),
                "postal_code": clean_postal_code(row.get("postal_code"), country),
                "country": country,
                "address_type": address_type,
            }
            organization_id = row.get("organization_id")
            if location_id is None and organization_id is not None:
                # hsds-transformer hangs addresses on organizations, but a 3.1 address belongs to a
                # location: a usable address gets a location of its own for the organization.
                missing = [name for name in ("address_1", "city") if not fields[name]]
                if missing:
                    yield row.reject(
                        "address",
                        f"the address belongs to organization {organization_id!r}, not to a location, and"
                        f" has no {' or '.join(missing)}: it cannot be placed",
                        field="location_id",
                        source_id=source_id,
                    )
                    continue
                location_id = f"{source_id}/location"
                yield record(
                    "location",
                    location_id,
                    {"location_type": address_type, "organization_id": organization_id},
                    row.origin,
                )
            elif location_id is None:
                yield row.reject(
                    "address", "the address belongs to no location", field="location_id", source_id=source_id
                )
                continue
            yield record("address", source_id, {"location_id": location_id, **fields}, row.origin)

    def accessibility(self) -> Iterator[Output]:
        for entry in self._identified("accessibility_for_disabilities", "accessibility"):
            if isinstance(entry, RejectedRecord):
                yield entry
                continue
            row, source_id = entry
            yield record(
                "accessibility",
                source_id,
                {
                    "location_id": row.get("location_id"),
                    "description": clean_text(row.get("accessibility")),
                    "details": clean_text(row.get("details")),
                },
                row.origin,
            )

    # --- services and what hangs on them ----------------------------------------------------------

    def services(self) -> Iterator[Output]:
        for row in self._rows("service"):
            service_id = row.get("id")
            if service_id is None:
                yield row.reject("service", "no id: nothing could point at this service", field="id")
                continue
            eligibility = self.eligibility.get(service_id)
            yield record(
                "service",
                service_id,
                {
                    "organization_id": row.get("organization_id"),
                    "program_id": row.get("program_id"),
                    "name": clean_line(row.get("name")),
                    "alternate_name": clean_line(row.get("alternate_name")),
                    "description": clean_text(row.get("description")),
                    "url": row.get("url"),
                    "email": row.get("email"),
                    "status": service_status(row.get("status")),
                    "interpretation_services": clean_text(row.get("interpretation_services")),
                    "application_process": clean_text(row.get("application_process")),
                    "wait_time": clean_text(row.get("wait_time")),
                    "fees_description": clean_text(row.get("fees")),
                    "accreditations": clean_text(row.get("accreditations")),
                    "licenses": clean_text(row.get("licenses")),
                    "eligibility_description": "; ".join(eligibility) if eligibility else None,
                },
                row.origin,
            )

    def funding(self) -> Iterator[Output]:
        for entry in self._identified("funding", "funding"):
            if isinstance(entry, RejectedRecord):
                yield entry
                continue
            row, source_id = entry
            yield record(
                "funding",
                source_id,
                {
                    "organization_id": row.get("organization_id"),
                    "service_id": row.get("service_id"),
                    "source": clean_text(row.get("source")),
                },
                row.origin,
            )

    def services_at_location(self) -> Iterator[Output]:
        for row in self._rows("service_at_location"):
            service_id, location_id = row.get("service_id"), row.get("location_id")
            if service_id is None or location_id is None:
                missing = "service_id" if service_id is None else "location_id"
                yield row.reject(
                    "service_at_location",
                    f"no {missing}: a service at location joins one service to one location",
                    field=missing,
                )
                continue
            yield record(
                "service_at_location",
                row.get("id") or f"{service_id}@{location_id}",
                {
                    "service_id": service_id,
                    "location_id": location_id,
                    "description": clean_text(row.get("description")),
                },
                row.origin,
            )

    def service_areas(self) -> Iterator[Output]:
        for entry in self._identified("service_area", "service_area"):
            if isinstance(entry, RejectedRecord):
                yield entry
                continue
            row, source_id = entry
            yield record(
                "service_area",
                source_id,
                {
                    "service_id": row.get("service_id"),
                    "name": clean_line(row.get("service_area")),
                    "description": clean_text(row.get("description")),
                },
                row.origin,
            )

    def payments(self) -> Iterator[Output]:
        # HSDS 3.1 has no payment table; a cost option per accepted payment keeps it with the fees.
        for entry in self._identified("payment_accepted", "cost_option"):
            if isinstance(entry, RejectedRecord):
                yield entry
                continue
            row, source_id = entry
            yield record(
                "cost_option",
                source_id,
                {"service_id": row.get("service_id"), "option": clean_line(row.get("payment"))},
                row.origin,
            )

    def required_documents(self) -> Iterator[Output]:
        for entry in self._identified("required_document", "required_document"):
            if isinstance(entry, RejectedRecord):
                yield entry
                continue
            row, source_id = entry
            yield record(
                "required_document",
                source_id,
                {"service_id": row.get("service_id"), "document": clean_text(row.get("document"))},
                row.origin,
            )

    # --- contacts, phones, schedules, languages ---------------------------------------------------

    def contacts(self) -> Iterator[Output]:
        for entry in self._identified("contact", "contact"):
            if isinstance(entry, RejectedRecord):
                yield entry
                continue
            row, source_id = entry
            yield record(
                "contact",
                source_id,
                {
                    "organization_id": row.get("organization_id"),
                    "service_id": row.get("service_id"),
                    "service_at_location_id": row.get("service_at_location_id"),
                    "location_id": row.get("location_id"),
                    "name": clean_line(row.get("name")),
                    "title": clean_line(row.get("title")),
                    "department": clean_line(row.get("department")),
                    "email": row.get("email"),
                },
                row.origin,
            )

    def phones(self) -> Iterator[Output]:
        for entry in self._identified("phone", "phone"):
            if isinstance(entry, RejectedRecord):
                yield entry
                continue
            row, source_id = entry
            phones = phone_records(
                row,
                source_id,
                {
                    link: row.get(link)
                    for link in (
                        "organization_id",
                        "service_id",
                        "location_id",
                        "contact_id",
                        "service_at_location_id",
                    )
                },
                number=row.get("number"),
                extension=row.get("extension"),
                phone_kind=row.get("type"),
                notes=(clean_text(row.get("description")), clean_line(row.get("department"))),
            )
            yield from phones
            # 1.x phones list the languages spoken on the line ("en, es"); 3.1 links languages to phones.
            for language in split_list(row.get("language")):
                for phone in phones:
                    yield record(
                        "language",
                        f"{phone.source_id}:{language}",
                        {"phone_id": phone.source_id, "name": language},
                        row.origin,
                    )

    def schedules(self, table: str) -> Iterator[Output]:
        for entry in self._identified(table, "schedule"):
            if isinstance(entry, RejectedRecord):
                yield entry
                continue
            row, source_id = entry
            try:
                # hsds-transformer writes 1.x regular schedules under the 2.0 name schedules.csv.
                fields = weekly_schedule_fields(row) if "weekday" in row.values else _ical_fields(row)
            except FieldError as exc:
                yield row.reject("schedule", str(exc), field=exc.field, source_id=source_id)
                continue
            yield record("schedule", source_id, fields, row.origin)

    def holiday_schedules(self) -> Iterator[Output]:
        for entry in self._identified("holiday_schedule", "schedule"):
            if isinstance(entry, RejectedRecord):
                yield entry
                continue
            row, source_id = entry
            try:
                fields = holiday_schedule_fields(row)
            except FieldError as exc:
                yield row.reject("schedule", str(exc), field=exc.field, source_id=source_id)
                continue
            yield record("schedule", source_id, fields, row.origin)

    def languages(self) -> Iterator[Output]:
        for entry in self._identified("language", "language"):
            if isinstance(entry, RejectedRecord):
                yield entry
                continue
            row, source_id = entry
            # The import's language step turns names and codes into ISO 639-1.
            yield record(
                "language",
                source_id,
                {
                    "service_id": row.get("service_id"),
                    "location_id": row.get("location_id"),
                    "name": clean_line(row.get("language")),
                },
                row.origin,
            )

    # --- attributes and metadata --------------------------------------------------------------------

    def _attribute(
        self, row: Row, source_id: str, entity: str, link_id: str, term_id: str, **extra: str | None
    ) -> Iterator[Output]:
        # The same link may come from services_taxonomy and from services.taxonomy_ids: made once.
        key = (entity, link_id, term_id)
        if key in self.linked:
            return
        self.linked.add(key)
        yield record(
            "attribute",
            source_id,
            {"link_entity": entity, "link_id": link_id, "taxonomy_term_id": term_id, **extra},
            row.origin,
        )

    def service_taxonomy(self) -> Iterator[Output]:
        for row in self._rows("service_taxonomy"):
            service_id, term_id = row.get("service_id"), row.get("taxonomy_id")
            if service_id is None or term_id is None:
                yield row.reject("attribute", "a service taxonomy row needs service_id and taxonomy_id")
                continue
            yield from self._attribute(
                row,
                row.get("id") or f"{service_id}:{term_id}",
                "service",
                service_id,
                term_id,
                value=clean_line(row.get("taxonomy_detail")),
            )

    def service_attributes(self) -> Iterator[Output]:
        for row in self._rows("service_attribute"):
            service_id, term_id = row.get("service_id"), row.get("taxonomy_term_id")
            if service_id is None or term_id is None:
                yield row.reject("attribute", "a service attribute row needs service_id and taxonomy_term_id")
                continue
            yield from self._attribute(
                row, row.get("id") or f"{service_id}:{term_id}", "service", service_id, term_id
            )

    def other_attributes(self) -> Iterator[Output]:
        for row in self._rows("other_attribute"):
            link_id, link_type, term_id = (
                row.get("link_id"),
                row.get("link_type"),
                row.get("taxonomy_term_id"),
            )
            if link_id is None or link_type is None or term_id is None:
                yield row.reject(
                    "attribute", "an attribute row needs link_id, link_type and taxonomy_term_id"
                )
                continue
            link_type = link_type.lower()
            if link_type == "eligibility":
                service_id = self.eligibility_services.get(link_id)
                if service_id is None:
                    yield row.reject(
                        "attribute",
                        f"eligibility {link_id!r} is not in the eligibility table",
                        field="link_id",
                    )
                    continue
                yield from self._attribute(
                    row,
                    row.get("id") or f"{link_id}:{term_id}",
                    "service",
                    service_id,
                    term_id,
                    link_type="eligibility",
                )
                continue
            entity = _LINK_ENTITIES.get(link_type)
            if entity is None:
                yield row.reject(
                    "attribute", f"link_type {link_type!r} is not an HSDS table", field="link_type"
                )
                continue
            yield from self._attribute(row, row.get("id") or f"{link_id}:{term_id}", entity, link_id, term_id)

    def service_taxonomy_ids(self) -> Iterator[Output]:
        # 1.1 services may list their terms in a taxonomy_ids column as well as in services_taxonomy.
        for row in self._rows("service"):
            service_id = row.get("id")
            if service_id is None:
                continue
            for term_id in split_list(row.get("taxonomy_ids")):
                yield from self._attribute(row, f"{service_id}:{term_id}", "service", service_id, term_id)

    def metadata(self) -> Iterator[Output]:
        untyped = any("resource_type" not in row.values for row in self._rows("metadata"))
        kinds = self._resource_kinds() if untyped else {}
        for entry in self._identified("metadata", "metadata"):
            if isinstance(entry, RejectedRecord):
                yield entry
                continue
            row, source_id = entry
            resource_id = row.get("resource_id")
            declared = row.get("resource_type")
            resource_type = _resource_type(declared) if declared else None
            if resource_type is None and resource_id is not None:
                resource_type = kinds.get(resource_id)
            date = row.get("last_action_date")
            yield record(
                "metadata",
                source_id,
                {
                    "resource_id": resource_id,
                    "resource_type": resource_type,
                    "last_action_date": date,
                    "last_action_type": clean_line(row.get("last_action_type")),
                    "field_name": clean_line(row.get("field_name")),
                    "previous_value": row.get("previous_value"),
                    "replacement_value": row.get("replacement_value"),
                    "updated_by": clean_line(row.get("updated_by")),
                },
                row.origin,
            )

    def _resource_kinds(self) -> dict[str, str]:
        # 1.x metadata rows name a record but not its table: its id in the main tables tells.
        kinds: dict[str, str] = {}
        for table, kind in (
            ("organization", "organization"),
            ("program", "program"),
            ("service", "service"),
            ("location", "location"),
            ("service_at_location", "service_at_location"),
            ("contact", "contact"),
            ("phone", "phone"),
            ("physical_address", "address"),
            ("postal_address", "address"),
        ):
            for row in self._rows(table):
                if row.get("id") is not None:
                    kinds.setdefault(row.values["id"], kind)
        return kinds


def _resource_type(declared: str) -> str:
    """The 3.1 object a 2.0 metadata row names, by table or resource name ("services", "physical_address")."""
    lowered = declared.strip().lower()
    for name in (lowered, lowered.removesuffix("s"), lowered.removesuffix("es")):
        if name in _LINK_ENTITIES:
            return _LINK_ENTITIES[name]
    return declared


def _ical_fields(row: Row) -> dict[str, Any]:
    """A 2.0 schedules row: RFC 5545 parts, which 3.1 kept, with dates, numbers and times checked."""
    fields: dict[str, Any] = {
        link: row.get(link) for link in ("service_id", "location_id", "service_at_location_id")
    }
    for column in ("valid_from", "valid_to", "dtstart", "until"):
        value = row.get(column)
        if value is not None:
            try:
                fields[column] = parse_date(value)
            except ValueError as exc:
                raise FieldError(column, str(exc)) from None
    for column, parse in (("timezone", parse_number), ("count", parse_int), ("interval", parse_int)):
        value = row.get(column)
        if value is not None:
            try:
                fields[column] = parse(value)
            except ValueError as exc:
                raise FieldError(column, str(exc)) from None
    for column in ("opens_at", "closes_at"):
        value = row.get(column)
        if value is not None:
            try:
                fields[column] = normalise_time(value)
            except ValueError as exc:
                raise FieldError(column, str(exc)) from None
    wkst = row.get("wkst")
    if wkst is not None:
        try:
            fields["wkst"] = weekday_to_byday(wkst)
        except ValueError as exc:
            raise FieldError("wkst", str(exc)) from None
    freq = (row.get("freq") or "").upper() or None
    byday = (row.get("byday") or "").upper().replace(" ", "") or None
    if freq == "DAILY":
        # 3.1 kept only WEEKLY and MONTHLY: every day of every week is the same rule.
        freq, byday = "WEEKLY", byday or _ALL_DAYS
    fields.update(
        freq=freq,
        byday=byday,
        byweekno=row.get("byweekno"),
        bymonthday=row.get("bymonthday"),
        byyearday=row.get("byyearday"),
        description=clean_text(row.get("description")),
    )
    return fields
