"""The HSDS 3.1 read API under /hsds, over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import event

from directory_import.pipeline import import_source
from referral_hub.app import create_app
from referral_hub.directory.hsds import WHOLE_NUMBER_FIELDS
from referral_hub.geo.distance import great_circle_km
from referral_hub.geo.zip_centroids import zip_centroid
from referral_hub.settings import Settings
from tests.api.directory_seed import flatten_all, run, seed, seed_examples, update_rows
from tests.api.hsds_validation import (
    api_info_validator,
    assert_valid,
    assert_valid_page,
    example,
)

# Fields the API adds to the official examples: references that the nesting implied there.
REFERENCE_FIELDS = frozenset(
    {
        "organization_id",
        "service_id",
        "location_id",
        "service_at_location_id",
        "contact_id",
        "phone_id",
        "program_id",
        "unit_id",
        "taxonomy_id",
        "taxonomy_term_id",
        "link_id",
        "resource_id",
    }
)
DATE_TIME_FIELDS = frozenset({"last_modified", "updated"})

LIST_ROUTES = {
    "/hsds/services": "compiled/service_list.json",
    "/hsds/organizations": "compiled/organization_list.json",
    "/hsds/service_at_locations": "compiled/service_at_location_list.json",
    "/hsds/taxonomies": "taxonomy.json",
    "/hsds/taxonomy_terms": "taxonomy_term.json",
}
LIST_EXAMPLES = {
    "/hsds/services": "service_list.json",
    "/hsds/organizations": "organization_list.json",
    "/hsds/service_at_locations": "service_at_location_list.json",
    "/hsds/taxonomies": "taxonomy_list.json",
    "/hsds/taxonomy_terms": "taxonomy_term_list.json",
}
DETAIL_SCHEMAS = {
    "services": "service.json",
    "organizations": "organization.json",
    "service_at_locations": "service_at_location.json",
    "taxonomies": "taxonomy.json",
    "taxonomy_terms": "taxonomy_term.json",
}


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient[Any]]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def get_json(client: TestClient[Any], url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, f"{url}: {response.status_code} {response.text[:500]}"
    return response.json()


def assert_same(expected: Any, actual: Any, path: str = "$") -> None:
    """`actual` says everything `expected` says, and adds nothing but reference ids."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: {actual!r} is not an object"
        extra = set(actual) - set(expected) - REFERENCE_FIELDS
        assert not extra, f"{path}: fields the example does not have: {sorted(extra)}"
        for name, value in expected.items():
            assert name in actual, f"{path}.{name} is missing"
            if name in DATE_TIME_FIELDS:
                parsed = datetime.fromisoformat(actual[name])
                assert parsed == datetime.fromisoformat(value), f"{path}.{name}: {actual[name]} != {value}"
                assert actual[name].endswith("Z"), f"{path}.{name}: {actual[name]} is not UTC with Z"
            else:
                assert_same(value, actual[name], f"{path}.{name}")
            if name in WHOLE_NUMBER_FIELDS:
                assert isinstance(actual[name], int), f"{path}.{name}: {actual[name]!r} is not an integer"
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{path}: {actual!r} is not an array"
        assert len(actual) == len(expected), f"{path}: {len(actual)} items, expected {len(expected)}"
        for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
            assert_same(want, got, f"{path}[{index}]")
    else:
        assert actual == expected, f"{path}: {actual!r} != {expected!r}"


def all_pages(client: TestClient[Any], url: str, per_page: int = 100) -> list[dict[str, Any]]:
    separator = "&" if "?" in url else "?"
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        body = get_json(client, f"{url}{separator}page={page}&per_page={per_page}")
        items.extend(body["contents"])
        if body["last_page"]:
            return items
        page += 1


def ndjson(client: TestClient[Any], url: str) -> list[dict[str, Any]]:
    response = client.get(url)
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"] == "application/x-ndjson"
    assert response.text == "" or response.text.endswith("\n")
    return [json.loads(line) for line in response.text.splitlines()]


# Small objects for tests to nest as HSDS does; directory_seed flattens them into rows.


def new_id() -> str:
    return str(uuid.uuid4())


def organization(name: str, **fields: Any) -> dict[str, Any]:
    return {"id": new_id(), "name": name, "description": f"About {name}", **fields}


