"""GET /api/v1/search over HTTP: the page envelope with facets, and 400s that name the parameter."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from referral_hub.app import create_app
from referral_hub.settings import DatabaseSettings, LogSettings, Settings


@pytest.fixture(scope="module")
def client(baltimore_sqlite: str) -> Iterator[TestClient]:  # type: ignore[type-arg]
    settings = Settings(database=DatabaseSettings(url=baltimore_sqlite), log=LogSettings(level="WARNING"))
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_a_search_answers_the_page_envelope_with_facets(client: TestClient) -> None:  # type: ignore[type-arg]
    response = client.get("/api/v1/search", params={"q": "food pantry", "near": "21215", "radius_km": 5})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "total_items",
        "total_pages",
        "page_number",
        "size",
        "first_page",
        "last_page",
        "empty",
        "contents",
        "facets",
    }
    assert body["total_items"] > 0
    assert set(body["facets"]) == {"category", "language"}
    item = body["contents"][0]
    assert set(item) == {
        "service",
        "organization",
        "location",
        "service_at_location_id",
        "distance_km",
        "categories",
        "languages",
        "snippet",
    }
    assert item["distance_km"] <= 5
    assert set(item["location"]) == {"id", "name", "address", "latitude", "longitude"}


def test_repeatable_filters_and_paging(client: TestClient) -> None:  # type: ignore[type-arg]
    response = client.get(
        "/api/v1/search",
        params=[("category", "food-insecurity"), ("category", "legal"), ("per_page", "5"), ("page", "2")],
    )
    assert response.status_code == 200
    body = response.json()
    assert body["page_number"] == 2
    assert body["size"] == 5
    assert all({"food-insecurity", "legal"} & set(item["categories"]) for item in body["contents"])


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"near": "99999"}, "near"),
        ({"near": "not-a-place"}, "near"),
        ({"near": "91.0,-76.6"}, "near"),
        ({"near": "39.3,abc"}, "near"),
        ({"near": "21215", "radius_km": "-1"}, "radius_km"),
        ({"near": "21215", "radius_km": "10000"}, "radius_km"),
        ({"radius_km": "5"}, "radius_km"),
        ({"per_page": "10000"}, "per_page"),
        ({"page": "0"}, "page"),
        ({"category": "space-travel"}, "category"),
        ({"language": "klingon"}, "language"),
        ({"taxonomy_term_id": "not-a-uuid"}, "taxonomy_term_id"),
    ],
)
def test_bad_input_answers_400_naming_the_parameter(
    client: TestClient,  # type: ignore[type-arg]
    params: dict[str, str],
    parameter: str,
) -> None:
    response = client.get("/api/v1/search", params=params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["type"] == "/problems/bad-request"
    assert parameter in body["detail"]


def test_a_10_kb_query_is_answered_not_failed(client: TestClient) -> None:  # type: ignore[type-arg]
    long_query = " ".join(["food"] * 2000 + ["x" * 5000])
    response = client.get("/api/v1/search", params={"q": long_query})
    assert response.status_code == 200
    assert response.json()["total_items"] > 0


def test_query_syntax_in_words_is_only_text(client: TestClient) -> None:  # type: ignore[type-arg]
    for q in ['"food', "food*", "NEAR(food pantry)", "food AND OR NOT", "-food", "'; DROP TABLE x; --"]:
        response = client.get("/api/v1/search", params={"q": q})
        assert response.status_code == 200, q


def test_health_reports_the_search_backend(client: TestClient) -> None:  # type: ignore[type-arg]
    body = client.get("/health").json()
    assert body["search"]["status"] == "ok"
    assert "embedded" in body["search"]["backend"]
