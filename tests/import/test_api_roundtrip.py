"""Importing from our own `/hsds` API, served for real on 127.0.0.1, reproduces the directory."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
import uvicorn
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from directory_import.pipeline import import_source
from referral_hub.app import create_app
from referral_hub.db.base import Base
from referral_hub.db.engine import create_engine
from referral_hub.db.metadata import target_metadata
from referral_hub.settings import DatabaseSettings, LogSettings, Settings

pytestmark = pytest.mark.anyio

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
BALTIMORE = SHARED / "datasets" / "baltimore-ohana-csv"
EXAMPLES = SHARED / "hsds" / "spec-3.1" / "examples"

# HSDS columns compared row by row (the derived ones, such as a location's time zone, are re-derived).
target_metadata()  # every model registered on Base.metadata
COMPARED = {
    "hsds_organizations": "id, name, alternate_name, description, email, website",
    "hsds_services": "id, organization_id, name, description, url, email, status, eligibility_description",
    "hsds_locations": "id, organization_id, name, location_type, latitude, longitude",
    "hsds_service_at_locations": "id, service_id, location_id",
    "hsds_addresses": "id, location_id, address_1, city, state_province, postal_code, country, address_type",
    "hsds_phones": "id, number, extension, type",
    "hsds_languages": "id, name, code",
    "hsds_taxonomy_terms": "id, code, name, parent_id, taxonomy",
    "hsds_schedules": "id, service_id, location_id, byday, opens_at, closes_at",
}


class LiveServer:
    def __init__(self, settings: Settings) -> None:
        config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/hsds"

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture
def served_directory(sqlite_url: str) -> Iterator[tuple[str, str]]:
    """Baltimore imported into a first database, served by the real app over HTTP."""

    async def load() -> None:
        engine = create_engine(sqlite_url)
        try:
            await import_source(engine, str(BALTIMORE), source_name="baltimore")
        finally:
            await engine.dispose()

    anyio.run(load)
    settings = Settings(database=DatabaseSettings(url=sqlite_url), log=LogSettings(level="WARNING"))
    with LiveServer(settings) as base_url:
        yield sqlite_url, base_url


async def rows(engine: AsyncEngine, name: str) -> list[tuple[Any, ...]]:
    table = Base.metadata.tables[name]
    columns = [table.c[column.strip()] for column in COMPARED[name].split(",")]
    async with engine.connect() as conn:
        result = await conn.execute(select(*columns).where(table.c.active))
        return sorted(tuple(str(v) for v in row) for row in result)


async def test_importing_our_own_api_reproduces_the_directory(
    served_directory: tuple[str, str], engine: AsyncEngine
) -> None:
    source_url, base_url = served_directory
    summary = await import_source(engine, base_url, source_name="mirror")
    assert summary.format == "hsds3-api"
    assert summary.rejected == 0, [i for i in summary.issues if i.severity == "rejected"][:5]
    original = create_engine(source_url)
    try:
        for table in COMPARED:
            expected = await rows(original, table)
            assert await rows(engine, table) == expected, table
    finally:
        await original.dispose()


ROUND_TRIPS = {
    "service_full.json": "/services/{id}",
    "organization_full.json": "/organizations/{id}?full_service=true",
    "service_at_location_full.json": "/service_at_locations/{id}",
    "taxonomy.json": "/taxonomies/{id}",
    "taxonomy_term.json": "/taxonomy_terms/{id}",
}


async def test_official_examples_round_trip_through_import_and_the_api(
    engine: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "examples"
    folder.mkdir()
    for name in ROUND_TRIPS:
        shutil.copy(EXAMPLES / name, folder / name)
    summary = await import_source(engine, str(folder), source_name="examples")
    assert summary.rejected == 0
    settings = Settings(database=DatabaseSettings(url=database_url), log=LogSettings(level="WARNING"))
    with LiveServer(settings) as base_url:
        import httpx  # noqa: PLC0415

        async with httpx.AsyncClient() as client:
            for name, route in ROUND_TRIPS.items():
                expected = json.loads((EXAMPLES / name).read_text())
                response = await client.get(base_url + route.format(id=expected["id"]))
                assert response.status_code == 200, name
                assert_same(response.json(), expected, name)


def assert_same(actual: Any, expected: Any, path: str) -> None:
    """Equal on every field the example carries; lists compared as sets of ids where they have ids."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), path
        for key, value in expected.items():
            assert key in actual, f"{path}.{key} missing"
            assert_same(actual[key], value, f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), path
        if expected and isinstance(expected[0], dict) and "id" in expected[0]:
            by_id = {item["id"]: item for item in actual}
            for item in expected:
                assert item["id"] in by_id, f"{path}: {item['id']} missing"
                assert_same(by_id[item["id"]], item, f"{path}[{item['id']}]")
        else:
            assert actual == expected, path
    elif isinstance(expected, float | int) and not isinstance(expected, bool):
        assert actual == pytest.approx(expected), path
    elif path.endswith(("last_modified", "updated")):
        from datetime import datetime  # noqa: PLC0415

        assert datetime.fromisoformat(str(actual)) == datetime.fromisoformat(str(expected)), path
    else:
        assert actual == expected, path