def service(name: str, owner: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    obj = {"id": new_id(), "name": name, "status": "active", **fields}
    if owner is not None:
        obj["organization"] = owner
    return obj


def location(
    name: str, point: tuple[float, float] | None = None, postal_code: str | None = None, **fields: Any
) -> dict[str, Any]:
    obj: dict[str, Any] = {"id": new_id(), "name": name, "location_type": "physical", **fields}
    if point is not None:
        obj["latitude"], obj["longitude"] = point
    if postal_code is not None:
        obj["addresses"] = [
            {
                "id": new_id(),
                "address_1": "1 Main Street",
                "city": "Baltimore",
                "state_province": "MD",
                "postal_code": postal_code,
                "country": "US",
                "address_type": "physical",
            }
        ]
    return obj


def at(offered: dict[str, Any], place: dict[str, Any]) -> dict[str, Any]:
    return {"id": new_id(), "service": offered, "location": place}


def tag(obj: dict[str, Any], *terms: dict[str, Any]) -> dict[str, Any]:
    obj["attributes"] = [{"id": new_id(), "taxonomy_term": term} for term in terms]
    return obj


def taxonomy(name: str) -> dict[str, Any]:
    return {"id": new_id(), "name": name, "description": f"The {name} taxonomy"}


def term(
    name: str, scheme: dict[str, Any], parent: dict[str, Any] | None = None, **fields: Any
) -> dict[str, Any]:
    obj = {"id": new_id(), "name": name, "description": f"{name} term", "taxonomy_detail": scheme, **fields}
    if parent is not None:
        obj["parent_id"] = parent["id"]
    return obj


def offset_point(origin: tuple[float, float], north_km: float) -> tuple[float, float]:
    return origin[0] + north_km / 111.195, origin[1]


# The API info object.


def test_api_info_names_hsds_3_1_and_our_openapi_document(client: TestClient[Any]) -> None:
    for url in ("/hsds/", "/hsds"):
        body = get_json(client, url)
        assert body["version"] == "3.1"
        assert body["openapi_url"] == "http://127.0.0.1:8000/schema/openapi.json"
        assert body["profile"].startswith("https://")
        assert not list(api_info_validator().iter_errors(body))
    document = get_json(client, "/schema/openapi.json")
    for path in ("/hsds", "/hsds/services", "/hsds/services/{service_id}", "/hsds/taxonomy_terms"):
        assert path in document["paths"], sorted(document["paths"])


# Official examples in, API out.


@pytest.mark.parametrize(
    ("file", "url"),
    [
        ("service_full.json", "/hsds/services/{id}"),
        ("organization_full.json", "/hsds/organizations/{id}?full_service=true"),
        ("service_at_location_full.json", "/hsds/service_at_locations/{id}"),
        ("taxonomy.json", "/hsds/taxonomies/{id}"),
        ("taxonomy_term.json", "/hsds/taxonomy_terms/{id}"),
    ],
)
def test_official_example_round_trips_through_the_detail_route(
    database_url: str, client: TestClient[Any], file: str, url: str
) -> None:
    seed_examples(database_url)
    expected = example(file)
    actual = get_json(client, url.format(id=expected["id"]))
    assert_same(expected, actual)
    assert_valid(DETAIL_SCHEMAS[url.split("/")[2]], actual)


def test_list_items_match_the_official_list_examples(database_url: str, client: TestClient[Any]) -> None:
    seed_examples(database_url)
    for url, schema in LIST_ROUTES.items():
        body = get_json(client, url)
        assert_valid_page(body, schema)
        want = example(LIST_EXAMPLES[url])["contents"][0]
        [got] = [item for item in body["contents"] if item["id"] == want["id"]]
        assert_same(want, got, url)
    assert get_json(client, "/hsds/services")["total_items"] == 1
    assert get_json(client, "/hsds/organizations")["total_items"] == 1


def test_organization_detail_lists_simple_services_unless_full_service(
    database_url: str, client: TestClient[Any]
) -> None:
    seed_examples(database_url)
    org_id = example("organization_full.json")["id"]
    plain = get_json(client, f"/hsds/organizations/{org_id}")
    assert_valid("organization.json", plain)
    [simple] = plain["services"]
    assert simple["id"] == example("service_full.json")["id"]
    # One-to-one fields only: no nested objects at all.
    assert not [name for name, value in simple.items() if isinstance(value, (dict, list))]
    assert plain["locations"][0]["addresses"][0]["postal_code"] == "ABC 1234"
    full = get_json(client, f"/hsds/organizations/{org_id}?full_service=true")
    assert full["services"][0]["service_at_locations"][0]["location"]["id"] == plain["locations"][0]["id"]
    assert "organization" not in full["services"][0]


def test_full_and_minimal_list_views(database_url: str, client: TestClient[Any]) -> None:
    seed_examples(database_url)
    service_id = example("service_full.json")["id"]
    detail = get_json(client, f"/hsds/services/{service_id}")
    full = get_json(client, "/hsds/services?full=true")
    assert_valid_page(full, "service.json")
    assert full["contents"] == [detail]
    minimal = get_json(client, "/hsds/services?minimal=true")
    assert_valid_page(minimal, "compiled/service_list.json")
    [only] = minimal["contents"]
    assert only == {
        "id": service_id,
        "name": detail["name"],
        "status": "active",
        "last_modified": detail["last_modified"],
    }
    sal_id = example("service_at_location_full.json")["id"]
    sal_full = get_json(client, "/hsds/service_at_locations?full=true")
    assert_valid_page(sal_full, "service_at_location.json")
    assert sal_full["contents"] == [get_json(client, f"/hsds/service_at_locations/{sal_id}")]
    org_id = example("organization_full.json")["id"]
    orgs_full = get_json(client, "/hsds/organizations?full=true")
    assert_valid_page(orgs_full, "organization.json")
    assert orgs_full["contents"] == [get_json(client, f"/hsds/organizations/{org_id}")]
    orgs_full_services = get_json(client, "/hsds/organizations?full_service=true")
    assert orgs_full_services["contents"] == [
        get_json(client, f"/hsds/organizations/{org_id}?full_service=true")
    ]


def test_whole_number_fields_are_integers_and_times_are_utc(
    database_url: str, client: TestClient[Any]
) -> None:
    seed_examples(database_url)
    raw = client.get(f"/hsds/services/{example('service_full.json')['id']}").text
    for field, number in (
        ("minimum_age", 12),
        ("maximum_age", 100),
        ("extension", 100),
        ("year_incorporated", 2011),
        ("count", 3),
        ("interval", 1),
    ):
        assert f'"{field}":{number},' in raw, field
    assert '"updated":"2024-09-25T13:23:06.500000Z"' in raw


# Paging.


def test_paging_arithmetic(database_url: str, client: TestClient[Any]) -> None:
    owner = organization("Owner")
    services = [service(f"Service {number:02d}", owner) for number in range(45)]
    seed(database_url, flatten_all(("service", s) for s in services))
    expected_ids = [s["id"] for s in services]
    for per_page in (1, 7, 20, 45, 100):
        pages = math.ceil(45 / per_page)
        seen: list[str] = []
        for number in range(1, pages + 2):
            body = get_json(client, f"/hsds/services?page={number}&per_page={per_page}")
            assert_valid_page(body, "compiled/service_list.json")
            size = max(0, min(per_page, 45 - (number - 1) * per_page))
            assert (body["total_items"], body["total_pages"], body["page_number"]) == (45, pages, number)
            assert (body["size"], body["empty"]) == (size, size == 0)
            assert body["first_page"] == (number == 1)
            assert body["last_page"] == (number >= pages)
            seen.extend(item["id"] for item in body["contents"])
        assert seen == expected_ids, f"per_page={per_page}"
    default = get_json(client, "/hsds/services")
    assert (default["size"], default["total_pages"]) == (20, 3)


def test_empty_directory_answers_one_empty_page(client: TestClient[Any]) -> None:
    for url, schema in LIST_ROUTES.items():
        body = get_json(client, url)
        assert_valid_page(body, schema)
        summary = (body["total_items"], body["total_pages"], body["empty"], body["last_page"])
        assert summary == (0, 1, True, True)
        assert ndjson(client, f"{url}?format=ndjson") == []


def test_order_is_by_name_ignoring_case_then_id(database_url: str, client: TestClient[Any]) -> None:
    names = ["banana", "Apple", "apple", "Cherry", "apple", "Zeta", "alpha"]
    owner = organization("Owner")
    services = [service(name, owner) for name in names]
    seed(database_url, flatten_all(("service", s) for s in services))
    got = [(item["name"], item["id"]) for item in all_pages(client, "/hsds/services", per_page=3)]
    expected = sorted(
        ((s["name"], s["id"]) for s in services), key=lambda pair: (pair[0].lower(), pair[0], pair[1])
    )
    assert got == expected
    assert [name for name, _ in got[:4]] == ["alpha", "Apple", "apple", "apple"]


# Filters.


@pytest.fixture
def directory(database_url: str) -> dict[str, Any]:
    """Three organizations, four services at four locations around ZIP 21215, and two taxonomies."""
    centroid = zip_centroid("21215")
    assert centroid is not None
    open_eligibility = taxonomy("Open Eligibility")
    other = taxonomy("Other scheme")
    food = term("Food", open_eligibility, code="1102")
    pantry = term("Food Pantry", open_eligibility, food, code="1102-01")
    legal = term("Legal 100% free_help", open_eligibility, code="1106")
    local = term("Local label", other)
    alpha = tag(organization("Alpha Food Bank"), local)
    beta = organization("Beta Legal Aid", description="Tenant rights; eviction defense")
    gamma = organization("Gamma Center")
    pantry_service = tag(service("Food Pantry", alpha, description="Groceries every week"), pantry)
    eviction = tag(service("Eviction Defense", beta, description="Lawyers for tenants"), legal)
    mail = service("Mail Services", gamma, description="A postal address for people without one")
    hotline = service("Hotline", gamma, description="Call any time")
    near = at(pantry_service, location("Pantry Hall", offset_point(centroid, 0.5), "21215-1234"))
    mid = at(eviction, location("Courthouse Annex", offset_point(centroid, 3.0), "21201"))
    far = at(mail, location("Far Office", offset_point(centroid, 10.0), "21215"))
    nowhere = at(hotline, location("Virtual desk", None, None))
    objects = [("service_at_location", sal) for sal in (near, mid, far, nowhere)]
    objects += [("taxonomy_term", t) for t in (food, pantry, legal, local)]
    seed(database_url, flatten_all(objects))
    return {
        "taxonomies": {"open_eligibility": open_eligibility, "other": other},
        "terms": {"food": food, "pantry": pantry, "legal": legal, "local": local},
        "organizations": {"alpha": alpha, "beta": beta, "gamma": gamma},
        "services": {"pantry": pantry_service, "eviction": eviction, "mail": mail, "hotline": hotline},
        "sals": {"near": near, "mid": mid, "far": far, "nowhere": nowhere},
    }


def ids(client: TestClient[Any], url: str) -> list[str]:
    body = get_json(client, url)
    schema = LIST_ROUTES[url.split("?", maxsplit=1)[0]]
    assert_valid_page(body, schema)
    return [item["id"] for item in body["contents"]]


def test_search_is_case_insensitive_word_by_word_and_escapes_wildcards(
    directory: dict[str, Any], client: TestClient[Any]
) -> None:
    services, orgs, terms = directory["services"], directory["organizations"], directory["terms"]
    assert ids(client, "/hsds/services?search=PANTRY") == [services["pantry"]["id"]]
    assert ids(client, "/hsds/services?search=tenants%20lawyers") == [services["eviction"]["id"]]
    assert ids(client, "/hsds/services?search=tenants%20groceries") == []
    assert ids(client, "/hsds/organizations?search=eviction") == [orgs["beta"]["id"]]
    assert ids(client, "/hsds/service_at_locations?search=courthouse") == [directory["sals"]["mid"]["id"]]
    eligibility = directory["taxonomies"]["open_eligibility"]["id"]
    assert ids(client, "/hsds/taxonomies?search=eligibility") == [eligibility]
    assert ids(client, "/hsds/taxonomy_terms?search=1102-") == [terms["pantry"]["id"]]
    # % and _ are literal characters, not LIKE wildcards.
    assert ids(client, "/hsds/taxonomy_terms?search=100%25") == [terms["legal"]["id"]]
    assert ids(client, "/hsds/taxonomy_terms?search=%25") == [terms["legal"]["id"]]
    assert ids(client, "/hsds/taxonomy_terms?search=e_h") == [terms["legal"]["id"]]
    assert ids(client, "/hsds/taxonomy_terms?search=o_d") == []


def test_taxonomy_filters(directory: dict[str, Any], client: TestClient[Any]) -> None:
    services, orgs, terms, sals = (
        directory["services"],
        directory["organizations"],
        directory["terms"],
        directory["sals"],
    )
    oe = directory["taxonomies"]["open_eligibility"]["id"]
    other = directory["taxonomies"]["other"]["id"]
    pantry, legal = terms["pantry"]["id"], terms["legal"]["id"]
    assert ids(client, f"/hsds/services?taxonomy_term_id={pantry}") == [services["pantry"]["id"]]
    assert ids(client, f"/hsds/services?taxonomy_term_id={terms['food']['id']}") == []
    tagged_services = [services["eviction"]["id"], services["pantry"]["id"]]
    assert ids(client, f"/hsds/services?taxonomy_id={oe}") == tagged_services
    assert ids(client, f"/hsds/services?taxonomy_id={other}") == []
    # An organization shows under its own terms and under those of its services.
    assert ids(client, f"/hsds/organizations?taxonomy_id={oe}") == [orgs["alpha"]["id"], orgs["beta"]["id"]]
    assert ids(client, f"/hsds/organizations?taxonomy_id={other}") == [orgs["alpha"]["id"]]
    assert ids(client, f"/hsds/organizations?taxonomy_term_id={legal}") == [orgs["beta"]["id"]]
    assert ids(client, f"/hsds/service_at_locations?taxonomy_term_id={legal}") == [sals["mid"]["id"]]
    both = f"taxonomy_id={oe}&taxonomy_term_id={pantry}"
    assert ids(client, f"/hsds/services?{both}") == [services["pantry"]["id"]]
    assert ids(client, f"/hsds/taxonomy_terms?taxonomy_id={other}") == [terms["local"]["id"]]
    assert ids(client, f"/hsds/taxonomy_terms?parent_id={terms['food']['id']}") == [terms["pantry"]["id"]]
    top = ids(client, "/hsds/taxonomy_terms?top_only=true")
    assert top == [terms["food"]["id"], terms["legal"]["id"], terms["local"]["id"]]
    every = get_json(client, "/hsds/taxonomy_terms")["contents"]
    assert {item["taxonomy_detail"]["id"] for item in every} == {oe, other}


def test_organization_and_modified_after_filters(
    database_url: str, directory: dict[str, Any], client: TestClient[Any]
) -> None:
    services, sals, orgs = directory["services"], directory["sals"], directory["organizations"]
    gamma = orgs["gamma"]["id"]
    gamma_services = [services["hotline"]["id"], services["mail"]["id"]]
    assert ids(client, f"/hsds/services?organization_id={gamma}") == gamma_services
    assert ids(client, f"/hsds/service_at_locations?organization_id={gamma}") == sorted(
        [sals["far"]["id"], sals["nowhere"]["id"]]
    )
    assert ids(client, f"/hsds/services?organization_id={uuid.uuid4()}") == []
    old = datetime(2020, 1, 1, tzinfo=UTC)
    everything = [s["id"] for s in services.values()]
    run(database_url, lambda engine: update_rows(engine, "service", everything, updated_at=old))
    changed = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    mail = [services["mail"]["id"]]
    run(database_url, lambda engine: update_rows(engine, "service", mail, updated_at=changed))
    assert ids(client, "/hsds/services?modified_after=2024-06-01T12:00:00Z") == [services["mail"]["id"]]
    assert ids(client, "/hsds/services?modified_after=2024-06-01T14:00:01%2B02:00") == []
    assert ids(client, "/hsds/services?modified_after=2024-06-01") == [services["mail"]["id"]]
    assert len(ids(client, "/hsds/services?modified_after=2019-12-31T23:59:59Z")) == 4
    recent = (datetime.now(UTC) - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    assert len(ids(client, f"/hsds/service_at_locations?modified_after={recent}")) == 4


def test_postcode_and_proximity(directory: dict[str, Any], client: TestClient[Any]) -> None:
    sals = directory["sals"]
    # Without proximity: service at locations with an address in the ZIP (ZIP+4 included).
    in_21215 = sorted([sals["near"]["id"], sals["far"]["id"]])
    assert ids(client, "/hsds/service_at_locations?postcode=21215") == in_21215
    assert ids(client, "/hsds/service_at_locations?postcode=21201-0001") == [sals["mid"]["id"]]
    # With proximity (meters from the ZIP's centroid): nearest first.
    assert ids(client, "/hsds/service_at_locations?postcode=21215&proximity=5000") == [
        sals["near"]["id"],
        sals["mid"]["id"],
    ]
    assert ids(client, "/hsds/service_at_locations?postcode=21215&proximity=1000") == [sals["near"]["id"]]
    wide = "/hsds/service_at_locations?postcode=21215&proximity=20000"
    assert ids(client, wide) == [sals["near"]["id"], sals["mid"]["id"], sals["far"]["id"]]
    second = get_json(client, f"{wide}&per_page=2&page=2")
    assert (second["total_items"], second["total_pages"], second["size"]) == (3, 2, 1)
    assert [item["id"] for item in ndjson(client, f"{wide}&format=ndjson")] == ids(client, wide)
    assert ids(client, "/hsds/service_at_locations?postcode=10001&proximity=5000") == []


def test_inactive_rows_are_never_shown(
    database_url: str, directory: dict[str, Any], client: TestClient[Any]
) -> None:
    services, sals, orgs, terms = (
        directory["services"],
        directory["sals"],
        directory["organizations"],
        directory["terms"],
    )
    pantry = services["pantry"]
    address_id = sals["near"]["location"]["addresses"][0]["id"]
    before = get_json(client, f"/hsds/service_at_locations/{sals['near']['id']}")
    assert before["location"]["addresses"][0]["id"] == address_id

    def deactivate(kind: str, key: str) -> None:
        run(database_url, lambda engine: update_rows(engine, kind, [key], active=False))

    deactivate("address", address_id)
    after = get_json(client, f"/hsds/service_at_locations/{sals['near']['id']}")
    assert after["location"]["id"] == before["location"]["id"]
    assert "addresses" not in after["location"]
    deactivate("taxonomy_term", terms["local"]["id"])
    deactivate("service", pantry["id"])
    deactivate("organization", orgs["beta"]["id"])
    assert pantry["id"] not in ids(client, "/hsds/services")
    get_json(client, f"/hsds/services/{pantry['id']}", status=404)
    # The service is gone, so its service at location is too.
    assert sals["near"]["id"] not in ids(client, "/hsds/service_at_locations")
    get_json(client, f"/hsds/service_at_locations/{sals['near']['id']}", status=404)
    assert ids(client, "/hsds/organizations") == [orgs["alpha"]["id"], orgs["gamma"]["id"]]
    eviction = get_json(client, f"/hsds/services/{services['eviction']['id']}")
    assert "organization" not in eviction
    assert eviction["organization_id"] == orgs["beta"]["id"]
    assert terms["local"]["id"] not in ids(client, "/hsds/taxonomy_terms")
    assert "attributes" not in get_json(client, f"/hsds/organizations/{orgs['alpha']['id']}")


def test_nested_children_and_attributes_of_a_service(
    directory: dict[str, Any], client: TestClient[Any]
) -> None:
    sal = directory["sals"]["near"]
    body = get_json(client, f"/hsds/services/{directory['services']['pantry']['id']}")
    assert_valid("service.json", body)
    [nested_sal] = body["service_at_locations"]
    assert nested_sal["id"] == sal["id"]
    assert nested_sal["location"]["addresses"][0]["postal_code"] == "21215-1234"
    assert body["organization"]["id"] == directory["organizations"]["alpha"]["id"]
    [attribute] = body["attributes"]
    assert attribute["link_id"] == body["id"]
    assert attribute["link_entity"] == "service"
    assert attribute["taxonomy_term"]["id"] == directory["terms"]["pantry"]["id"]
    assert attribute["taxonomy_term"]["taxonomy_detail"]["name"] == "Open Eligibility"
    assert body["organization"]["attributes"][0]["taxonomy_term"]["name"] == "Local label"


# Errors.


def test_unknown_or_malformed_ids_answer_404(database_url: str, client: TestClient[Any]) -> None:
    seed_examples(database_url)
    for route in DETAIL_SCHEMAS:
        for key in (str(uuid.uuid4()), "not-a-uuid", "1234"):
            response = client.get(f"/hsds/{route}/{key}")
            assert response.status_code == 404, f"{route}/{key}"
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["status"] == 404


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/hsds/services?per_page=1000", "per_page"),
        ("/hsds/services?per_page=0", "per_page"),
        ("/hsds/services?page=0", "page"),
        ("/hsds/organizations?page=abc", "page"),
        ("/hsds/services?modified_after=yesterday", "modified_after"),
        ("/hsds/services?modified_after=2024-06-01T12:00:00", "modified_after"),
        ("/hsds/service_at_locations?modified_after=2024-06-01T12:00:00+02:00", "modified_after"),
        ("/hsds/services?taxonomy_term_id=not-a-uuid", "taxonomy_term_id"),
        ("/hsds/organizations?taxonomy_id=12", "taxonomy_id"),
        ("/hsds/service_at_locations?organization_id=x", "organization_id"),
        ("/hsds/taxonomy_terms?parent_id=x", "parent_id"),
        ("/hsds/services?full=maybe", "full"),
        ("/hsds/services?minimal=true&full=true", "minimal"),
        ("/hsds/taxonomies?format=xml", "format"),
        ("/hsds/services?search=" + "word%20" * 11, "search"),
        ("/hsds/services?search=" + "x" * 201, "search"),
        ("/hsds/service_at_locations?proximity=1000", "proximity"),
        ("/hsds/service_at_locations?postcode=21215&proximity=-5", "proximity"),
        ("/hsds/service_at_locations?postcode=21215&proximity=far", "proximity"),
        ("/hsds/service_at_locations?postcode=21215&proximity=nan", "proximity"),
        ("/hsds/service_at_locations?postcode=00000&proximity=1000", "postcode"),
        ("/hsds/service_at_locations?postcode=%20", "postcode"),
    ],
)
def test_bad_parameters_answer_400_naming_the_parameter(
    client: TestClient[Any], url: str, parameter: str
) -> None:
    response = client.get(url)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 400
    assert [item["name"] for item in problem["invalid_params"]] == [parameter]
    assert problem["detail"].startswith(parameter)


