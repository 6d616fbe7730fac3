"""The embedded search backend on PostgreSQL, on the real Baltimore directory (with hours added)."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from sqlalchemy import insert, select, text, update

from directory_import.pipeline import import_source
from referral_hub.db.base import core_table
from referral_hub.db.engine import create_engine
from referral_hub.directory.models import DirectorySource, ScheduleRecord, ServiceRecord
from referral_hub.geo.distance import great_circle_km
from referral_hub.geo.zip_centroids import zip_centroid
from referral_hub.networks.models import DEFAULT_NETWORK_ID
from referral_hub.search.embedded import documents_t
from referral_hub.search.embedded_postgres import (
    Alternative,
    PostgresSearchIndex,
    exact_groups,
    relevance_expression,
    tokens,
    tsquery_text,
)
from referral_hub.search.model import BackendResult, GeoPoint, SearchHit, SearchQuery
from referral_hub.search.params import parse_text
from tests.conftest import fresh_database_url

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]

MONDAY_10 = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # 10:00 in Baltimore (EST)
SUNDAY_03 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)  # 03:00 in Baltimore
ACCENTED_NAME = "Centro Peña Tax Help"


class Baltimore:
    """Where the module's database is, and what the fixture changed in it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.open_weekdays: set[str] = set()  # documents open Monday to Friday, 09:00-17:00
        self.hours_without_zone: str = ""  # a document with those hours but no place, so no zone
        self.accented: str = ""  # the document renamed to ACCENTED_NAME


@pytest.fixture(scope="module")
def baltimore_pg(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> Baltimore:
    """Baltimore imported and indexed once; weekday hours for its pantries, one accented name.

    The export has no machine-readable hours, so a CBO's own hours are written the way an import of
    HSDS schedules would, and the index is refreshed through the incremental path.
    """
    url = fresh_database_url("postgres", request, tmp_path_factory.mktemp("baltimore-pg"))
    state = Baltimore(url)
    anyio.run(_load, state, shared_data / "datasets" / "baltimore-ohana-csv")
    return state


async def _load(state: Baltimore, dataset: Path) -> None:
    engine = create_engine(state.url)
    index = PostgresSearchIndex(engine)
    schedules = core_table(ScheduleRecord)
    services = core_table(ServiceRecord)
    try:
        await import_source(engine, str(dataset), source_name="baltimore")
        assert await index.rebuild() > 1800
        async with engine.begin() as conn:
            source_id = (
                await conn.execute(
                    select(DirectorySource.__table__.c.id).where(
                        DirectorySource.__table__.c.name == "baltimore"
                    )
                )
            ).scalar_one()
            pantries = (
                await conn.execute(
                    select(documents_t.c.id, documents_t.c.service_id, documents_t.c.service_at_location_id)
                    .where(documents_t.c.name.ilike("%pantry%"), documents_t.c.time_zone.is_not(None))
                    .order_by(documents_t.c.id)
                )
            ).all()
            placeless = (
                await conn.execute(
                    select(documents_t.c.id, documents_t.c.service_id)
                    .where(documents_t.c.service_at_location_id.is_(None))
                    .order_by(documents_t.c.id)
                    .limit(1)
                )
            ).one()
            accented = (
                await conn.execute(
                    select(documents_t.c.id, documents_t.c.service_id)
                    .where(documents_t.c.name.like("AARP Tax-Aide%"))
                    .order_by(documents_t.c.id)
                    .limit(1)
                )
            ).one()
            weekdays = {
                "freq": "WEEKLY",
                "byday": "MO,TU,WE,TH,FR",
                "opens_at": "09:00",
                "closes_at": "17:00",
            }
            now = datetime.now(UTC)
            common = {"network_id": DEFAULT_NETWORK_ID, "source_id": source_id, "active": True}
            common |= {"content_hash": "0" * 32, "created_at": now, "updated_at": now}
            rows: list[dict[str, Any]] = [
                {
                    "id": uuid.uuid4(),
                    "source_record_id": f"hours-{doc.id}",
                    "service_id": None,
                    "service_at_location_id": doc.service_at_location_id,
                    **weekdays,
                    **common,
                }
                for doc in pantries
            ]
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "source_record_id": f"hours-{placeless.id}",
                    "service_id": placeless.service_id,
                    "service_at_location_id": None,
                    **weekdays,
                    **common,
                }
            )
            await conn.execute(insert(schedules), rows)
            await conn.execute(
                update(services).where(services.c.id == accented.service_id).values(name=ACCENTED_NAME)
            )
            changed = [str(d.service_id) for d in (*pantries, placeless, accented)]
            await index.refresh_in_transaction(conn, changed)
        state.open_weekdays = {doc.id for doc in pantries}
        state.hours_without_zone = placeless.id
        state.accented = accented.id
        assert len(state.open_weekdays) > 10
    finally:
        await engine.dispose()


