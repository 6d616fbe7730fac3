"""Opening hours in each place's own time zone, and an index that follows the directory, on every backend."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from directory_import.pipeline import import_source
from referral_hub.networks.models import DEFAULT_NETWORK_ID
from referral_hub.search.indexing import refresh_services
from referral_hub.search.model import SearchQuery
from referral_hub.search.protocol import SearchBackend
from tests.support.search_fixtures import make_backend

pytestmark = pytest.mark.anyio

ORG = "7a000000-0000-4000-8000-000000000001"


def place(number: int, latitude: float, longitude: float, hours: list[dict[str, str]]) -> dict[str, Any]:
    location = f"7a000000-0000-4000-8000-00000000010{number}"
    service = f"7a000000-0000-4000-8000-00000000020{number}"
    return {
        "id": service,
        "name": f"Pantry {number}",
        "description": "Food pantry",
        "status": "active",
        "organization_id": ORG,
        "schedules": [
            {
                "id": f"7a000000-0000-4000-8000-0000000003{number}{i}",
                "service_id": service,
                "freq": "WEEKLY",
                **h,
            }
            for i, h in enumerate(hours)
        ],
        "service_at_locations": [
            {
                "id": f"7a000000-0000-4000-8000-00000000040{number}",
                "service_id": service,
                "location_id": location,
                "location": {
                    "id": location,
                    "name": f"Site {number}",
                    "location_type": "physical",
                    "latitude": latitude,
                    "longitude": longitude,
                },
            }
        ],
    }


@pytest.fixture(params=["embedded-sqlite", "embedded-postgres", "meilisearch"])
def small_source(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str, Any, str, Path]:
    """(backend kind, fresh database URL, Meilisearch endpoint, index prefix, directory file)."""
    from tests.conftest import fresh_database_url  # noqa: PLC0415

    kind: str = request.param
    url = fresh_database_url("postgres" if kind == "embedded-postgres" else "sqlite", request, tmp_path)
    meili = request.getfixturevalue("meilisearch_server") if kind == "meilisearch" else None
    prefix = request.getfixturevalue("meilisearch_index_prefix") if meili is not None else "rh_search"
    services = [
        place(1, 39.29, -76.61, [{"byday": "MO,TU,WE,TH,FR", "opens_at": "09:00", "closes_at": "17:00"}]),
        place(2, 41.88, -87.63, [{"byday": "SA", "opens_at": "22:00", "closes_at": "02:00"}]),  # Chicago
        place(3, 39.30, -76.60, []),  # hours unknown
        # HSDS status: a temporarily closed service is in the directory, never in search.
        {**place(4, 39.31, -76.62, []), "status": "temporarily closed"},
    ]
    organization = {"id": ORG, "name": "Harbor Pantries", "description": "Pantries", "services": services}
    directory = tmp_path / "directory.json"
    directory.write_text(json.dumps(organization))
    return kind, url, meili, prefix, directory


@pytest.fixture
async def small_directory(
    small_source: tuple[str, str, Any, str, Path],
) -> AsyncIterator[tuple[SearchBackend, AsyncEngine]]:
    from referral_hub.db.engine import create_engine  # noqa: PLC0415

    kind, url, meili, prefix, directory = small_source
    engine = create_engine(url)
    backend = make_backend(kind, engine, meili, prefix)
    try:
        await import_source(engine, str(directory), source_name="small")
        await backend.rebuild()
        yield backend, engine
    finally:
        await backend.close()
        await engine.dispose()


async def open_names(backend: SearchBackend, at: datetime) -> set[str]:
    result = await backend.search(SearchQuery(network_id=DEFAULT_NETWORK_ID, at=at, open_now=True))
    return {hit.service.name for hit in result.hits}


async def test_open_now_in_each_places_own_time_zone(
    small_directory: tuple[SearchBackend, AsyncEngine],
) -> None:
    backend, _ = small_directory
    # Monday 10:00 in Baltimore (15:00 UTC): the weekday pantry is open, the Saturday-night one is not.
    assert await open_names(backend, datetime(2026, 11, 23, 15, 0, tzinfo=UTC)) == {"Pantry 1"}
    # Monday 17:05 in Baltimore: closed.
    assert await open_names(backend, datetime(2026, 11, 23, 22, 5, tzinfo=UTC)) == set()
    # Sunday 01:00 in Chicago (07:00 UTC): still open from Saturday 22:00; unknown hours never open.
    assert await open_names(backend, datetime(2026, 11, 29, 7, 0, tzinfo=UTC)) == {"Pantry 2"}


async def test_a_deactivated_service_leaves_search_once_refreshed(
    small_directory: tuple[SearchBackend, AsyncEngine],
) -> None:
    backend, engine = small_directory
    query = SearchQuery(network_id=DEFAULT_NETWORK_ID, at=datetime.now(UTC), text="pantry")
    assert (await backend.search(query)).total == 3
    service = "7a000000-0000-4000-8000-000000000202"
    async with engine.begin() as conn:
        value = service.replace("-", "") if engine.dialect.name == "sqlite" else service
        await conn.execute(text("UPDATE hsds_services SET active = false WHERE id = :id"), {"id": value})
    import uuid  # noqa: PLC0415

    await refresh_services(backend, engine, [uuid.UUID(service)])
    names = {hit.service.name for hit in (await backend.search(query)).hits}
    assert names == {"Pantry 1", "Pantry 3"}
