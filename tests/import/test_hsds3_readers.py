"""HSDS 3 JSON, CSV and API readers on the official 3.1 examples (the API served by a local HTTP server)."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from collections import Counter
from collections.abc import Generator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

import pytest

from directory_import.formats import open_source
from directory_import.formats.hsds3_api import Hsds3ApiReader
from directory_import.formats.hsds3_csv import Hsds3CsvReader
from directory_import.formats.hsds3_json import Hsds3JsonReader
from directory_import.records import KIND_ORDER, RejectedRecord, SourceRecord, SourceUnreadable

SPEC = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "hsds" / "spec-3.1"
EXAMPLES = SPEC / "examples"
CSV_EXAMPLE = EXAMPLES / "csv"

SERVICE_ID = "ac148810-d857-441c-9679-408f346de14b"
SAL_ID = "e94c9f38-1e8f-4564-91d4-d53501ab1765"
ORGANIZATION_ID = "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610"
LOCATION_ID = "3a19ff88-4620-4d17-9830-ac1d859eb5d5"
CONTACT_ID = "1e7efce3-639b-4880-940c-b95cd30cdb50"
PHONE_ID = "1554f2e2-a373-45db-a3fa-9fc48a61c15e"
TERM_ID = "3f7b145d-84af-42d7-8fae-eaca714b02b2"
TAXONOMY_ID = "5c4d79d7-cc55-470e-9f1f-8cad074e4892"

REFERENCE_KINDS = {
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


@pytest.fixture(scope="module", autouse=True)
def _reference_data() -> None:
    if not EXAMPLES.is_dir():
        pytest.fail(f"the HSDS 3.1 examples are missing: expected {EXAMPLES}")


def read(reader: Any) -> tuple[list[SourceRecord], list[RejectedRecord]]:
    records: list[SourceRecord] = []
    rejected: list[RejectedRecord] = []
    for item in reader.records():
        (records if isinstance(item, SourceRecord) else rejected).append(item)
    return records, rejected


def by_key(records: list[SourceRecord]) -> dict[tuple[str, str], SourceRecord]:
    return {(record.kind, record.source_id): record for record in records}


def assert_parents_first(records: list[SourceRecord]) -> None:
    """Every reference to an object of the same read points backwards."""
    position: dict[tuple[str, str], int] = {
        (record.kind, record.source_id): index for index, record in enumerate(records)
    }
    for index, record in enumerate(records):
        for field, kind in REFERENCE_KINDS.items():
            target = record.fields.get(field)
            if target is not None and (kind, target) in position:
                assert position[(kind, target)] < index, (
                    f"{record.kind} {record.source_id} ({record.origin}) comes before the {kind} {target}"
                )


def service_variant(number: int) -> dict[str, Any]:
    """service_full.json as another service of the same organization, at the same location."""
    text = (EXAMPLES / "service_full.json").read_text(encoding="utf-8")
    if number:
        text = text.replace(SERVICE_ID, f"00000000-0000-4000-8000-{number:012d}")
        text = text.replace(SAL_ID, f"00000000-0000-4000-9000-{number:012d}")
    document: dict[str, Any] = json.loads(text)
    return document


# --- HSDS 3 JSON -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(path.name for path in EXAMPLES.glob("*.json")))
def test_every_official_example_reads_without_rejections(name: str) -> None:
    records, rejected = read(Hsds3JsonReader(EXAMPLES / name))

    assert rejected == []
    if name == "base.json":
        assert records == []  # the API description holds no directory data
    else:
        assert records
    assert len(by_key(records)) == len(records)
    assert_parents_first(records)
    for record in records:
        assert "id" not in record.fields
        assert all(isinstance(value, str | int | float | bool) for value in record.fields.values())


def test_service_full_is_flattened_into_one_record_per_object() -> None:
    records, rejected = read(Hsds3JsonReader(EXAMPLES / "service_full.json"))

    assert rejected == []
    assert Counter(record.kind for record in records) == Counter(dict.fromkeys(KIND_ORDER, 1))
    index = by_key(records)
    service = index[("service", SERVICE_ID)]
    assert service.fields["organization_id"] == ORGANIZATION_ID
    assert service.fields["program_id"] == "e7ec2e57-4540-43fa-b2c7-6be5a0ef7f42"
    assert service.fields["minimum_age"] == 12
    assert "phones" not in service.fields
    assert "organization" not in service.fields
    # The phone is nested under the service, its location, its service_at_location, the organization
    # and the contact: one record that points at all of them, as the tabular form writes it.
    phone = index[("phone", PHONE_ID)].fields
    assert {name: value for name, value in phone.items() if name.endswith("_id")} == {
        "service_id": SERVICE_ID,
        "organization_id": ORGANIZATION_ID,
        "location_id": LOCATION_ID,
        "service_at_location_id": SAL_ID,
        "contact_id": CONTACT_ID,
    }
    assert phone["extension"] == 100
    assert phone["type"] == "voice"
    assert index[("service_at_location", SAL_ID)].fields["location_id"] == LOCATION_ID
    assert index[("service_at_location", SAL_ID)].fields["service_id"] == SERVICE_ID
    assert index[("taxonomy_term", TERM_ID)].fields["taxonomy_id"] == TAXONOMY_ID
    attribute = index[("attribute", "ae58cc39-8b70-4ab1-8aea-786882e5ac8e")]
    assert attribute.fields["taxonomy_term_id"] == TERM_ID
    assert attribute.fields["link_id"] == SERVICE_ID
    unit = index[("unit", "8896b788-7b3e-11ef-8db9-7f3d040352b3")]
    assert index[("service_capacity", unit.source_id)].fields["unit_id"] == unit.source_id
    assert index[("metadata", "6cd71e9f-1013-49d9-8370-26b8f59d3e5a")].fields["resource_id"] == SERVICE_ID
    assert index[("language", "2989d3ed-c547-48f8-8f9d-432d81c7892e")].fields["phone_id"] == PHONE_ID
    kinds = [record.kind for record in records]
    assert kinds.index("organization") < kinds.index("service")
    assert kinds.index("taxonomy") < kinds.index("taxonomy_term") < kinds.index("attribute")
    assert index[("phone", PHONE_ID)].origin == "service_full.json > organization > contacts[0] > phones[0]"


def test_an_array_yields_each_shared_object_once(tmp_path: Path) -> None:
    source = tmp_path / "export.json"
    source.write_text(json.dumps([service_variant(0), service_variant(1), service_variant(2)]))

    records, rejected = read(Hsds3JsonReader(source))

    assert rejected == []
    counts = Counter(record.kind for record in records)
    assert counts["service"] == 3
    assert counts["service_at_location"] == 3
    assert counts["organization"] == counts["location"] == counts["phone"] == counts["taxonomy_term"] == 1
    assert len(by_key(records)) == len(records)
    assert_parents_first(records)
    second = by_key(records)[("service", "00000000-0000-4000-8000-000000000001")]
    assert second.origin == "export.json item 2"
    assert second.fields["organization_id"] == ORGANIZATION_ID


def test_a_big_array_is_read_item_by_item_from_a_mapped_file(tmp_path: Path) -> None:
    source = tmp_path / "services.json"
    source.write_text(json.dumps([service_variant(number) for number in range(60)]))
    assert source.stat().st_size > 1024 * 1024

    stream = cast(Generator[SourceRecord | RejectedRecord, None, None], Hsds3JsonReader(source).records())
    first = next(stream)
    stream.close()  # stopping early must release the mapped file without an error
    records, rejected = read(Hsds3JsonReader(source))

    assert isinstance(first, SourceRecord)
    assert rejected == []
    assert Counter(record.kind for record in records)["service"] == 60


def test_ndjson_is_read_line_by_line_and_a_broken_line_is_reported(tmp_path: Path) -> None:
    source = tmp_path / "services.ndjson"
    lines = [json.dumps(service_variant(0)), "{not json", "", json.dumps(service_variant(3))]
    source.write_text("\n".join(lines) + "\n")

    records, rejected = read(Hsds3JsonReader(source))

    assert Counter(record.kind for record in records)["service"] == 2
    assert len(rejected) == 1
    assert rejected[0].origin == "services.ndjson line 2"
    assert "not valid JSON" in rejected[0].reason


def test_a_folder_reads_taxonomies_before_the_terms_and_services(tmp_path: Path) -> None:
    for name in ("service_full.json", "taxonomy.json", "taxonomy_term_list.json"):
        shutil.copy(EXAMPLES / name, tmp_path / name)

    records, rejected = read(Hsds3JsonReader(tmp_path))

    assert rejected == []
    first_files = [record.origin.split(" ")[0] for record in records[:2]]
    assert first_files == ["taxonomy.json", "taxonomy_term_list.json"]
    assert Counter(record.kind for record in records)["taxonomy"] == 1


def test_objects_that_cannot_be_mapped_are_rejected_with_a_reason(tmp_path: Path) -> None:
    service = service_variant(0)
    service["phones"].append({"number": "555-0100"})
    service["schedules"] = "every day"
    source = tmp_path / "mixed.json"
    source.write_text(json.dumps([{"id": "x-1", "colour": "blue"}, 42, service]))

    records, rejected = read(Hsds3JsonReader(source))

    reasons = {(item.origin, item.field): item.reason for item in rejected}
    assert "cannot tell which HSDS 3 object" in reasons[("mixed.json item 1", None)]
    assert reasons[("mixed.json item 2", None)] == "expected a JSON object, found a number"
    assert reasons[("mixed.json item 3 > phones[1]", "id")] == "the phone has no id"
    assert reasons[("mixed.json item 3 > schedules", "schedules")] == "expected a JSON object, found a string"
    assert Counter(record.kind for record in records)["service"] == 1


def test_a_file_that_is_not_json_is_unreadable(tmp_path: Path) -> None:
    source = tmp_path / "broken.json"
    source.write_text('{"id": "a", "name": ')

    with pytest.raises(SourceUnreadable, match=r"broken\.json is not an HSDS 3 JSON document"):
        read(Hsds3JsonReader(source))


# --- HSDS 3 CSV ------------------------------------------------------------------------------------


def test_the_csv_package_reads_every_table_with_json_types() -> None:
    records, rejected = read(Hsds3CsvReader(CSV_EXAMPLE))

    assert rejected == []
    assert Counter(record.kind for record in records) == Counter(dict.fromkeys(KIND_ORDER, 1))
    index = by_key(records)
    assert index[("organization", ORGANIZATION_ID)].fields["year_incorporated"] == 2011
    assert index[("location", LOCATION_ID)].fields["latitude"] == 100
    assert index[("phone", PHONE_ID)].fields["extension"] == 100
    assert index[("phone", PHONE_ID)].fields["number"] == '"+44 1234 234567"'
    assert index[("schedule", "48102e86-bb50-41c4-8f1e-e269368c41d1")].fields["timezone"] == 3
    assert index[("cost_option", "1fdf4d39-3d80-484d-9f92-a8ffa08621e7")].fields["amount"] == 35
    capacity = index[("service_capacity", "8896b788-7b3e-11ef-8db9-7f3d040352b3")]
    assert capacity.fields["available"] == 12
    assert capacity.fields["maximum"] == 10
    assert index[("service", SERVICE_ID)].origin == "services.csv row 2"
    assert index[("url", "30951f94-7b24-11ef-ba1b-a79405d4dcaa")].fields == {
        "label": "Website",
        "url": "https://example.org",
    }
    kinds = [record.kind for record in records]
    assert kinds[:3] == ["taxonomy", "taxonomy_term", "organization"]
    # funding and url point at services: they are read after services.csv, not where KIND_ORDER has them.
    order = [kinds.index(kind) for kind in ("service", "funding", "url", "service_at_location")]
    assert order == sorted(order)


def test_the_csv_and_json_examples_describe_the_same_objects() -> None:
    from_json, _ = read(Hsds3JsonReader(EXAMPLES))
    from_csv, _ = read(Hsds3CsvReader(CSV_EXAMPLE))
    json_index, csv_index = by_key(from_json), by_key(from_csv)

    assert json_index.keys() == csv_index.keys()
    assert len(json_index) == 23
    # The examples disagree on some references (contacts.csv names another organization), but the
    # phone, its language and the schedule are the same rows once the nesting is flattened.
    for key in (
        ("phone", PHONE_ID),
        ("language", "2989d3ed-c547-48f8-8f9d-432d81c7892e"),
        ("schedule", "48102e86-bb50-41c4-8f1e-e269368c41d1"),
        ("service_at_location", SAL_ID),
        ("address", "74706e55-df26-4b84-80fe-ecc30b5befb4"),
    ):
        assert json_index[key].fields == csv_index[key].fields, key
    assert csv_index[("contact", CONTACT_ID)].fields["organization_id"] != ORGANIZATION_ID


def copy_package(tmp_path: Path) -> Path:
    folder = tmp_path / "package"
    shutil.copytree(CSV_EXAMPLE, folder)
    return folder


def test_csv_values_empty_cells_and_bad_rows(tmp_path: Path) -> None:
    folder = copy_package(tmp_path)
    (folder / "datapackage.json").unlink()  # the built-in 3.1 column types apply without it
    (folder / "locations.csv").write_text(
        "id,name,latitude,longitude,location_type\n"
        "loc-1,Civic Center,39.29,-76.61,physical\n"
        "loc-2,Library,north,-76.6,physical\n"
        ",No id,39.3,-76.6,physical\n"
        "loc-4,Shifted,39.3,-76.6,physical,extra\n"
        "loc-5,  Padded  ,,,\n"
        ",,,,\n"
    )

    records, rejected = read(Hsds3CsvReader(folder))

    locations = {record.source_id: record for record in records if record.kind == "location"}
    assert locations["loc-1"].fields == {
        "name": "Civic Center",
        "latitude": 39.29,
        "longitude": -76.61,
        "location_type": "physical",
    }
    assert locations["loc-5"].fields == {"name": "Padded"}
    assert set(locations) == {"loc-1", "loc-5"}
    assert [(item.origin, item.field, item.source_id) for item in rejected] == [
        ("locations.csv row 3", "latitude", "loc-2"),
        ("locations.csv row 4", "id", None),
        ("locations.csv row 5", None, "loc-4"),
    ]
    assert rejected[0].reason == "latitude must be a number, found 'north'"
    assert "6 values but the header has 5 columns" in rejected[2].reason


def test_a_csv_file_that_is_not_utf8_is_unreadable(tmp_path: Path) -> None:
    folder = copy_package(tmp_path)
    (folder / "services.csv").write_bytes("id,name,status\ns-1,Caf\xe9 Libre,active\n".encode("latin-1"))

    with pytest.raises(SourceUnreadable, match=r"services\.csv is not UTF-8 text"):
        read(Hsds3CsvReader(folder))


# --- HSDS 3 API ------------------------------------------------------------------------------------


def _json(path: str) -> Any:
    return json.loads((EXAMPLES / path).read_text(encoding="utf-8"))


class FakeHsdsApi(ThreadingHTTPServer):
    """The official examples served under /hsds as an HSDS 3 API with real paging."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.services = [service_variant(number) for number in range(3)]
        self.lists: dict[str, list[Any]] = {
            "/hsds/taxonomies": [_json("taxonomy.json")],
            "/hsds/taxonomy_terms": [_json("taxonomy_term.json")],
            "/hsds/organizations": [_json("organization_full.json")],
            "/hsds/services": self.services,
            "/hsds/service_at_locations": [_json("service_at_location_full.json")],
        }
        self.honour_full = True
        self.failures: dict[str, list[tuple[int, dict[str, str]]]] = {}
        self.requests: list[str] = []
        self.lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hsds"