@pytest.fixture
async def index(baltimore_pg: Baltimore) -> AsyncIterator[PostgresSearchIndex]:
    engine = create_engine(baltimore_pg.url)
    try:
        yield PostgresSearchIndex(engine)
    finally:
        await engine.dispose()


def query(**values: Any) -> SearchQuery:
    values.setdefault("at", MONDAY_10)
    return SearchQuery(network_id=DEFAULT_NETWORK_ID, **values)


def near_21215() -> GeoPoint:
    centroid = zip_centroid("21215")
    assert centroid is not None
    return GeoPoint(*centroid)


def doc_id(hit: SearchHit) -> str:
    return hit.service_at_location_id or hit.service.id


def said(hit: SearchHit) -> str:
    """What a person reading the hit sees of the place."""
    return " ".join(
        [hit.service.name, hit.service.description, hit.organization.name or "", *hit.categories]
    ).casefold()


async def everything(index: PostgresSearchIndex, per_page: int = 100, **values: Any) -> list[SearchHit]:
    """Every hit of a search, page after page."""
    hits: list[SearchHit] = []
    page = 1
    while True:
        result = await index.search(query(page=page, per_page=per_page, **values))
        hits.extend(result.hits)
        if len(hits) >= result.total or not result.hits:
            assert len(hits) == result.total
            return hits
        page += 1


def ids_of(result: BackendResult) -> list[str]:
    return [doc_id(hit) for hit in result.hits]


# -- text and place --------------------------------------------------------------------------------


async def test_food_pantry_near_21215_within_5_km_gives_food_places_at_exact_distances(
    index: PostgresSearchIndex,
) -> None:
    near = near_21215()
    result = await index.search(query(text="food pantry", near=near, radius_km=5.0, per_page=100))
    assert 5 <= result.total == len(result.hits)
    for hit in result.hits:
        assert "food" in said(hit), hit.service.name
        assert hit.location.latitude is not None
        assert hit.location.longitude is not None
        exact = great_circle_km(near.latitude, near.longitude, hit.location.latitude, hit.location.longitude)
        assert hit.distance_km is not None
        assert abs(hit.distance_km - exact) <= 0.0005
        assert exact <= 5.0
    # The bounding box drops nothing: a wider circle finds the same places inside 5 km, and more.
    wider = await index.search(query(text="food pantry", near=near, radius_km=10.0, per_page=100))
    inside = [doc_id(h) for h in wider.hits if h.distance_km is not None and h.distance_km <= 5.0]
    assert sorted(inside) == sorted(ids_of(result))
    assert wider.total > result.total


async def test_named_needs_find_places_and_answer_the_same_twice(index: PostgresSearchIndex) -> None:
    for words in ("Emergency Shelter", "Help Pay for Housing", "legal"):
        first = await index.search(query(text=words, per_page=50))
        second = await index.search(query(text=words, per_page=50))
        assert first.total > 0, words
        assert first == second, words


async def test_a_word_in_the_name_ranks_above_the_same_word_elsewhere(index: PostgresSearchIndex) -> None:
    hits = await everything(index, text="legal")
    in_name = [bool(re.search(r"\blegal", hit.service.name, re.IGNORECASE)) for hit in hits]
    assert any(in_name)
    assert not all(in_name)
    assert in_name == sorted(in_name, reverse=True), "a name match came after a match elsewhere"


async def test_the_last_word_matches_as_a_prefix(index: PostgresSearchIndex) -> None:
    hits = await everything(index, text="pant")
    assert hits
    for hit in hits[:20]:
        assert re.search(r"\bpant", said(hit)), hit.service.name
    assert {doc_id(h) for h in hits} >= {doc_id(h) for h in await everything(index, text="pantry")}


async def test_stemming_finds_pantry_for_pantries(index: PostgresSearchIndex) -> None:
    plural = await everything(index, text="pantries")
    assert [doc_id(h) for h in plural] == [doc_id(h) for h in await everything(index, text="pantry")]
    assert any("pantry" in said(h) and "pantries" not in said(h) for h in plural)


