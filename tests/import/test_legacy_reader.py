"""The HSDS 1.x/2.x CSV reader on the ILAO exports, the Open Referral sample and small broken packages."""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from directory_import.formats.hsds_legacy_csv import LegacyHsdsCsvReader
from directory_import.records import RejectedRecord, SourceRecord, SourceUnreadable

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
ILAO = DATA / "datasets" / "ilao-legal-aid-hsds-1.1"
SAMPLE = DATA / "datasets" / "openreferral-sample-hsds-1.1"
SCHEMAS = DATA / "hsds" / "spec-3.1" / "schema"
PACKAGES = {
    "ilao-output": ILAO / "output",
    "ilao-output-full-tmp": ILAO / "output-full-tmp",
    "sample-all-resources": SAMPLE / "all_resources",
    "sample-simple": SAMPLE / "simple",
}

REFERENCES = {
    "organization_id": "organization",
    "location_id": "location",
    "service_id": "service",
    "service_at_location_id": "service_at_location",
    "taxonomy_term_id": "taxonomy_term",
    "contact_id": "contact",
    "phone_id": "phone",
    "program_id": "program",
}

Item = SourceRecord | RejectedRecord


@cache
def read_package(name: str) -> tuple[Item, ...]:
    return tuple(LegacyHsdsCsvReader(PACKAGES[name]).records())


def records(name: str, kind: str) -> list[SourceRecord]:
    return [item for item in read_package(name) if isinstance(item, SourceRecord) and item.kind == kind]


def rejected(name: str) -> list[RejectedRecord]:
    return [item for item in read_package(name) if isinstance(item, RejectedRecord)]


def counts(name: str) -> Counter[str]:
    return Counter(item.kind for item in read_package(name) if isinstance(item, SourceRecord))


@cache
def hsds_properties(kind: str) -> frozenset[str]:
    schema = json.loads((SCHEMAS / f"{kind}.json").read_text(encoding="utf-8"))
    return frozenset(schema["properties"]) - {"id"}


@pytest.fixture(scope="module", autouse=True)
def _needs_data() -> None:
    missing = [str(path) for path in PACKAGES.values() if not path.is_dir()]
    if missing:
        pytest.fail(f"the reference data is missing: {missing}")


# --- the real packages ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PACKAGES))
def test_every_package_is_recognised_and_uses_hsds_31_field_names(name: str) -> None:
    assert LegacyHsdsCsvReader.looks_like(PACKAGES[name])
    unknown: Counter[tuple[str, str]] = Counter()
    for item in read_package(name):
        if isinstance(item, SourceRecord):
            unknown.update((item.kind, field) for field in item.fields.keys() - hsds_properties(item.kind))
            assert all(isinstance(value, str | int | float | bool) for value in item.fields.values())
    assert not unknown


@pytest.mark.parametrize("name", sorted(PACKAGES))
def test_references_never_point_ahead(name: str) -> None:
    items = [item for item in read_package(name) if isinstance(item, SourceRecord)]
    position: dict[tuple[str, str], int] = {
        (item.kind, item.source_id): index for index, item in enumerate(items)
    }
    assert len(position) == len(items), "source ids repeat within a kind"
    ahead = []
    for index, item in enumerate(items):
        for field, value in item.fields.items():
            target = REFERENCES.get(field) or (item.kind if field == "parent_id" else None)
            if field == "link_id":
                target = item.fields["link_entity"]
            # A dangling reference is the pipeline's to report; one pointing at a later record is a bug.
            if target is not None and position.get((target, value), -1) > index:
                ahead.append((item.kind, field))
    assert not ahead


def test_ilao_output_counts() -> None:
    assert counts("ilao-output") == {
        "organization": 33,
        "location": 520,
        "service": 429,
        "phone": 985,
        "schedule": 2492,
    }
    problems = Counter((item.kind, item.field) for item in rejected("ilao-output"))
    assert problems == {("address", "location_id"): 33, ("service", "id"): 1}


def test_ilao_empty_service_row_is_reported_so_430_rows_are_accounted_for() -> None:
    (report,) = [item for item in rejected("ilao-output") if item.kind == "service"]
    assert report.origin == "services.csv row 431"
    assert report.field == "id"
    assert len(records("ilao-output", "service")) + 1 == 430


def test_ilao_mailing_addresses_without_a_location_or_city_are_explained() -> None:
    reports = [item for item in rejected("ilao-output") if item.kind == "address"]
    assert all(item.origin.startswith("postal_addresses.csv row ") for item in reports)
    assert "belongs to organization '131321', not to a location, and has no city" in reports[0].reason


