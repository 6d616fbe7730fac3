"""The search contract, proved on the real Baltimore directory against every backend."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from referral_hub.geo.distance import great_circle_km
from referral_hub.geo.zip_centroids import zip_centroid
from referral_hub.networks.models import DEFAULT_NETWORK_ID
from referral_hub.search.model import GeoPoint, SearchQuery
from referral_hub.search.protocol import SearchBackend

pytestmark = pytest.mark.anyio

AT = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # a Monday, 10:00 in Baltimore


def query(**values: Any) -> SearchQuery:
    return SearchQuery(network_id=DEFAULT_NETWORK_ID, at=AT, **values)


def near_21215(radius_km: float = 10.0) -> dict[str, Any]:
    latitude, longitude = zip_centroid("21215") or (0.0, 0.0)
    return {"near": GeoPoint(latitude, longitude), "radius_km": radius_km}


async def ids(backend: SearchBackend, **values: Any) -> list[str]:
    result = await backend.search(query(per_page=100, **values))
    return [f"{hit.service.id}@{hit.service_at_location_id}" for hit in result.hits]


async def test_food_pantry_near_21215_within_5_km_with_exact_distances(baltimore: SearchBackend) -> None:
    where = near_21215(5.0)
    result = await baltimore.search(query(text="food pantry", per_page=100, **where))
    assert result.total > 0
    assert result.total == len(result.hits)
    for hit in result.hits:
        assert hit.location.latitude is not None
        assert hit.location.longitude is not None
        exact = great_circle_km(
            where["near"].latitude, where["near"].longitude, hit.location.latitude, hit.location.longitude
        )
        assert hit.distance_km == pytest.approx(exact, abs=0.01)
        assert hit.distance_km <= 5.0
        text = f"{hit.service.name} {hit.service.description}".casefold()
        assert "food-insecurity" in hit.categories or "food" in text or "pantr" in text


@pytest.mark.parametrize("words", ["Emergency Shelter", "Help Pay for Housing", "legal"])
async def test_common_needs_return_stable_non_empty_sets(baltimore: SearchBackend, words: str) -> None:
    first = await ids(baltimore, text=words)
    assert first
    assert await ids(baltimore, text=words) == first


@pytest.mark.parametrize(
    "values",
    [{"text": "food"}, {}, near_21215(), {"text": "counseling", "languages": ("es",)}],
    ids=["text", "everything", "near", "text+language"],
)
async def test_each_facet_count_equals_the_total_filtered_by_that_value(
    baltimore: SearchBackend, values: dict[str, Any]
) -> None:
    result = await baltimore.search(query(**values))
    assert result.facets.category, "the Baltimore services have categories"
    for code, count in result.facets.category.items():
        filtered = await baltimore.search(query(**{**values, "categories": (code,)}))
        assert filtered.total == count, code
    for code, count in list(result.facets.language.items())[:5]:
        filtered = await baltimore.search(query(**{**values, "languages": (code,)}))
        assert filtered.total == count, code


async def test_selecting_a_category_keeps_the_other_category_counts(baltimore: SearchBackend) -> None:
    everything = await baltimore.search(query())
    chosen = await baltimore.search(query(categories=("food-insecurity",)))
    assert chosen.facets.category == everything.facets.category
    assert chosen.total == everything.facets.category["food-insecurity"]


async def test_categories_or_within_and_across_filters(baltimore: SearchBackend) -> None:
    food = (await baltimore.search(query(categories=("food-insecurity",)))).total
    legal = (await baltimore.search(query(categories=("legal",)))).total
    both = (await baltimore.search(query(categories=("food-insecurity", "legal")))).total
    assert max(food, legal) <= both <= food + legal
    food_spanish = await baltimore.search(
        query(categories=("food-insecurity",), languages=("es",), per_page=100)
    )
    assert food_spanish.total <= food
    for hit in food_spanish.hits:
        assert "food-insecurity" in hit.categories
        assert "es" in hit.languages


async def test_prefix_stemming_and_typos(baltimore: SearchBackend) -> None:
    prefix = await baltimore.search(query(text="pant"))
    assert any("pantr" in h.service.name.casefold() for h in prefix.hits)
    stemmed = await baltimore.search(query(text="pantries"))
    assert stemmed.total > 0
    typo = await baltimore.search(query(text="fod pantyr", per_page=10))
    assert typo.total > 0
    assert any("pantr" in f"{h.service.name} {h.service.description}".casefold() for h in typo.hits)


async def test_paging_is_stable_and_complete(baltimore: SearchBackend) -> None:
    everything = await ids(baltimore, text="food", **near_21215(20.0))
    paged: list[str] = []
    for page in range(1, 100):
        result = await baltimore.search(query(text="food", page=page, per_page=7, **near_21215(20.0)))
        paged.extend(f"{h.service.id}@{h.service_at_location_id}" for h in result.hits)
        if not result.hits:
            break
    assert paged[: len(everything)] == everything
    assert len(paged) == len(set(paged))


async def test_without_text_results_go_by_distance_or_name(baltimore: SearchBackend) -> None:
    near = await baltimore.search(query(per_page=50, **near_21215()))
    distances = [h.distance_km for h in near.hits]
    assert distances == sorted(distances)
    named = await baltimore.search(query(per_page=50))
    names = [h.service.name.casefold() for h in named.hits]
    assert names == sorted(names)
    assert all(h.distance_km is None for h in named.hits)


async def test_open_now_never_counts_unknown_hours(baltimore: SearchBackend) -> None:
    # The Baltimore export has no machine-readable hours at all: nothing is ever "open now".
    assert (await baltimore.search(query(open_now=True))).total == 0


async def test_accepting_referrals_needs_a_listing_that_says_so(baltimore: SearchBackend) -> None:
    assert (await baltimore.search(query(accepting_referrals=True))).total == 0


async def test_snippets_are_escaped_text_with_marks_only(baltimore: SearchBackend) -> None:
    result = await baltimore.search(query(text="food pantry", per_page=50))
    assert any("<mark>" in hit.snippet for hit in result.hits)
    for hit in result.hits:
        stripped = hit.snippet.replace("<mark>", "").replace("</mark>", "")
        assert "<" not in stripped
        assert ">" not in stripped


async def test_another_network_sees_nothing(baltimore: SearchBackend) -> None:
    import uuid  # noqa: PLC0415

    other = SearchQuery(network_id=uuid.uuid4(), at=AT, text="food")
    assert (await baltimore.search(other)).total == 0