class _Handler(BaseHTTPRequestHandler):
    server: FakeHsdsApi

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(
        self, status: int, body: Any, headers: dict[str, str] | None = None, *, raw: bool = False
    ) -> None:
        data = body if raw else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html" if raw else "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        api = self.server
        url = urlsplit(self.path)
        query = {name: values[0] for name, values in parse_qs(url.query).items()}
        with api.lock:
            api.requests.append(self.path)
            pending = api.failures.get(url.path)
            failure = pending.pop(0) if pending else None
        if failure is not None:
            self._send(failure[0], {"detail": "try later"}, failure[1])
        elif url.path in ("/hsds", "/hsds/"):
            self._send(200, _json("base.json"))
        elif url.path == "/html/":
            self._send(200, b"<html><body>Welcome</body></html>", raw=True)
        elif url.path.startswith("/hsds/services/"):
            wanted = url.path.rsplit("/", 1)[1]
            match = [service for service in api.services if service["id"] == wanted]
            self._send(200, match[0]) if match else self._send(404, {"detail": "not found"})
        elif url.path in api.lists:
            items = api.lists[url.path]
            if url.path == "/hsds/services" and not (api.honour_full and query.get("full") == "true"):
                # OpenAPI: without full, list items hold one-to-one fields only.
                items = [{k: v for k, v in item.items() if not isinstance(v, list)} for item in items]
            page, per_page = int(query.get("page", "1")), int(query.get("per_page", "10"))
            total_pages = max(1, -(-len(items) // per_page))
            contents = items[(page - 1) * per_page : page * per_page]
            self._send(
                200,
                {
                    "total_items": len(items),
                    "total_pages": total_pages,
                    "page_number": page,
                    "size": len(contents),
                    "first_page": page == 1,
                    "last_page": page >= total_pages,
                    "empty": not contents,
                    "contents": contents,
                },
            )
        else:
            self._send(404, b"<html>Not Found</html>", raw=True)


@pytest.fixture
def api() -> Iterator[FakeHsdsApi]:
    server = FakeHsdsApi()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_the_api_is_read_page_by_page(api: FakeHsdsApi) -> None:
    records, rejected = read(Hsds3ApiReader(api.base_url, per_page=1))

    assert rejected == []
    counts = Counter(record.kind for record in records)
    assert counts["service"] == 3
    assert counts["service_at_location"] == 3
    assert counts["organization"] == counts["taxonomy"] == counts["taxonomy_term"] == counts["phone"] == 1
    assert len(by_key(records)) == len(records)
    assert_parents_first(records)
    service_pages = [path for path in api.requests if path.startswith("/hsds/services?")]
    assert len(service_pages) == 3  # total_pages is followed: no request for a fourth page
    assert all("per_page=1" in path and "full=true" in path for path in service_pages)
    assert api.requests[0] == "/hsds/"
    assert by_key(records)[("service", SERVICE_ID)].origin == "GET /services page 1 item 1"


def test_services_are_fetched_one_by_one_when_the_list_is_not_full(api: FakeHsdsApi) -> None:
    api.honour_full = False

    records, rejected = read(Hsds3ApiReader(api.base_url, per_page=2))

    assert rejected == []
    assert Counter(record.kind for record in records)["service"] == 3
    fetched = [path for path in api.requests if path.startswith("/hsds/services/")]
    assert sorted(fetched) == sorted(f"/hsds/services/{service['id']}" for service in api.services)
    assert ("cost_option", "1fdf4d39-3d80-484d-9f92-a8ffa08621e7") in by_key(records)


def test_429_and_5xx_are_retried_honouring_retry_after(api: FakeHsdsApi) -> None:
    api.failures["/hsds/services"] = [(503, {}), (429, {"Retry-After": "0"})]

    records, _ = read(Hsds3ApiReader(api.base_url, backoff=0.01))

    assert Counter(record.kind for record in records)["service"] == 3
    assert len([path for path in api.requests if path.startswith("/hsds/services?")]) == 3


def test_an_api_that_keeps_failing_is_unreadable(api: FakeHsdsApi) -> None:
    api.failures["/hsds/services"] = [(500, {})] * 10

    with pytest.raises(SourceUnreadable, match=r"/hsds/services\?.* answered 500"):
        read(Hsds3ApiReader(api.base_url, retries=2, backoff=0.01))
    assert len([path for path in api.requests if path.startswith("/hsds/services?")]) == 3


def test_a_long_retry_after_stops_the_import_with_a_clear_message(api: FakeHsdsApi) -> None:
    api.failures["/hsds/taxonomies"] = [(429, {"Retry-After": "3600"})]

    started = time.monotonic()
    with pytest.raises(SourceUnreadable, match="asks to retry after 3600 s"):
        read(Hsds3ApiReader(api.base_url))
    assert time.monotonic() - started < 5


def test_a_response_over_the_size_limit_is_refused(api: FakeHsdsApi) -> None:
    with pytest.raises(SourceUnreadable, match="more than 2,000 bytes"):
        read(Hsds3ApiReader(api.base_url, max_response_bytes=2000))


def test_open_source_recognises_an_hsds_api(api: FakeHsdsApi) -> None:
    with open_source(api.base_url + "/") as source:
        assert source.description == f"HSDS 3 API at {api.base_url}"
        assert source.reader.format_name == "hsds3-api"
        records, _ = read(source.reader)
    assert Counter(record.kind for record in records)["service"] == 3


def test_a_url_that_is_not_an_hsds_api_is_unreadable(api: FakeHsdsApi) -> None:
    root = api.base_url.removesuffix("/hsds")
    not_hsds = r"does not answer like an HSDS 3 API: GET .*/elsewhere/ returned 404"
    with pytest.raises(SourceUnreadable, match=not_hsds):
        open_source(root + "/elsewhere")
    with pytest.raises(SourceUnreadable, match=r"is not JSON \('<html><body>Welcome"):
        open_source(root + "/html")


def test_an_unreachable_url_is_unreadable_at_once() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()

    with pytest.raises(SourceUnreadable, match="did not answer: cannot connect"):
        open_source(f"http://127.0.0.1:{port}/hsds", http_timeout=5)
    assert time.monotonic() - started < 3