def test_ilao_schedules_carry_days_and_times() -> None:
    schedules = records("ilao-output", "schedule")
    assert Counter(item.fields["byday"] for item in schedules) == dict.fromkeys(
        ["SU", "MO", "TU", "WE", "TH", "FR", "SA"], 356
    )
    assert {item.fields["freq"] for item in schedules} == {"WEEKLY"}
    timed = [item for item in schedules if "opens_at" in item.fields]
    assert len(timed) == 1827
    assert all(re.fullmatch(r"\d\d:\d\d", item.fields["opens_at"]) for item in timed)
    assert all(re.fullmatch(r"\d\d:\d\d", item.fields["closes_at"]) for item in timed)
    first = schedules[0]
    assert first.fields == {
        "location_id": "135831",
        "freq": "WEEKLY",
        "byday": "SU",
        "opens_at": "11:00",
        "closes_at": "20:00",
    }


def test_ilao_services_default_to_active_and_keep_fees_text() -> None:
    services = {item.source_id: item.fields for item in records("ilao-output", "service")}
    assert {fields["status"] for fields in services.values()} == {"active"}
    assert services["135836"] == {
        "organization_id": "91676",
        "name": "Free legal information and forms in Cook County",
        "description": "Legal self-help center",
        "url": "http://www.ahml.info/",
        "status": "active",
        "fees_description": "Free to everyone",
    }
    assert {
        fields["location_type"] for fields in (item.fields for item in records("ilao-output", "location"))
    } == {"physical"}


def test_ilao_phones_split_extensions_and_lists_of_numbers() -> None:
    phones = records("ilao-output", "phone")
    with_extension = [item.fields for item in phones if item.fields.get("number") == "312-346-9766"]
    assert with_extension == [{"organization_id": "25186", "number": "312-346-9766", "extension": 715}]
    assert all(isinstance(item.fields.get("extension", 0), int) for item in phones)
    # "(618) 453-xxxx; (618) 536-7711": a second phone, with an id derived from the first.
    seconds = [item for item in phones if item.source_id.endswith("/2")]
    assert len(seconds) == 3
    firsts = {item.source_id for item in phones}
    assert all(item.source_id.removesuffix("/2") in firsts for item in seconds)
    # "no phone" is not a number: the phone has none (the validator names the field), the text is kept.
    assert sum(item.fields.get("description") == "no phone" for item in phones) == 8


def test_ilao_full_tmp_counts_and_service_at_location() -> None:
    assert counts("ilao-output-full-tmp") == {
        "organization": 33,
        "location": 520,
        "service": 429,
        "service_at_location": 335,
        "phone": 521,
        "schedule": 2492,
    }
    links = records("ilao-output-full-tmp", "service_at_location")
    assert all(
        item.source_id == f"{item.fields['service_id']}@{item.fields['location_id']}" for item in links
    )
    reports = rejected("ilao-output-full-tmp")
    assert {(item.kind, item.field) for item in reports} == {("service_at_location", "service_id")}
    assert len(reports) == 185


def test_rows_without_ids_get_the_same_ids_on_every_read() -> None:
    first = [
        (item.kind, item.source_id) for item in read_package("ilao-output") if isinstance(item, SourceRecord)
    ]
    again = [
        (item.kind, item.source_id)
        for item in LegacyHsdsCsvReader(PACKAGES["ilao-output"]).records()
        if isinstance(item, SourceRecord)
    ]
    assert first == again
    assert any(source_id.startswith("regular_schedules:") for kind, source_id in first if kind == "schedule")


def test_sample_package_maps_every_table() -> None:
    assert counts("sample-all-resources") == {
        "taxonomy_term": 1,
        "organization": 10,
        "program": 1,
        "location": 10,
        "address": 2,
        "accessibility": 1,
        "service": 13,
        "funding": 1,
        "service_at_location": 13,
        "service_area": 1,
        "cost_option": 2,
        "required_document": 1,
        "contact": 1,
        "phone": 5,
        "schedule": 4,
        "language": 8,
        "metadata": 1,
    }
    assert counts("sample-simple") == {
        "organization": 10,
        "location": 10,
        "service": 13,
        "service_at_location": 13,
        "phone": 5,
        "language": 6,
        "metadata": 131,
    }