# NDJSON.


def test_ndjson_streams_every_result_in_page_order(database_url: str, client: TestClient[Any]) -> None:
    owner = organization("Owner")
    place = location("Hall", (39.3, -76.6), "21215")
    services = [service(f"Service {number:03d}", owner) for number in range(130)]
    objects = [("service_at_location", at(s, place)) for s in services]
    seed(database_url, flatten_all(objects))
    seed_examples(database_url)
    for url, schema in LIST_ROUTES.items():
        lines = ndjson(client, f"{url}?format=ndjson&per_page=5")
        assert lines == all_pages(client, url), url
        for item in lines:
            assert_valid(schema, item)
    assert len(ndjson(client, "/hsds/services?format=ndjson")) == 131
    full = ndjson(client, "/hsds/services?format=ndjson&full=true&search=Service%20012")
    assert full == [get_json(client, f"/hsds/services/{services[12]['id']}")]
    minimal = ndjson(client, "/hsds/services?format=ndjson&minimal=true")
    # The official example has a last_modified; the services seeded here have none.
    assert {tuple(sorted(item)) for item in minimal} == {
        ("id", "name", "status"),
        ("id", "last_modified", "name", "status"),
    }


# Batching: a page costs the same number of queries whatever its size.


def test_page_query_count_does_not_grow_with_the_page(database_url: str, client: TestClient[Any]) -> None:
    owner = organization("Owner", phones=[{"id": new_id(), "number": "410-555-0100"}])
    objects = []
    for number in range(30):
        place = location(f"Place {number}", (39.3, -76.6), "21215", phones=[{"id": new_id(), "number": "1"}])
        offered = service(
            f"Service {number:02d}",
            owner,
            phones=[{"id": new_id(), "number": "2", "languages": [{"id": new_id(), "code": "es"}]}],
            contacts=[{"id": new_id(), "name": "Desk", "phones": [{"id": new_id(), "number": "3"}]}],
            schedules=[{"id": new_id(), "freq": "WEEKLY", "byday": "MO", "opens_at": "09:00"}],
        )
        objects.append(("service_at_location", at(offered, place)))
    seed(database_url, flatten_all(objects))
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = client.app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        costs = {}
        for url in (
            "/hsds/services?full=true",
            "/hsds/service_at_locations?full=true",
            "/hsds/organizations?full_service=true",
        ):
            for per_page in (2, 30):
                statements.clear()
                body = get_json(client, f"{url}&per_page={per_page}")
                assert body["size"] == min(per_page, body["total_items"])
                costs[(url, per_page)] = len(statements)
            assert costs[(url, 2)] == costs[(url, 30)], (url, costs)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    body = get_json(client, "/hsds/services?full=true&per_page=30")
    assert all(item["phones"][0]["languages"][0]["code"] == "es" for item in body["contents"])
    assert all(item["service_at_locations"][0]["location"]["phones"] for item in body["contents"])


