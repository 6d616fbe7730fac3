"""Reader of Ohana API CSV exports (211 directories such as Baltimore's), mapped to HSDS 3.1."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

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
    emit_in_order,
    holiday_schedule_fields,
    iter_rows,
    parents_first,
    parse_bool,
    parse_year,
    peek_header,
    phone_records,
    program_records,
    read_header,
    record,
    require_columns,
    service_status,
    split_list,
    weekly_schedule_fields,
)
from directory_import.records import ObjectKind, RejectedRecord, SourceUnreadable

OPEN_ELIGIBILITY = "open-eligibility"
AIRS = "airs-211"

_REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "organizations.csv": ("id", "name"),
    "locations.csv": ("id", "organization_id"),
    "services.csv": ("id", "name", "location_id"),
}
_OPTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "addresses.csv": ("id", "location_id"),
    "mail_addresses.csv": ("id", "location_id"),
    "contacts.csv": ("id",),
    "phones.csv": ("id", "number"),
    "programs.csv": ("id", "name"),
    "regular_schedules.csv": ("id", "weekday"),
    "holiday_schedules.csv": ("id",),
    "taxonomy.csv": ("id", "name", "taxonomy_id"),
    "categories.csv": ("id", "name", "taxonomy_id"),
    "taxonomy_mapping.csv": (),
}
_CATEGORY_FILES = ("service_categories.json", "service_icarol_categories.json")

# Ohana's admin app offers these accessibility flags; the words a reader of the directory needs:
_ACCESSIBILITY = {
    "cd": "Information on CD",
    "deaf_interpreter": "Deaf interpreter",
    "disabled_parking": "Disabled parking",
    "elevator": "Elevator",
    "ramp": "Ramp",
    "restroom": "Accessible restroom",
    "tape_braille": "Information on tape or in Braille",
    "tty": "TTY",
    "wheelchair": "Wheelchair accessible",
    "wheelchair_van": "Wheelchair-accessible van",
}


def _not_ohana(path: Path) -> str | None:
    """Why the folder is not an Ohana export, or None when it looks like one."""
    if not path.is_dir():
        return f"{path} is not a folder (an Ohana API export is a folder of CSV files)"
    for name in _REQUIRED_COLUMNS:
        if not (path / name).is_file():
            return f"{path} has no {name}: not an Ohana API CSV export"
    services = peek_header(path / "services.csv")
    if services is None:
        return None  # the file is there but unreadable: records() names the problem
    # Ohana hangs services on a location; HSDS (any version) hangs them on an organization.
    if "location_id" not in services or "organization_id" in services:
        found = "an organization_id" if "organization_id" in services else "no location_id"
        return (
            f"{path / 'services.csv'} has {found} column: an Ohana export links each service to a location,"
            " so this is not an Ohana API CSV export"
        )
    return None


def _airs_parent(code: str) -> str | None:
    """The AIRS code one level up: BD-1800.2000-500 → BD-1800.2000 → BD-1800 → BD → B."""
    cut = max(code.rfind("-"), code.rfind("."))
    if cut > 0:
        return code[:cut]
    return code[:-1] if len(code) > 1 else None


# Service columns holding lists, each value a child record: (kind, column, HSDS field, id prefix).
# HSDS 3.1 has no payment table; a cost option per accepted payment keeps it with the fees.
_SERVICE_LIST_COLUMNS: tuple[tuple[ObjectKind, str, str, str], ...] = (
    ("service_area", "service_areas", "name", ""),
    ("cost_option", "accepted_payments", "option", "payment:"),
    ("required_document", "required_documents", "document", ""),
)


class OhanaCsvReader:
    """Streams the HSDS 3.1 records of an Ohana API CSV export folder."""

    format_name = "ohana-csv"

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def looks_like(cls, path: Path) -> bool:
        return _not_ohana(path) is None

    # --- set-up ---------------------------------------------------------------------------------

    def _file(self, name: str) -> Path | None:
        candidate = self.path / name
        return candidate if candidate.is_file() else None

    def _check(self) -> None:
        reason = _not_ohana(self.path)
        if reason is not None:
            raise SourceUnreadable(reason)
        for name, columns in (*_REQUIRED_COLUMNS.items(), *_OPTIONAL_COLUMNS.items()):
            file = self._file(name)
            if file is None:
                continue
            check_utf8(file)
            require_columns(file, read_header(file), columns)
        for name in _CATEGORY_FILES:
            file = self._file(name)
            if file is not None:
                check_utf8(file)

    def _category_map(self, name: str) -> dict[str, list[str]]:
        """service id → category ids of one of the JSON side files (small: one short list per service)."""
        file = self._file(name)
        if file is None:
            return {}
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (ValueError, OSError) as exc:
            raise SourceUnreadable(f"{name} is not valid JSON: {exc}") from exc
        if not isinstance(data, dict) or not all(isinstance(value, list) for value in data.values()):
            raise SourceUnreadable(f"{name} should map each service id to a list of category ids")
        mapping: dict[str, list[str]] = {}
        for service_id, values in data.items():
            ids = dict.fromkeys(str(value).strip() for value in values if str(value).strip())
            mapping[str(service_id).strip()] = list(ids)
        return mapping

    def records(self) -> Iterator[Output]:
        self._check()
        run = _Run(self)
        yield from emit_in_order(run.sources())


class _Run:
    """Lookups of one pass over the export (small maps of ids) and the row mappers that use them."""

    def __init__(self, reader: OhanaCsvReader) -> None:
        self.reader = reader
        self.path = reader.path
        self.location_orgs: dict[str, str | None] = {
            row.values["id"]: row.get("organization_id")
            for row in iter_rows(self.path / "locations.csv")
            if "id" in row.values
        }
        self.service_ids = {
            row.values["id"] for row in iter_rows(self.path / "services.csv") if "id" in row.values
        }
        taxonomy_file = reader._file("taxonomy.csv") or reader._file("categories.csv")
        self.taxonomy_origin = taxonomy_file.name if taxonomy_file is not None else "taxonomy.csv"
        # The Open Eligibility table is a few hundred rows: small enough to order parents first.
        self.terms = list(iter_rows(taxonomy_file)) if taxonomy_file is not None else []
        self.term_codes = {
            row.values["id"]: row.values["taxonomy_id"]
            for row in self.terms
            if "id" in row.values and "taxonomy_id" in row.values
        }
        self.known_codes = set(self.term_codes.values())
        self.categories = reader._category_map("service_categories.json")
        self.airs = reader._category_map("service_icarol_categories.json")
        self.airs_names = self._airs_names()

    def _airs_names(self) -> dict[str, str]:
        mapping = self.reader._file("taxonomy_mapping.csv")
        if mapping is None or not self.airs:
            return {}
        names: dict[str, str] = {}
        for row in iter_rows(mapping):
            code = row.get("211 code")
            name = clean_line(row.get("211 name"))
            if code is not None and name is not None:
                names.setdefault(code, name)
        return names

    def sources(self) -> list[Source]:
        file = self.reader._file
        sources = [
            Source(frozenset({"taxonomy"}), self.taxonomies),
            Source(frozenset({"taxonomy_term"}), self.open_eligibility_terms),
            Source(frozenset({"taxonomy_term"}), self.airs_terms),
            Source(frozenset({"organization", "funding"}), self.organizations),
        ]
        if file("programs.csv") is not None:
            sources.append(Source(frozenset({"program"}), self.programs))
        sources.append(
            Source(frozenset({"location", "accessibility", "contact", "language"}), self.locations)
        )
        if file("addresses.csv") is not None:
            sources.append(
                Source(frozenset({"address"}), lambda: self.addresses("addresses.csv", "physical"))
            )
        if file("mail_addresses.csv") is not None:
            sources.append(
                Source(frozenset({"address"}), lambda: self.addresses("mail_addresses.csv", "postal"))
            )
        sources.append(
            Source(
                frozenset(
                    {
                        "service",
                        "funding",
                        "service_at_location",
                        "service_area",
                        "cost_option",
                        "required_document",
                        "language",
                        "attribute",
                    }
                ),
                self.services,
            )
        )
        sources.append(Source(frozenset({"attribute"}), self.orphan_categories))
        if file("contacts.csv") is not None:
            sources.append(Source(frozenset({"contact"}), self.contacts))
        if file("phones.csv") is not None:
            sources.append(Source(frozenset({"phone"}), self.phones))
        if file("regular_schedules.csv") is not None:
            sources.append(Source(frozenset({"schedule"}), self.regular_schedules))
        if file("holiday_schedules.csv") is not None:
            sources.append(Source(frozenset({"schedule"}), self.holiday_schedules, id_prefix="holiday"))
        return sources

    # --- taxonomies -------------------------------------------------------------------------------

    def taxonomies(self) -> Iterator[Output]:
        if self.terms:
            yield record(
                "taxonomy",
                OPEN_ELIGIBILITY,
                {
                    "name": "Open Eligibility",
                    "description": "An open taxonomy of human services and of the situations of the people"
                    " who seek them, as the Ohana export lists it.",
                    "uri": "https://github.com/auntbertha/openeligibility",
                },
                self.taxonomy_origin,
            )
        if self.airs:
            yield record(
                "taxonomy",
                AIRS,
                {
                    "name": "AIRS/211 Taxonomy",
                    "description": "The 211 Human Services Indexing System codes that the export's iCarol"
                    " records give each service.",
                    "uri": "https://211taxonomy.org/",
                },
                "service_icarol_categories.json",
            )

    def open_eligibility_terms(self) -> Iterator[Output]:
        rows = [row for row in self.terms if "taxonomy_id" in row.values]
        for row in self.terms:
            if "taxonomy_id" not in row.values:
                yield row.reject("taxonomy_term", "no taxonomy_id: the term has no code", field="taxonomy_id")
        for row, parent_ok in parents_first(
            rows, lambda r: r.values["taxonomy_id"], lambda r: r.get("parent_id")
        ):
            code = row.values["taxonomy_id"]
            name = clean_line(row.get("name"))
            parent = row.get("parent_id")
            if parent is not None and not parent_ok:
                yield row.reject(
                    "taxonomy_term",
                    f"parent {parent!r} is not a term of this taxonomy (or forms a cycle):"
                    " the term is kept at the top",
                    field="parent_id",
                    source_id=code,
                )
            yield record(
                "taxonomy_term",
                code,
                {
                    "code": code,
                    "name": name,
                    # HSDS 3.1 requires a description, which Open Eligibility terms never had.
                    "description": name,
                    "parent_id": parent if parent_ok else None,
                    "taxonomy": OPEN_ELIGIBILITY,
                    "taxonomy_id": OPEN_ELIGIBILITY,
                },
                row.origin,
            )

    def airs_terms(self) -> Iterator[Output]:
        # Only the codes services use: the mapping file lists many that nothing points at.
        codes = {code for values in self.airs.values() for code in values}
        # An AIRS code extends its parent's code, so shorter codes sort first and parents come first.
        # AIRS codes start with letters and Open Eligibility codes are digits: the ids cannot collide.
        for code in sorted(codes, key=lambda c: (len(c), c)):
            parent = _airs_parent(code)
            while parent is not None and parent not in codes:
                parent = _airs_parent(parent)
            # HSDS 3.1 requires a name and a description; for a code the mapping file does not name,
            # the code itself is the only name there is.
            name = self.airs_names.get(code, code)
            yield record(
                "taxonomy_term",
                code,
                {
                    "code": code,
                    "name": name,
                    "description": name,
                    "parent_id": parent,
                    "taxonomy": AIRS,
                    "taxonomy_id": AIRS,
                },
                "service_icarol_categories.json",
            )

    # --- organizations and programs ---------------------------------------------------------------

    def organizations(self) -> Iterator[Output]:
        for row in iter_rows(self.path / "organizations.csv"):
            org_id = row.get("id")
            if org_id is None:
                yield row.reject(
                    "organization", "no id: nothing could point at this organization", field="id"
                )
                continue
            year: int | None = None
            founded = row.get("date_incorporated")
            if founded is not None:
                try:
                    year = parse_year(founded)
                except ValueError as exc:
                    yield row.reject(
                        "organization", f"{exc}: year_incorporated left out", field="date_incorporated"
                    )
            yield record(
                "organization",
                org_id,
                {
                    "name": clean_line(row.get("name")),
                    "alternate_name": clean_line(row.get("alternate_name")),
                    "description": clean_text(row.get("description")),
                    "email": row.get("email"),
                    "website": row.get("website"),
                    "tax_status": clean_line(row.get("tax_status")),
                    "tax_id": clean_line(row.get("tax_id")),
                    "year_incorporated": year,
                    "legal_status": clean_line(row.get("legal_status")),
                },
                row.origin,
            )
            for source in split_list(row.get("funding_sources")):
                yield record(
                    "funding",
                    f"organization:{org_id}:{source}",
                    {"organization_id": org_id, "source": source},
                    row.origin,
                )

    def programs(self) -> Iterator[Output]:
        yield from program_records(iter_rows(self.path / "programs.csv"))

    # --- locations --------------------------------------------------------------------------------

    def locations(self) -> Iterator[Output]:
        for row in iter_rows(self.path / "locations.csv"):
            location_id = row.get("id")
            if location_id is None:
                yield row.reject("location", "no id: nothing could point at this location", field="id")
                continue
            virtual = False
            if row.get("virtual") is not None:
                try:
                    virtual = parse_bool(row.values["virtual"])
                except ValueError as exc:
                    yield row.reject(
                        "location", f"virtual: {exc}; the location is taken as physical", field="virtual"
                    )
            lat, lng, problems = coordinates(row)
            yield from problems
            yield record(
                "location",
                location_id,
                {
                    "location_type": "virtual" if virtual else "physical",
                    "organization_id": row.get("organization_id"),
                    "name": clean_line(row.get("name")),
                    "alternate_name": clean_line(row.get("alternate_name")),
                    "description": clean_text(row.get("description")),
                    "transportation": clean_text(row.get("transportation")),
                    "url": row.get("website"),
                    "latitude": lat,
                    "longitude": lng,
                },
                row.origin,
            )
            for flag in split_list(row.get("accessibility")):
                yield record(
                    "accessibility",
                    f"{location_id}:{flag}",
                    {"location_id": location_id, "description": _ACCESSIBILITY.get(flag.lower(), flag)},
                    row.origin,
                )
            # HSDS 3.1 locations have no e-mail; a contact of the location keeps it reachable.
            # admin_emails are the accounts of Ohana's admin app, not directory data, and stay out.
            email = row.get("email")
            if email is not None:
                yield record(
                    "contact",
                    f"location:{location_id}",
                    {"location_id": location_id, "email": email},
                    row.origin,
                )
            yield from _language(row, "location", location_id)

    def addresses(self, name: str, address_type: str) -> Iterator[Output]:
        for row in iter_rows(self.path / name):
            address_id = row.get("id")
            if address_id is None:
                yield row.reject("address", "no id", field="id")
                continue
            location_id = row.get("location_id")
            if location_id not in self.location_orgs:
                # Baltimore's mail_addresses.csv points at hundreds of locations locations.csv lacks.
                where = (
                    f"location {location_id!r} is not in locations.csv" if location_id else "no location_id"
                )
                yield row.reject("address", f"{where}: the address has no place to go", field="location_id")
                continue
            country = country_code(row.get("country"))
            # Both tables number their rows from 1: the table name keeps the ids apart.
            yield record(
                "address",
                f"{name.removesuffix('.csv')}:{address_id}",
                {
                    "location_id": location_id,
                    "attention": clean_line(row.get("attention")),
                    "address_1": clean_line(row.get("address_1")),
                    "address_2": clean_line(row.get("address_2")),
                    "city": clean_line(row.get("city")),
                    "state_province": clean_line(row.get("state_province")),
                    "postal_code": clean_postal_code(row.get("postal_code"), country),
                    "country": country,
                    "address_type": address_type,
                },
                row.origin,
            )

    # --- services ---------------------------------------------------------------------------------

    def services(self) -> Iterator[Output]:
        for row in iter_rows(self.path / "services.csv"):
            service_id = row.get("id")
            if service_id is None:
                yield row.reject("service", "no id: nothing could point at this service", field="id")
                continue
            location_id = row.get("location_id")
            known_location = location_id is not None and location_id in self.location_orgs
            yield record(
                "service",
                service_id,
                {
                    # Ohana ties a service to its organization only through its location.
                    "organization_id": self.location_orgs.get(location_id) if location_id else None,
                    "program_id": row.get("program_id"),
                    "name": clean_line(row.get("name")),
                    "alternate_name": clean_line(row.get("alternate_name")),
                    "description": clean_text(row.get("description")),
                    "url": row.get("website"),
                    "email": row.get("email"),
                    "status": service_status(row.get("status")),
                    "interpretation_services": clean_text(row.get("interpretation_services")),
                    "application_process": clean_text(row.get("application_process")),
                    "wait_time": clean_text(row.get("wait_time")),
                    "fees_description": clean_text(row.get("fees")),
                    "eligibility_description": clean_text(row.get("eligibility")),
                },
                row.origin,
            )
            for source in split_list(row.get("funding_sources")):
                yield record(
                    "funding",
                    f"service:{service_id}:{source}",
                    {"service_id": service_id, "source": source},
                    row.origin,
                )
            if known_location:
                yield record(
                    "service_at_location",
                    f"{service_id}@{location_id}",
                    {"service_id": service_id, "location_id": location_id},
                    row.origin,
                )
            else:
                reason = (
                    f"location {location_id!r} is not in locations.csv"
                    if location_id is not None
                    else "the service has no location_id"
                )
                yield row.reject(
                    "service_at_location",
                    f"{reason}: the service is imported without a location, and without an organization,"
                    " which Ohana gives a service only through its location",
                    field="location_id",
                    source_id=service_id,
                )
            for kind, column, field, id_part in _SERVICE_LIST_COLUMNS:
                for value in split_list(row.get(column)):
                    yield record(
                        kind,
                        f"{service_id}:{id_part}{value}",
                        {"service_id": service_id, field: value},
                        row.origin,
                    )
            yield from _language(row, "service", service_id)
            yield from self._service_attributes(row, service_id)

    def _service_attributes(self, row: Row, service_id: str) -> Iterator[Output]:
        # Both the taxonomy_ids column (Open Eligibility codes) and service_categories.json (ids of
        # taxonomy.csv rows) may link a service to a term: each link is made once.
        codes: dict[str, None] = {}
        for code in split_list(row.get("taxonomy_ids")):
            if code in self.known_codes:
                codes.setdefault(code, None)
            else:
                yield row.reject(
                    "attribute",
                    f"taxonomy_ids names {code!r}, which is not in taxonomy.csv",
                    field="taxonomy_ids",
                    source_id=service_id,
                )
        for category in self.categories.get(service_id, []):
            term = self.term_codes.get(category)
            if term is None:
                yield row.reject(
                    "attribute",
                    f"service_categories.json gives category {category!r}, not an id of taxonomy.csv",
                    field="taxonomy_term_id",
                    source_id=service_id,
                )
            else:
                codes.setdefault(term, None)
        for code in self.airs.get(service_id, []):
            codes.setdefault(code, None)
        for code in codes:
            yield record(
                "attribute",
                f"{service_id}:{code}",
                {"link_entity": "service", "link_id": service_id, "taxonomy_term_id": code},
                row.origin,
            )

    def orphan_categories(self) -> Iterator[Output]:
        for name, mapping in zip(_CATEGORY_FILES, (self.categories, self.airs), strict=True):
            for service_id in mapping:
                if service_id not in self.service_ids:
                    yield _side_file_reject(name, service_id)

    # --- contacts, phones, schedules ----------------------------------------------------------------

    def contacts(self) -> Iterator[Output]:
        for row in iter_rows(self.path / "contacts.csv"):
            contact_id = row.get("id")
            if contact_id is None:
                yield row.reject("contact", "no id: nothing could point at this contact", field="id")
                continue
            yield record(
                "contact",
                contact_id,
                {
                    "organization_id": row.get("organization_id"),
                    "service_id": row.get("service_id"),
                    "location_id": row.get("location_id"),
                    "name": clean_line(row.get("name")),
                    "title": clean_line(row.get("title")),
                    "department": clean_line(row.get("department")),
                    "email": row.get("email"),
                },
                row.origin,
            )

    def phones(self) -> Iterator[Output]:
        for row in iter_rows(self.path / "phones.csv"):
            phone_id = row.get("id")
            if phone_id is None:
                yield row.reject("phone", "no id", field="id")
                continue
            number = row.get("number")
            prefix = row.get("country_prefix")
            if number is not None and prefix is not None and not number.startswith("+"):
                number = f"+{prefix.lstrip('+')} {number}"
            vanity = row.get("vanity_number")
            yield from phone_records(
                row,
                phone_id,
                {
                    link: row.get(link)
                    for link in ("organization_id", "location_id", "service_id", "contact_id")
                },
                number=number,
                extension=row.get("extension"),
                phone_kind=row.get("number_type"),
                notes=(clean_line(row.get("department")), f"also {vanity}" if vanity else None),
            )

    def regular_schedules(self) -> Iterator[Output]:
        yield from _schedules(self.path / "regular_schedules.csv", weekly=True)

    def holiday_schedules(self) -> Iterator[Output]:
        yield from _schedules(self.path / "holiday_schedules.csv", weekly=False)


def _schedules(path: Path, *, weekly: bool) -> Iterator[Output]:
    for row in iter_rows(path):
        schedule_id = row.get("id")
        if schedule_id is None:
            yield row.reject("schedule", "no id", field="id")
            continue
        try:
            fields = weekly_schedule_fields(row) if weekly else holiday_schedule_fields(row)
        except FieldError as exc:
            yield row.reject("schedule", str(exc), field=exc.field)
            continue
        yield record("schedule", schedule_id, fields, row.origin)


def _language(row: Row, entity: str, entity_id: str) -> Iterable[Output]:
    # Ohana's languages cell is free text ("Spanish. Accommodations possible."): one record holds it
    # whole, and the import's language step reads codes out of it.
    text = clean_line(row.get("languages"))
    if text is None:
        return []
    return [
        record("language", f"{entity}:{entity_id}", {f"{entity}_id": entity_id, "name": text}, row.origin)
    ]


def _side_file_reject(name: str, service_id: str) -> Output:
    return RejectedRecord(
        origin=name,
        kind="attribute",
        source_id=service_id,
        field="service_id",
        reason=f"{name} lists service {service_id!r}, which is not in services.csv",
    )