def test_sample_addresses_schedules_and_service_details() -> None:
    name = "sample-all-resources"
    addresses = {item.fields["address_type"]: item.fields for item in records(name, "address")}
    assert set(addresses) == {"physical", "postal"}
    assert addresses["physical"]["address_1"] == "Address 1"
    assert addresses["physical"]["state_province"] == "NY"
    assert addresses["physical"]["country"] == "US"
    schedules = {item.source_id: item.fields for item in records(name, "schedule")}
    weekly = schedules["fa9dbdb0-1b0c-11e9-b56e-0800200c9a66"]
    assert (weekly["byday"], weekly["opens_at"], weekly["closes_at"]) == ("MO", "09:00", "17:00")
    # The holiday row reuses the id of a regular row: it is kept under a prefixed id, not lost.
    holiday = schedules["holiday:fa9dbdb0-1b0c-11e9-b56e-0800200c9a66"]
    assert (holiday["valid_from"], holiday["valid_to"], holiday["description"]) == (
        "2019-12-24",
        "2019-12-26",
        "Closed",
    )
    service = next(item.fields for item in records(name, "service") if item.source_id.startswith("c89eb05c"))
    assert service["eligibility_description"] == "adult"
    assert sorted(item.fields["option"] for item in records(name, "cost_option")) == ["cash", "credit card"]
    (accessibility,) = records(name, "accessibility")
    assert accessibility.fields["description"] == "disabled_parking"
    (program,) = records(name, "program")
    assert program.fields["description"] == "Program 1"


def test_sample_phone_languages_become_language_records_of_the_phone() -> None:
    languages = records("sample-all-resources", "language")
    on_phones = Counter(item.fields["phone_id"] for item in languages if "phone_id" in item.fields)
    assert on_phones["3733e828-58e5-4ff5-9dc6-ae24f92a0f56"] == 2
    assert sum(on_phones.values()) == 6
    assert {item.fields["name"] for item in languages if "service_id" in item.fields} == {
        "English",
        "Spanish",
    }


def test_sample_taxonomy_term_with_a_missing_parent_is_kept_at_the_top() -> None:
    (term,) = records("sample-all-resources", "taxonomy_term")
    assert term.fields == {"name": "Taxonomy A", "description": "Taxonomy A", "taxonomy": "AIRS"}
    (report,) = rejected("sample-all-resources")
    assert (report.kind, report.field, report.origin) == ("taxonomy_term", "parent_id", "taxonomy.csv row 2")


def test_sample_metadata_names_the_type_of_what_it_describes() -> None:
    types = Counter(item.fields.get("resource_type") for item in records("sample-simple", "metadata"))
    assert types["organization"] == 28
    assert types["location"] == 34


# --- small packages ---------------------------------------------------------------------------------


