"""Fixtures: fresh migrated databases on SQLite and on a PostgreSQL server this session starts."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from referral_hub.db.engine import create_engine
from referral_hub.schema import upgrade_database
from referral_hub.settings import DatabaseSettings, Settings
from tests.support.postgres import PostgresServer

pytest_plugins = ["tests.support.meilisearch_fixtures", "tests.support.search_fixtures"]

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
BACKENDS = ("sqlite", "postgres")
_counter = itertools.count()


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(
            f"the reference data is missing: expected ../shared/data beside the repository ({SHARED_DATA})"
        )
    return SHARED_DATA


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file built once by the migrations; each test gets a copy."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade_database(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_server: PostgresServer) -> str:
    """A PostgreSQL database built once by the migrations, cloned per test (CREATE DATABASE ... TEMPLATE)."""
    name = f"rh_template_{os.getpid()}"
    upgrade_database(postgres_server.create_database(name))
    return name


def fresh_database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "referral_hub.db"
        shutil.copyfile(template, target)
        return f"sqlite+aiosqlite:///{target}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    template_name: str = request.getfixturevalue("postgres_template")
    name = f"rh_test_{os.getpid()}_{next(_counter)}"
    url = server.create_database(name, template=template_name)
    request.addfinalizer(lambda: server.drop_database(name))
    return url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, migrated database on each backend (committed data is visible to every connection)."""
    return fresh_database_url(request.param, request, tmp_path)


@pytest.fixture
def sqlite_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, migrated SQLite database, for tests that need one backend only."""
    return fresh_database_url("sqlite", request, tmp_path)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database=DatabaseSettings(url=database_url))


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    try:
        yield engine
    finally:
        await engine.dispose()
