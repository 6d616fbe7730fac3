"""The Ohana API CSV reader on the Baltimore 211 export and on small broken folders."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from directory_import.formats.ohana_csv import OhanaCsvReader
from directory_import.records import RejectedRecord, SourceRecord, SourceUnreadable

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
BALTIMORE = DATA / "datasets" / "baltimore-ohana-csv"
SCHEMAS = DATA / "hsds" / "spec-3.1" / "schema"

# Reference fields of SourceRecord (records.py) and the kind each points at.
REFERENCES = {
    "organization_id": "organization",
    "parent_organization_id": "organization",
    "location_id": "location",
    "service_id": "service",
    "service_at_location_id": "service_at_location",
    "taxonomy_term_id": "taxonomy_term",
    "taxonomy_id": "taxonomy",
    "contact_id": "contact",
    "phone_id": "phone",
    "program_id": "program",
}


@cache
def baltimore() -> tuple[SourceRecord | RejectedRecord, ...]:
    return tuple(OhanaCsvReader(BALTIMORE).records())


def records_of(kind: str) -> list[SourceRecord]:
    return [item for item in baltimore() if isinstance(item, SourceRecord) and item.kind == kind]


def rejected() -> list[RejectedRecord]:
    return [item for item in baltimore() if isinstance(item, RejectedRecord)]


def by_id(kind: str) -> dict[str, SourceRecord]:
    return {item.source_id: item for item in records_of(kind)}


@cache
def hsds_properties(kind: str) -> frozenset[str]:
    schema = json.loads((SCHEMAS / f"{kind}.json").read_text(encoding="utf-8"))
    return frozenset(schema["properties"]) - {"id"}


@pytest.fixture(scope="module", autouse=True)
def _needs_data() -> None:
    if not BALTIMORE.is_dir():
        pytest.fail(f"the reference data is missing: expected {BALTIMORE}")


def test_yields_every_organization_location_and_service() -> None:
    counts = Counter(item.kind for item in baltimore() if isinstance(item, SourceRecord))
    assert counts["organization"] == 748
    assert counts["location"] == 1482
    assert counts["service"] == 1876
    assert counts["taxonomy_term"] >= 517
    assert counts["phone"] == 7157
    assert counts["contact"] >= 737


def test_service_without_location_is_kept_and_its_missing_link_reported() -> None:
    service = by_id("service")["144332"]
    assert service.fields["name"] == "good food 4 u"
    assert service.fields["status"] == "active"
    assert "organization_id" not in service.fields
    assert not [sal for sal in records_of("service_at_location") if sal.fields["service_id"] == "144332"]
    reports = [item for item in rejected() if item.source_id == "144332"]
    assert len(reports) == 1
    assert reports[0].kind == "service_at_location"
    assert reports[0].field == "location_id"
    assert re.fullmatch(r"services\.csv row \d+", reports[0].origin)
    assert "no location_id" in reports[0].reason
    # Every other service is at its location, under the location's organization.
    assert len(records_of("service_at_location")) == 1875
    assert by_id("service_at_location")["143903@1"].fields == {"service_id": "143903", "location_id": "1"}
    assert by_id("service")["143903"].fields["organization_id"] == "139776"


def test_every_field_is_an_hsds_31_field_with_a_json_value() -> None:
    unknown: Counter[tuple[str, str]] = Counter()
    nested = 0
    for item in baltimore():
        if isinstance(item, SourceRecord):
            unknown.update((item.kind, name) for name in item.fields.keys() - hsds_properties(item.kind))
            nested += sum(not isinstance(value, str | int | float | bool) for value in item.fields.values())
            assert item.fields, item.kind
    assert not unknown
    assert nested == 0


def test_references_point_backwards() -> None:
    position: dict[tuple[str, str], int] = {}
    forward: Counter[tuple[str, str]] = Counter()
    for index, item in enumerate(baltimore()):
        if not isinstance(item, SourceRecord):
            continue
        position[(item.kind, item.source_id)] = index
        for name, value in item.fields.items():
            target = REFERENCES.get(name) or (item.kind if name == "parent_id" else None)
            if name == "link_id":
                target = item.fields["link_entity"]
            if target is not None and position.get((target, value), -1) == -1:
                forward[(item.kind, name)] += 1
    # Every reference resolves to a record yielded earlier: nothing dangles, nothing points ahead.
    assert not forward


def test_addresses_of_unknown_locations_are_reported_not_yielded() -> None:
    addresses = records_of("address")
    kinds = Counter(address.fields["address_type"] for address in addresses)
    assert kinds == {"physical": 1482, "postal": 1874 - 393}
    orphans = [item for item in rejected() if item.kind == "address"]
    assert len(orphans) == 393
    assert all(
        item.field == "location_id" and item.origin.startswith("mail_addresses.csv row") for item in orphans
    )
    assert all(address.fields["country"] == "US" for address in addresses)


def test_padding_entities_and_postal_codes_are_cleaned() -> None:
    values = [
        value
        for item in baltimore()
        if isinstance(item, SourceRecord)
        for value in item.fields.values()
        if isinstance(value, str)
    ]
    assert sum(value != value.strip() for value in values) == 0
    assert sum(bool(re.search(r"&(#\d+|amp|quot);", value)) for value in values) == 0
    # Contacts hold real names: only counts are compared, so a failure prints no name.
    contacts = [contact for contact in records_of("contact") if "organization_id" in contact.fields]
    assert len(contacts) == 737
    assert (
        sum(contact.fields["name"] != " ".join(contact.fields["name"].split()) for contact in contacts) == 0
    )
    codes = Counter(
        "zip+4" if re.fullmatch(r"\d{5}-\d{4}", code) else "zip" if re.fullmatch(r"\d{5}", code) else "other"
        for code in (address.fields.get("postal_code", "") for address in records_of("address"))
    )
    assert codes["zip+4"] > 0
    assert codes["other"] <= 8
    organizations = by_id("organization")
    assert any("Dept' of Housing & Community" in org.fields["description"] for org in organizations.values())
    assert organizations["139776"].fields["name"] == "Sister to Sister House of New Beginnings"


def test_locations_have_numeric_coordinates_when_the_export_does() -> None:
    locations = records_of("location")
    located = [loc for loc in locations if "latitude" in loc.fields]
    assert len(located) == 1349
    assert all(
        isinstance(loc.fields["latitude"], float) and isinstance(loc.fields["longitude"], float)
        for loc in located
    )
    # Latitude and longitude are not swapped: every place is in the continental US (a few outside Maryland).
    assert all(24 < loc.fields["latitude"] < 50 and -125 < loc.fields["longitude"] < -66 for loc in located)
    assert {loc.fields["location_type"] for loc in locations} == {"physical"}
    assert not [item for item in rejected() if item.kind == "location"]


def test_languages_keep_the_source_text_for_the_language_step() -> None:
    languages = records_of("language")
    on_locations = [lang for lang in languages if "location_id" in lang.fields]
    on_services = [lang for lang in languages if "service_id" in lang.fields]
    assert len(on_locations) == 630
    assert len(on_services) == 864
    spanish = by_id("language")
    assert any(lang.fields["name"] == "Spanish." for lang in on_services)
    assert all(key.startswith(("location:", "service:")) for key in spanish)


def test_service_text_fields_use_hsds_31_names() -> None:
    service = by_id("service")["143903"].fields
    assert service["eligibility_description"].startswith("Homeless women, 18 and older")
    assert (
        service["fees_description"]
        == "$100-150 weekly.  $75 registration (can be waived if referred from certain agency)."
    )
    assert service["application_process"].startswith("Call to make an appointment.")
    # Descriptions lose the padding of every line but keep their paragraphs and indented lists.
    lines = [line for item in records_of("service") for line in item.fields["description"].split("\n")]
    assert sum(line != line.rstrip() for line in lines) == 0
    assert "\to Pediatric Care" in lines


def test_open_eligibility_and_airs_taxonomies_with_their_terms() -> None:
    taxonomies = by_id("taxonomy")
    assert taxonomies["open-eligibility"].fields["uri"] == "https://github.com/auntbertha/openeligibility"
    assert taxonomies["airs-211"].fields["name"] == "AIRS/211 Taxonomy"
    terms = by_id("taxonomy_term")
    open_eligibility = [term for term in terms.values() if term.fields["taxonomy"] == "open-eligibility"]
    assert len(open_eligibility) == 517
    assert terms["101-03"].fields == {
        "code": "101-03",
        "name": "Emergency Food",
        "description": "Emergency Food",
        "parent_id": "101",
        "taxonomy": "open-eligibility",
        "taxonomy_id": "open-eligibility",
    }
    assert terms["BD-1800.2000"].fields["name"] == "Food Pantries"
    assert terms["BD-1800.2000"].fields["parent_id"] == "BD-1800"
    assert terms["BD-1800.2000"].fields["taxonomy_id"] == "airs-211"


def test_services_link_to_terms_once_each() -> None:
    attributes = records_of("attribute")
    links = Counter((item.fields["link_id"], item.fields["taxonomy_term_id"]) for item in attributes)
    assert max(links.values()) == 1
    assert all(item.fields["link_entity"] == "service" for item in attributes)
    # service_categories.json lists category 365 three times for this service: one link.
    terms = by_id("taxonomy_term")
    open_links = [
        term
        for (service, term) in links
        if service == "140239" and terms[term].fields["taxonomy_id"] == "open-eligibility"
    ]
    assert len(open_links) == 1
    airs_links = {
        term
        for (service, term) in links
        if service == "143903" and terms[term].fields["taxonomy_id"] == "airs-211"
    }
    assert airs_links == {"BH-8600"}
    linked_services = {service for service, _ in links}
    assert len(linked_services) >= 1849


def test_phones_keep_short_dial_codes_and_never_invent_numbers() -> None:
    phones = by_id("phone")
    assert phones["491"].fields["number"] == "911"
    assert phones["491"].fields["description"] == "Emergency only"
    assert phones["2052"].fields["number"] == "711"
    # "(3  )    -" is a fragment, not a number: no number (the validator reports it), the text kept.
    assert "number" not in phones["2362"].fields
    assert "(3 ) -" in phones["2362"].fields["description"]
    assert {phone.fields["type"] for phone in phones.values()} == {"voice", "fax"}
    assert phones["2"].fields == {
        "organization_id": "139776",
        "location_id": "1",
        "service_id": "143903",
        "number": "(443) 910-2640",
        "type": "voice",
        "description": "Phone 1",
    }


def test_reading_twice_gives_the_same_ids() -> None:
    first = [(item.kind, item.source_id) for item in baltimore() if isinstance(item, SourceRecord)]
    again = [
        (item.kind, item.source_id)
        for item in OhanaCsvReader(BALTIMORE).records()
        if isinstance(item, SourceRecord)
    ]
    assert first == again
    assert len(set(first)) == len(first)


# --- small folders --------------------------------------------------------------------------------


def write_export(folder: Path, *, services: str | None = None, locations: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "organizations.csv").write_text(
        "id,name,description,website,date_incorporated\n1,  Food Bank  ,Feeds people &amp; families,http://food.example,1987-03-01\n",
        encoding="utf-8",
    )
    (folder / "locations.csv").write_text(
        locations
        or "id,organization_id,name,latitude,longitude,virtual,languages\n"
        "10,1,Main pantry,39.29,-76.61,false,Spanish\n",
        encoding="utf-8",
    )
    (folder / "services.csv").write_text(
        services
        or "id,location_id,name,status,fees,required_documents,service_areas\n"
        '100,10,Pantry,,None.   ,"Photo ID, Proof of address (lease, bill)",Baltimore City\n',
        encoding="utf-8",
    )
    (folder / "phones.csv").write_text(
        "id,organization_id,location_id,service_id,number,extension,number_type\n"
        "7,1,10,100,(410) 555-0100,front desk,voice\n8,1,,,(410) 555-0101 ext. 12,,fax\n",
        encoding="utf-8",
    )
    return folder


def read(folder: Path) -> list[SourceRecord | RejectedRecord]:
    return list(OhanaCsvReader(folder).records())


def test_small_export_maps_lists_extensions_and_defaults(tmp_path: Path) -> None:
    items = read(write_export(tmp_path / "export"))
    records = {(item.kind, item.source_id): item.fields for item in items if isinstance(item, SourceRecord)}
    assert records[("organization", "1")] == {
        "name": "Food Bank",
        "description": "Feeds people & families",
        "website": "http://food.example",
        "year_incorporated": 1987,
    }
    assert records[("location", "10")]["location_type"] == "physical"
    assert records[("service", "100")]["status"] == "active"
    assert records[("service", "100")]["fees_description"] == "None."
    documents = sorted(
        fields["document"] for (kind, _), fields in records.items() if kind == "required_document"
    )
    assert documents == ["Photo ID", "Proof of address (lease, bill)"]
    assert [fields["name"] for (kind, _), fields in records.items() if kind == "service_area"] == [
        "Baltimore City"
    ]
    # HSDS 3.1 extensions are numbers: a word goes to the description, an "ext." in the number is split off.
    assert records[("phone", "7")]["description"] == "extension front desk"
    assert "extension" not in records[("phone", "7")]
    assert records[("phone", "8")]["number"] == "(410) 555-0101"
    assert records[("phone", "8")]["extension"] == 12
    assert not [item for item in items if isinstance(item, RejectedRecord)]


@pytest.mark.parametrize(
    ("latitude", "longitude", "field"),
    [
        ("abc", "-76.61", "latitude"),
        ("39.29", "", "longitude"),
        ("39.29", "-276.61", "longitude"),
        ("0", "0", "latitude"),
    ],
)
def test_a_broken_coordinate_is_dropped_and_reported(
    tmp_path: Path, latitude: str, longitude: str, field: str
) -> None:
    folder = write_export(
        tmp_path / "export",
        locations=f"id,organization_id,name,latitude,longitude\n10,1,Main pantry,{latitude},{longitude}\n",
    )
    items = read(folder)
    location = next(item for item in items if isinstance(item, SourceRecord) and item.kind == "location")
    assert "latitude" not in location.fields
    assert "longitude" not in location.fields
    assert location.fields["name"] == "Main pantry"
    reports = [item for item in items if isinstance(item, RejectedRecord)]
    assert [(item.kind, item.field, item.origin) for item in reports] == [
        ("location", field, "locations.csv row 2")
    ]
    assert "kept without coordinates" in reports[0].reason


def test_invalid_utf8_names_the_file_and_line(tmp_path: Path) -> None:
    folder = write_export(tmp_path / "export")
    (folder / "services.csv").write_bytes(b"id,location_id,name\n100,10,Pantry\n101,10,Caf\xe9 meals\n")
    with pytest.raises(SourceUnreadable, match=r"services\.csv is not UTF-8 text: byte 0xe9 on line 3"):
        read(folder)


def test_a_bom_and_blank_rows_are_read(tmp_path: Path) -> None:
    folder = write_export(tmp_path / "export")
    (folder / "services.csv").write_bytes("\ufeffid,location_id,name\n\n100,10,Pantry\n,,\n".encode())
    services = [item for item in read(folder) if isinstance(item, SourceRecord) and item.kind == "service"]
    assert [(item.source_id, item.origin) for item in services] == [("100", "services.csv row 3")]


def test_a_folder_of_another_format_is_refused_clearly(tmp_path: Path) -> None:
    legacy = DATA / "datasets" / "openreferral-sample-hsds-1.1" / "all_resources"
    assert not OhanaCsvReader.looks_like(legacy)
    with pytest.raises(SourceUnreadable, match="organization_id column: an Ohana export links each service"):
        read(legacy)
    assert not OhanaCsvReader.looks_like(tmp_path)
    with pytest.raises(SourceUnreadable, match=r"has no organizations\.csv: not an Ohana API CSV export"):
        read(tmp_path)
    assert not OhanaCsvReader.looks_like(tmp_path / "missing")
    assert OhanaCsvReader.looks_like(BALTIMORE)


def test_a_missing_required_column_is_named(tmp_path: Path) -> None:
    folder = write_export(tmp_path / "export", services="id,location_id\n100,10\n")
    with pytest.raises(SourceUnreadable, match=r"services\.csv has no 'name' column"):
        read(folder)


def test_a_corrupt_side_file_is_refused(tmp_path: Path) -> None:
    folder = write_export(tmp_path / "export")
    (folder / "service_categories.json").write_text('{"100": ["1"', encoding="utf-8")
    with pytest.raises(SourceUnreadable, match=r"service_categories\.json is not valid JSON"):
        read(folder)


def test_categories_of_unknown_services_and_terms_are_reported(tmp_path: Path) -> None:
    folder = write_export(tmp_path / "export")
    shutil.copy(BALTIMORE / "taxonomy.csv", folder / "taxonomy.csv")
    (folder / "service_categories.json").write_text('{"100": ["3", "9999"], "555": ["3"]}', encoding="utf-8")
    items = read(folder)
    attributes = [
        item.fields for item in items if isinstance(item, SourceRecord) and item.kind == "attribute"
    ]
    assert attributes == [{"link_entity": "service", "link_id": "100", "taxonomy_term_id": "101-02"}]
    reports = sorted((item.origin, item.field or "") for item in items if isinstance(item, RejectedRecord))
    assert reports == [("service_categories.json", "service_id"), ("services.csv row 2", "taxonomy_term_id")]


def stream_kinds(items: Iterator[SourceRecord | RejectedRecord]) -> list[str]:
    kinds: list[str] = []
    for item in items:
        if isinstance(item, SourceRecord) and (not kinds or kinds[-1] != item.kind):
            kinds.append(item.kind)
    return kinds


def test_kinds_come_out_in_one_block_each() -> None:
    kinds = stream_kinds(iter(baltimore()))
    assert len(kinds) == len(set(kinds))
    assert kinds[:3] == ["taxonomy", "taxonomy_term", "organization"]
    assert kinds.index("location") < kinds.index("address") < kinds.index("service") < kinds.index("phone")