def write_package(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    tables = {
        "organizations.csv": "id,name,description,url\no1,Legal Aid,Free legal help,http://aid.example\n",
        "services.csv": "id,organization_id,name,status,taxonomy_ids\ns1,o1,Advice,,t2\n",
        "locations.csv": "id,organization_id,name,latitude,longitude\nl1,o1,Office,41.88,-87.63\n",
        "services_at_location.csv": "id,service_id,location_id\n,s1,l1\n",
    }
    tables.update({name.replace("__", "."): text for name, text in files.items()})
    for name, text in tables.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def read(folder: Path) -> list[Item]:
    return list(LegacyHsdsCsvReader(folder).records())


def fields_of(items: list[Item], kind: str) -> list[dict[str, object]]:
    return [item.fields for item in items if isinstance(item, SourceRecord) and item.kind == kind]


def test_small_package_weekday_numbers_taxonomy_and_attributes(tmp_path: Path) -> None:
    folder = write_package(
        tmp_path / "package",
        regular_schedules__csv="id,location_id,weekday,opens_at,closes_at\n"
        "r1,l1,1,9:00 AM,5:30 PM\nr2,l1,7,10:00:00,24:00\nr3,l1,Funday,9:00,17:00\nr4,l1,Tue,9:00,25:00\n",
        taxonomy__csv="id,name,parent_id,vocabulary\nt2,Eviction,t1,Legal\nt1,Housing law,,Legal\n",
        services_taxonomy__csv="id,service_id,taxonomy_id\nst1,s1,t2\n",
        eligibility__csv="id,service_id,eligibility\ne1,s1,adult\ne2,s1,family\n",
    )
    items = read(folder)
    schedules = fields_of(items, "schedule")
    assert [(s["byday"], s["opens_at"], s["closes_at"]) for s in schedules] == [
        ("MO", "09:00", "17:30"),
        ("SU", "10:00", "23:59"),
    ]
    reports = [(item.origin, item.field) for item in items if isinstance(item, RejectedRecord)]
    assert reports == [
        ("regular_schedules.csv row 4", "weekday"),
        ("regular_schedules.csv row 5", "closes_at"),
    ]
    # Parents first although the file lists the child first.
    assert [term["name"] for term in fields_of(items, "taxonomy_term")] == ["Housing law", "Eviction"]
    # services_taxonomy and services.taxonomy_ids both link s1 to t2: one attribute.
    assert fields_of(items, "attribute") == [
        {"link_entity": "service", "link_id": "s1", "taxonomy_term_id": "t2"}
    ]
    (service,) = fields_of(items, "service")
    assert service["eligibility_description"] == "adult; family"
    assert service["status"] == "active"
    (organization,) = fields_of(items, "organization")
    assert organization["website"] == "http://aid.example"
    assert "url" not in organization


def test_rows_without_ids_get_derived_ids_and_exact_duplicates_are_reported(tmp_path: Path) -> None:
    row = ",l1,(312) 555-0100 or (312) 555-0199,en\n"
    phones = "id,location_id,number,language\n" + row + row
    items = read(write_package(tmp_path / "package", phones__csv=phones))
    numbers = sorted(
        (item.source_id, item.fields["number"])
        for item in items
        if isinstance(item, SourceRecord) and item.kind == "phone"
    )
    assert [number for _, number in numbers] == ["(312) 555-0100", "(312) 555-0199"]
    first_id = numbers[0][0]
    assert re.fullmatch(r"phones:[0-9a-f]{20}", first_id)
    assert numbers[1][0] == f"{first_id}/2"
    languages = fields_of(items, "language")
    assert languages == [{"phone_id": first_id, "name": "en"}, {"phone_id": f"{first_id}/2", "name": "en"}]
    (report,) = [item for item in items if isinstance(item, RejectedRecord)]
    assert (report.kind, report.origin) == ("phone", "phones.csv row 3")
    assert "the same values as row 2" in report.reason
    (link,) = fields_of(items, "service_at_location")
    assert link == {"service_id": "s1", "location_id": "l1"}


def test_a_broken_latitude_is_dropped_and_reported(tmp_path: Path) -> None:
    folder = write_package(
        tmp_path / "package",
        locations__csv="id,organization_id,name,latitude,longitude\nl1,o1,Office,abc,-87.63\n",
    )
    items = read(folder)
    (location,) = fields_of(items, "location")
    assert location == {"location_type": "physical", "organization_id": "o1", "name": "Office"}
    (report,) = [item for item in items if isinstance(item, RejectedRecord)]
    assert (report.kind, report.field, report.origin) == ("location", "latitude", "locations.csv row 2")
    assert "'abc' is not a number" in report.reason


def test_an_address_on_an_organization_gets_a_location_of_its_own(tmp_path: Path) -> None:
    folder = write_package(
        tmp_path / "package",
        postal_addresses__csv="id,organization_id,address_1,city,state_province,postal_code\n"
        "a1,o1,1 Main St,Chicago,IL,606011234\n",
    )
    items = read(folder)
    locations = [item for item in items if isinstance(item, SourceRecord) and item.kind == "location"]
    assert locations[-1].source_id == "a1/location"
    assert locations[-1].fields == {"location_type": "postal", "organization_id": "o1"}
    (address,) = fields_of(items, "address")
    assert address["location_id"] == "a1/location"
    assert address["postal_code"] == "60601-1234"
    assert address["country"] == "US"


def test_invalid_utf8_names_the_file(tmp_path: Path) -> None:
    folder = write_package(tmp_path / "package")
    (folder / "locations.csv").write_bytes(b"id,organization_id,name\nl1,o1,Bureau d'aide l\xe9gale\n")
    with pytest.raises(SourceUnreadable, match=r"locations\.csv is not UTF-8 text: byte 0xe9 on line 2"):
        read(folder)


def test_a_datapackage_cannot_point_outside_its_folder(tmp_path: Path) -> None:
    (tmp_path / "outside.csv").write_text("id,name\nx,Secret\n", encoding="utf-8")
    folder = write_package(tmp_path / "package")
    descriptor = {"resources": [{"name": "organization", "path": "../outside.csv"}]}
    (folder / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    assert [org["name"] for org in fields_of(read(folder), "organization")] == ["Legal Aid"]
    (folder / "datapackage.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(SourceUnreadable, match=r"datapackage\.json .* is not valid JSON"):
        read(folder)


def test_folders_of_other_formats_are_refused_clearly(tmp_path: Path) -> None:
    ohana = DATA / "datasets" / "baltimore-ohana-csv"
    assert not LegacyHsdsCsvReader.looks_like(ohana)
    with pytest.raises(SourceUnreadable, match=r"services\.csv has no organization_id column"):
        read(ohana)
    hsds3 = DATA / "hsds" / "spec-3.1" / "examples" / "csv"
    assert not LegacyHsdsCsvReader.looks_like(hsds3)
    with pytest.raises(SourceUnreadable, match="holds HSDS 3 tables"):
        read(hsds3)
    assert not LegacyHsdsCsvReader.looks_like(tmp_path)
    with pytest.raises(SourceUnreadable, match=r"has no organizations\.csv: not an HSDS 1\.x/2\.x package"):
        read(tmp_path)


def test_a_missing_required_column_is_named(tmp_path: Path) -> None:
    folder = write_package(tmp_path / "package", services__csv="id,organization_id\ns1,o1\n")
    with pytest.raises(SourceUnreadable, match=r"services\.csv has no 'name' column"):
        read(folder)