async def test_a_misspelt_query_still_finds_food_pantries(index: PostgresSearchIndex) -> None:
    exact = {doc_id(h) for h in await everything(index, text="food pantry")}
    typo = await index.search(query(text="fod pantyr", per_page=20))
    assert typo.total > 0
    assert {doc_id(h) for h in typo.hits} <= exact
    # The snippets mark the words the typo stood for.
    described = [h for h in typo.hits if "food" in h.service.description.casefold()]
    assert described
    assert all("<mark>" in h.snippet for h in described)


async def test_a_word_nothing_resembles_finds_nothing(index: PostgresSearchIndex) -> None:
    result = await index.search(query(text="xqzvwk"))
    assert result.total == 0
    assert result.hits == []
    assert result.facets.category == {}


async def test_accents_do_not_matter(baltimore_pg: Baltimore, index: PostgresSearchIndex) -> None:
    for words in ("pena", "Peña", "PENA tax"):
        assert baltimore_pg.accented in [doc_id(h) for h in await everything(index, text=words)], words


async def test_query_syntax_is_text_and_a_10_kb_query_is_answered(index: PostgresSearchIndex) -> None:
    plain = await index.search(query(text="food pantry", per_page=100))
    noisy = parse_text("food & | ! ( ) : * <-> 'pantry' \\ " + "&|!():*<>'" * 1000)
    assert noisy is not None
    assert ids_of(await index.search(query(text=noisy, per_page=100))) == ids_of(plain)
    # A pasted run of one word is cut to 40 characters, which still reads as that word.
    one_word = parse_text("pantry" * 1700)
    assert one_word is not None
    assert len(one_word) == 40
    pasted = await index.search(query(text=one_word))
    assert pasted.hits
    assert all("pantr" in said(h) or "food" in said(h) for h in pasted.hits)
    many_words = parse_text("fod pantyr " * 1000)
    assert many_words is not None
    assert (await index.search(query(text=many_words))).total > 0


def test_the_tsquery_is_built_from_letters_and_digits_only() -> None:
    words = ["O'Brien's", "24/7", "food&pantry|", "<->x:*"]
    assert tsquery_text(exact_groups(tokens(words))) == (
        "(O) & (Brien) & (s) & (24) & (7) & (food) & (pantry) & (x:*)"
    )
    assert len(tokens(["a-b-c-d-e-f-g-h-i-j-k-l-m-n-o-p-q-r-s-t-u-v-w-x-y-z"] * 10)) == 20


async def test_relevance_counts_the_field_and_how_like_a_correction_is(
    index: PostgresSearchIndex,
) -> None:
    # "Whitestone Baptist Church, Food Pantry": "Offers emergency food once a month. Must register ..."
    cases = [
        ([[Alternative("food")]], 4.0),  # in the name
        ([[Alternative("register")]], 1.0),  # in the description only
        ([[Alternative("fod"), Alternative("food", weight=0.3)]], 1.2),  # a correction, 0.3 as like
        ([[Alternative("food")], [Alternative("pant", prefix=True)]], 4.0 + 4.0 + 2 * 4.0),  # a phrase
        ([[Alternative("pantry")], [Alternative("baptist")]], 4.0 + 4.0),  # both, not as a phrase
    ]
    async with index.engine.connect() as conn:
        for groups, expected in cases:
            params: dict[str, Any] = {}

            def bind(value: Any, params: dict[str, Any] = params) -> str:
                params[f"p{len(params)}"] = value
                return f":p{len(params) - 1}"

            sql = f"SELECT {relevance_expression(groups, bind)} FROM search_documents d WHERE d.name = :name"
            params["name"] = "Whitestone Baptist Church, Food Pantry"
            assert (await conn.execute(text(sql), params)).scalar_one() == pytest.approx(expected), groups


# -- facets ----------------------------------------------------------------------------------------


async def test_each_category_count_is_the_total_of_that_category(index: PostgresSearchIndex) -> None:
    where: dict[str, Any] = {"near": near_21215(), "radius_km": 10.0}
    result = await index.search(query(**where))
    assert len(result.facets.category) > 3
    for category, count in result.facets.category.items():
        assert (await index.search(query(categories=(category,), **where))).total == count, category
    for language, count in result.facets.language.items():
        assert (await index.search(query(languages=(language,), **where))).total == count, language


async def test_a_selected_category_keeps_the_other_categories_counts(index: PostgresSearchIndex) -> None:
    unfiltered = await index.search(query(text="food"))
    selected = await index.search(query(text="food", categories=("food-insecurity",)))
    assert selected.facets.category == unfiltered.facets.category
    assert selected.total == unfiltered.facets.category["food-insecurity"] < unfiltered.total
    # The language facet follows the category filter.
    assert selected.facets.language
    for language, count in selected.facets.language.items():
        both = query(text="food", categories=("food-insecurity",), languages=(language,))
        assert (await index.search(both)).total == count, language