# Real data: the Baltimore Ohana export, imported by the importer, served by the API.


def test_every_object_served_from_the_imported_baltimore_directory_is_valid_hsds(
    database_url: str, client: TestClient[Any], shared_data: Path
) -> None:
    source = shared_data / "datasets" / "baltimore-ohana-csv"
    summary = run(database_url, lambda engine: import_source(engine, str(source), source_name="baltimore"))
    created = {kind: counts.created for kind, counts in summary.by_kind.items()}
    totals = {url: get_json(client, f"{url}?per_page=1")["total_items"] for url in LIST_ROUTES}
    assert totals["/hsds/services"] == created["service"] == 1876
    assert totals["/hsds/organizations"] == created["organization"] == 748
    assert totals["/hsds/service_at_locations"] == created["service_at_location"]
    assert totals["/hsds/taxonomy_terms"] == created["taxonomy_term"]
    full_schemas = {
        "/hsds/services": "service.json",
        "/hsds/organizations": "organization.json",
        "/hsds/service_at_locations": "service_at_location.json",
    }
    sample: dict[str, list[str]] = {}
    for url, schema in LIST_ROUTES.items():
        for page in (1, 2, 3):
            body = get_json(client, f"{url}?page={page}&per_page=100")
            assert_valid_page(body, schema)
            sample.setdefault(url, []).extend(item["id"] for item in body["contents"][::25])
            if url in full_schemas:
                full = get_json(client, f"{url}?page={page}&per_page=100&full=true")
                assert_valid_page(full, full_schemas[url])
                assert [item["id"] for item in full["contents"]] == [item["id"] for item in body["contents"]]
    for url, keys in sample.items():
        for key in keys:
            assert_valid(DETAIL_SCHEMAS[url.removeprefix("/hsds/")], get_json(client, f"{url}/{key}"))
    for key in sample["/hsds/organizations"][:4]:
        assert_valid("organization.json", get_json(client, f"/hsds/organizations/{key}?full_service=true"))
    # A sample of services carries the Open Eligibility terms the export assigns them.
    tagged = get_json(client, f"/hsds/services/{sample['/hsds/services'][0]}")
    term_id = tagged["attributes"][0]["taxonomy_term"]["id"]
    with_term = ndjson(client, f"/hsds/services?format=ndjson&full=true&taxonomy_term_id={term_id}")
    assert tagged["id"] in [item["id"] for item in with_term]
    for item in with_term:
        assert term_id in {attribute["taxonomy_term"]["id"] for attribute in item["attributes"]}
    assert len(ndjson(client, "/hsds/services?format=ndjson")) == 1876
    # Nearest first, and nothing beyond the radius, measured from the ZIP's centroid.
    centroid = zip_centroid("21201")
    assert centroid is not None
    near = get_json(client, "/hsds/service_at_locations?postcode=21201&proximity=1500&per_page=100")
    assert near["total_items"] > 10
    distances = [
        great_circle_km(*centroid, item["location"]["latitude"], item["location"]["longitude"])
        for item in near["contents"]
    ]
    assert distances == sorted(distances)
    assert max(distances) <= 1.5
