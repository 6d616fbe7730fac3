"""The Meilisearch backend against a real Meilisearch 1.21, over the Baltimore directory."""

from __future__ import annotations

import re
import shutil
import socket
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from referral_hub.db.base import core_table
from referral_hub.db.engine import create_engine
from referral_hub.directory.models import ScheduleRecord, ServiceRecord
from referral_hub.geo.distance import great_circle_km
from referral_hub.geo.zip_centroids import zip_centroid
from referral_hub.networks.models import DEFAULT_NETWORK_ID
from referral_hub.search.documents import all_service_ids, documents_for
from referral_hub.search.meili import EXACT_FIELDS, MeilisearchBackend, stem
from referral_hub.search.model import GeoPoint, SearchDocument, SearchQuery
from tests.support.meilisearch import MeilisearchEndpoint

pytestmark = pytest.mark.anyio

AT = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
services_t = core_table(ServiceRecord)
schedules_t = core_table(ScheduleRecord)


def query(**values: Any) -> SearchQuery:
    return SearchQuery(network_id=DEFAULT_NETWORK_ID, at=AT, **values)


def near_21215() -> GeoPoint:
    centroid = zip_centroid("21215")
    assert centroid is not None
    return GeoPoint(*centroid)


@pytest.fixture
async def engine(baltimore_sqlite: str, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A private copy of the imported Baltimore directory, which the test may change."""
    source = Path(baltimore_sqlite.removeprefix("sqlite+aiosqlite:///"))
    target = tmp_path / "baltimore.db"
    shutil.copyfile(source, target)
    wal = source.with_name(source.name + "-wal")
    if wal.exists():
        shutil.copyfile(wal, target.with_name(target.name + "-wal"))
    engine = create_engine(f"sqlite+aiosqlite:///{target}")
    try:
        yield engine
    finally:
        await engine.dispose()


def make_backend(engine: AsyncEngine, server: MeilisearchEndpoint, prefix: str) -> MeilisearchBackend:
    return MeilisearchBackend(engine, server.url, server.api_key, index_prefix=prefix)


@pytest.fixture
async def backend(
    engine: AsyncEngine, meilisearch_server: MeilisearchEndpoint, meilisearch_index_prefix: str
) -> AsyncIterator[MeilisearchBackend]:
    backend = make_backend(engine, meilisearch_server, meilisearch_index_prefix)
    await backend.rebuild()
    try:
        yield backend
    finally:
        await backend.close()


@pytest.fixture
async def baltimore_meili(
    baltimore_meilisearch: tuple[str, MeilisearchEndpoint, str],
) -> AsyncIterator[MeilisearchBackend]:
    """The session's Baltimore index (read-only: tests that change the directory use `backend`)."""
    url, server, prefix = baltimore_meilisearch
    engine = create_engine(url)
    backend = make_backend(engine, server, prefix)
    try:
        yield backend
    finally:
        await backend.close()
        await engine.dispose()


async def all_documents(engine: AsyncEngine) -> list[SearchDocument]:
    documents: list[SearchDocument] = []
    async with engine.connect() as reader:
        async for chunk in all_service_ids(reader):
            async with engine.connect() as conn:
                documents.extend(await documents_for(conn, chunk))
    return documents


def index_uids(server: MeilisearchEndpoint, prefix: str) -> list[str]:
    response = httpx.get(f"{server.url}/indexes", params={"limit": 1000}, headers=server.headers())
    response.raise_for_status()
    return sorted(i["uid"] for i in response.json()["results"] if i["uid"].startswith(prefix))


async def test_rebuild_indexes_every_document_into_one_index_with_its_settings(
    engine: AsyncEngine, meilisearch_server: MeilisearchEndpoint, meilisearch_index_prefix: str
) -> None:
    backend = make_backend(engine, meilisearch_server, meilisearch_index_prefix)
    expected = len(await all_documents(engine))
    assert await backend.rebuild() == expected
    assert (await backend.search(query())).total == expected
    # The new index was swapped in under the live name and the one it replaced is gone.
    assert index_uids(meilisearch_server, meilisearch_index_prefix) == [meilisearch_index_prefix]

    async with httpx.AsyncClient(
        base_url=meilisearch_server.url, headers=meilisearch_server.headers()
    ) as client:
        settings = (await client.get(f"/indexes/{meilisearch_index_prefix}/settings")).json()
        tasks = (await client.get("/tasks", params={"limit": 1000})).json()["results"]
    assert settings["searchableAttributes"][: len(EXACT_FIELDS)] == [
        "service_name_stems",
        "taxonomy_terms_stems",
        "categories_stems",
        "service_description_stems",
        "organization_name_stems",
    ]
    assert {"network_id", "categories", "languages", "taxonomy_term_ids", "accepting_referrals"} <= set(
        settings["filterableAttributes"]
    )
    assert {"_geo", "time_zone", "open_slots", "service_id"} <= set(settings["filterableAttributes"])
    assert set(settings["sortableAttributes"]) == {"_geo", "name_sort", "id"}
    assert settings["rankingRules"][-2:] == ["sort", "id:asc"]
    assert settings["typoTolerance"]["enabled"] is True
    assert set(settings["typoTolerance"]["disableOnAttributes"]) == set(EXACT_FIELDS)
    assert settings["pagination"]["maxTotalHits"] >= 1_000_000
    # Settings before documents, so that Meilisearch indexes the documents once.
    ours = [t for t in tasks if (t["indexUid"] or "").startswith(meilisearch_index_prefix)]
    first_settings = min(t["uid"] for t in ours if t["type"] == "settingsUpdate")
    first_documents = min(t["uid"] for t in ours if t["type"] == "documentAdditionOrUpdate")
    assert first_settings < first_documents
    health = await backend.health()
    assert health.status == "ok"
    assert health.backend is not None
    assert health.backend.startswith("meilisearch ")
    major, minor = health.backend.removeprefix("meilisearch ").split(".")[:2]
    assert (int(major), int(minor)) >= (1, 21)
    assert health.detail == f"{expected} documents in index {meilisearch_index_prefix}"


async def test_food_pantry_near_21215_within_5_km_has_exact_distances(
    baltimore_meili: MeilisearchBackend,
) -> None:
    near = near_21215()
    result = await baltimore_meili.search(query(text="food pantry", near=near, radius_km=5.0, per_page=100))
    assert 0 < result.total == len(result.hits)
    for hit in result.hits:
        assert hit.location.latitude is not None
        assert hit.location.longitude is not None
        exact = great_circle_km(near.latitude, near.longitude, hit.location.latitude, hit.location.longitude)
        assert hit.distance_km == pytest.approx(exact, abs=0.0005)
        assert exact <= 5.0
        text = f"{hit.service.name} {hit.service.description}".casefold()
        assert "food" in text or "pantr" in text or "food-insecurity" in hit.categories
    # Without text: every located document within the radius, nearest first, none outside it.
    distances = sorted(
        (great_circle_km(near.latitude, near.longitude, d.latitude, d.longitude), d.id)
        for d in await all_documents(baltimore_meili.engine)
        if d.latitude is not None and d.longitude is not None
    )
    for radius in (1.0, 2.5, 5.0):
        expected = [(km, doc_id) for km, doc_id in distances if km <= radius]
        within = await baltimore_meili.search(query(near=near, radius_km=radius, per_page=100))
        assert within.total == len(expected), radius
        assert [h.service_at_location_id for h in within.hits] == [doc_id for _, doc_id in expected[:100]]


@pytest.mark.parametrize(
    ("words", "in_first_name"),
    [("Emergency Shelter", "shelter"), ("Help Pay for Housing", None), ("legal", "legal")],
)
async def test_common_needs_give_stable_relevant_results(
    baltimore_meili: MeilisearchBackend, words: str, in_first_name: str | None
) -> None:
    first = await baltimore_meili.search(query(text=words, per_page=50))
    assert first.total > 0
    again = await baltimore_meili.search(query(text=words, per_page=50))
    assert [h.service_at_location_id for h in again.hits] == [h.service_at_location_id for h in first.hits]
    if in_first_name is not None:
        # A match in the name outranks one in the description.
        assert in_first_name in first.hits[0].service.name.casefold()
    for page in (1, 2, 3):
        paged = await baltimore_meili.search(query(text=words, page=page, per_page=10))
        expected = first.hits[(page - 1) * 10 : page * 10]
        assert [h.service_at_location_id for h in paged.hits] == [h.service_at_location_id for h in expected]
        assert paged.total == first.total


async def test_each_facet_counts_over_the_other_filters(baltimore_meili: MeilisearchBackend) -> None:
    near = near_21215()
    chosen: dict[str, Any] = {
        "text": "services",
        "near": near,
        "radius_km": 15.0,
        "categories": ("behavioral-health",),
        "languages": ("es",),
    }
    result = await baltimore_meili.search(query(**chosen))
    assert result.total > 0
    assert len(result.facets.category) > 1
    assert len(result.facets.language) > 1
    for code, count in result.facets.category.items():
        assert (await baltimore_meili.search(query(**{**chosen, "categories": (code,)}))).total == count, code
    for code, count in result.facets.language.items():
        assert (await baltimore_meili.search(query(**{**chosen, "languages": (code,)}))).total == count, code


async def test_typos_are_forgiven_only_when_nothing_matches_as_written(
    baltimore_meili: MeilisearchBackend,
) -> None:
    typo = await baltimore_meili.search(query(text="fod pantyr", per_page=10))
    assert typo.total > 0
    assert all("pantr" in h.service.name.casefold() for h in typo.hits)
    # Spelt right, a word finds exactly the documents with a word of the same stem (as a prefix, for the
    # last word): no lookalikes one typo away ("good" for "food", "regal" for "legal").
    documents = await all_documents(baltimore_meili.engine)
    words = [
        {
            stem(token)
            for value in (
                *d.taxonomy_terms,
                *d.categories,
                d.service_name,
                d.service_description,
                d.organization_name or "",
            )
            for token in re.findall(r"\w+", value)
        }
        for d in documents
    ]
    for word in ("food", "legal", "pantries", "housing"):
        expected = sum(1 for stems in words if any(s.startswith(stem(word)) for s in stems))
        assert (await baltimore_meili.search(query(text=word))).total == expected, word


async def test_search_answers_throughout_a_rebuild(backend: MeilisearchBackend) -> None:
    expected = (await backend.search(query(text="food"))).total
    assert expected > 0
    totals: list[int] = []
    finished = anyio.Event()

    async def rebuild() -> None:
        try:
            await backend.rebuild()
        finally:
            finished.set()

    async with anyio.create_task_group() as group:
        group.start_soon(rebuild)
        while not finished.is_set():
            totals.append((await backend.search(query(text="food"))).total)
    assert len(totals) >= 5
    assert set(totals) == {expected}
    assert (await backend.search(query(text="food"))).total == expected


async def deactivate(engine: AsyncEngine, service_id: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            update(services_t).where(services_t.c.id == uuid.UUID(service_id)).values(active=False)
        )


async def test_refresh_after_commit_follows_the_database(
    engine: AsyncEngine, backend: MeilisearchBackend
) -> None:
    before = await backend.search(query(text="food pantry", per_page=100))
    gone = before.hits[0].service.id
    await deactivate(engine, gone)
    await backend.refresh_after_commit([gone])
    after = await backend.search(query(text="food pantry", per_page=100))
    assert gone not in {h.service.id for h in after.hits}
    assert after.total == before.total - sum(1 for h in before.hits if h.service.id == gone)

    renamed = before.hits[1].service.id
    async with engine.begin() as conn:
        await conn.execute(
            update(services_t)
            .where(services_t.c.id == uuid.UUID(renamed))
            .values(name="Quixotic Grocery Cupboard")
        )
    await backend.refresh_after_commit([renamed])
    found = await backend.search(query(text="quixotic cupboard"))
    assert [h.service.id for h in found.hits] == [renamed]

    # A service the database no longer has at all leaves the index too.
    async with engine.begin() as conn:
        await conn.execute(
            update(services_t).where(services_t.c.id == uuid.UUID(renamed)).values(active=False)
        )
    await backend.refresh_after_commit([renamed, str(uuid.uuid4())])
    assert (await backend.search(query(text="quixotic cupboard"))).total == 0


async def test_a_change_committed_during_a_rebuild_survives_the_swap(
    engine: AsyncEngine, meilisearch_server: MeilisearchEndpoint, meilisearch_index_prefix: str
) -> None:
    live = make_backend(engine, meilisearch_server, meilisearch_index_prefix)
    await live.rebuild()
    gone = (await live.search(query(text="emergency shelter"))).hits[0].service.id

    class ChangedMidway(MeilisearchBackend):
        async def _fill(self, uid: str) -> tuple[int, set[str]]:
            filled = await super()._fill(uid)
            # Another worker deactivates a service after the new index has read it, before the swap.
            await deactivate(engine, gone)
            await live.refresh_after_commit([gone])
            assert gone not in {
                h.service.id for h in (await live.search(query(text="emergency shelter"))).hits
            }
            return filled

    rebuilding = ChangedMidway(
        engine, meilisearch_server.url, meilisearch_server.api_key, meilisearch_index_prefix
    )
    await rebuilding.rebuild()
    after = await live.search(query(text="emergency shelter", per_page=100))
    assert after.total > 0
    assert gone not in {h.service.id for h in after.hits}


async def test_open_now_asks_each_place_for_its_own_local_time(
    engine: AsyncEngine, backend: MeilisearchBackend
) -> None:
    assert (await backend.search(query(open_now=True))).total == 0
    place = (await backend.search(query(text="food pantry"))).hits[0]
    assert place.service_at_location_id is not None
    async with engine.begin() as conn:
        service = (
            await conn.execute(
                select(services_t.c.network_id, services_t.c.source_id).where(
                    services_t.c.id == uuid.UUID(place.service.id)
                )
            )
        ).one()
        await conn.execute(
            insert(schedules_t).values(
                id=uuid.uuid4(),
                network_id=service.network_id,
                source_id=service.source_id,
                source_record_id="test-wednesday-mornings",
                content_hash="0" * 32,
                service_at_location_id=uuid.UUID(place.service_at_location_id),
                freq="WEEKLY",
                byday="WE",
                opens_at="09:00",
                closes_at="12:00",
            )
        )
    await backend.refresh_after_commit([place.service.id])
    # Wednesday 25 November 2026: 15:00 UTC is 10:00 in Baltimore, 18:00 UTC is 13:00.
    morning = SearchQuery(
        network_id=DEFAULT_NETWORK_ID, at=datetime(2026, 11, 25, 15, 0, tzinfo=UTC), open_now=True
    )
    result = await backend.search(morning)
    assert [h.service_at_location_id for h in result.hits] == [place.service_at_location_id]
    assert result.facets.category == dict.fromkeys(place.categories, 1)
    afternoon = SearchQuery(
        network_id=DEFAULT_NETWORK_ID, at=datetime(2026, 11, 25, 18, 0, tzinfo=UTC), open_now=True
    )
    assert (await backend.search(afternoon)).total == 0


async def test_filter_values_are_quoted(baltimore_meili: MeilisearchBackend) -> None:
    for value in ('food-insecurity" OR network_id != "x', "legal\\", '"', 'es\\" OR languages EXISTS'):
        assert (await baltimore_meili.search(query(categories=(value,)))).total == 0, value
        assert (await baltimore_meili.search(query(languages=(value,)))).total == 0, value


async def test_a_server_that_does_not_answer_is_reported_down(engine: AsyncEngine) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = MeilisearchBackend(engine, f"http://127.0.0.1:{port}", "key", timeout_s=2)
    health = await backend.health()
    assert health.status == "down"
    assert health.detail is not None
    assert f"127.0.0.1:{port}" in health.detail


async def test_before_any_rebuild_search_answers_empty(
    engine: AsyncEngine, meilisearch_server: MeilisearchEndpoint, meilisearch_index_prefix: str
) -> None:
    backend = make_backend(engine, meilisearch_server, meilisearch_index_prefix)
    health = await backend.health()
    assert health.status == "degraded"
    assert "referral-hub search reindex" in (health.detail or "")
    result = await backend.search(query(text="food"))
    assert (result.total, result.hits) == (0, [])
    assert (await backend.health()).status == "ok"