# -- open now --------------------------------------------------------------------------------------


async def test_open_now_follows_the_local_weekly_hours(
    baltimore_pg: Baltimore, index: PostgresSearchIndex
) -> None:
    monday = {doc_id(h) for h in await everything(index, open_now=True, at=MONDAY_10)}
    assert monday == baltimore_pg.open_weekdays
    assert (await index.search(query(open_now=True, at=SUNDAY_03))).total == 0
    # Open from 09:00 up to, not including, 17:00 local time.
    nine = MONDAY_10 - timedelta(hours=1)
    for at, expected in (
        (nine - timedelta(minutes=1), 0),
        (nine, len(monday)),
        (nine + timedelta(hours=8) - timedelta(minutes=1), len(monday)),
        (nine + timedelta(hours=8), 0),
    ):
        assert (await index.search(query(open_now=True, at=at))).total == expected, at


async def test_hours_without_a_time_zone_never_count_as_open(
    baltimore_pg: Baltimore, index: PostgresSearchIndex
) -> None:
    assert baltimore_pg.hours_without_zone not in baltimore_pg.open_weekdays
    hits = await everything(index, open_now=True, at=MONDAY_10)
    assert baltimore_pg.hours_without_zone not in {doc_id(h) for h in hits}


async def test_open_now_combines_with_text_and_place(
    baltimore_pg: Baltimore, index: PostgresSearchIndex
) -> None:
    result = await index.search(
        query(text="food", near=near_21215(), radius_km=15.0, open_now=True, per_page=100)
    )
    assert result.total > 0
    assert {doc_id(h) for h in result.hits} <= baltimore_pg.open_weekdays


# -- ordering and paging ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        {"text": "food"},
        {"near": GeoPoint(39.345241, -76.683566), "radius_km": 8.0},
        {"categories": ("legal",)},
        {"text": "housing", "near": GeoPoint(39.345241, -76.683566), "radius_km": 20.0},
    ],
    ids=["relevance", "distance", "name", "relevance-then-distance"],
)
async def test_pages_concatenate_to_the_full_ordered_list(
    index: PostgresSearchIndex, values: dict[str, Any]
) -> None:
    whole = await everything(index, per_page=100, **values)
    paged = await everything(index, per_page=7, **values)
    assert len(whole) > 14
    assert [doc_id(h) for h in paged] == [doc_id(h) for h in whole]
    assert len({doc_id(h) for h in paged}) == len(paged)
    if "text" in values:
        return
    if "near" in values:
        distances = [h.distance_km for h in whole]
        assert distances == sorted(distances)  # type: ignore[type-var]
    else:
        keys = [(h.service.name.lower(), doc_id(h)) for h in whole]
        assert keys == sorted(keys)


async def test_a_page_past_the_end_is_empty_with_the_real_total(index: PostgresSearchIndex) -> None:
    result = await index.search(query(text="legal", page=1000, per_page=100))
    assert result.hits == []
    assert result.total > 100
    assert result.facets.category


# -- the directory has the last word ---------------------------------------------------------------


async def test_a_service_deactivated_without_a_refresh_is_never_found(
    request: pytest.FixtureRequest, tmp_path: Path, shared_data: Path
) -> None:
    engine = create_engine(fresh_database_url("postgres", request, tmp_path))
    index = PostgresSearchIndex(engine)
    try:
        sample = shared_data / "datasets" / "openreferral-sample-hsds-1.1" / "simple"
        await import_source(engine, str(sample), source_name="sample")
        assert await index.rebuild() > 0
        before = await index.search(query(per_page=100))
        gone = before.hits[0]
        async with engine.begin() as conn:
            await conn.execute(
                text("UPDATE hsds_services SET active = false WHERE id = :id"),
                {"id": uuid.UUID(gone.service.id)},
            )
        after = await index.search(query(per_page=100))
        assert gone.service.id not in {h.service.id for h in after.hits}
        assert after.total < before.total
        async with engine.begin() as conn:
            await index.refresh_in_transaction(conn, [gone.service.id])
            left = (
                await conn.execute(
                    select(documents_t.c.id).where(documents_t.c.service_id == uuid.UUID(gone.service.id))
                )
            ).all()
        assert left == []
    finally:
        await engine.dispose()
