"""Baltimore imported once per session into each search backend; search tests run against each."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from directory_import.pipeline import import_source
from referral_hub.db.engine import create_engine
from referral_hub.search.protocol import SearchBackend
from tests.support.postgres import PostgresServer

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
BALTIMORE = SHARED / "datasets" / "baltimore-ohana-csv"
BACKENDS = ("embedded-sqlite", "embedded-postgres", "meilisearch")


def make_backend(
    kind: str, engine: AsyncEngine, meili: Any = None, prefix: str = "rh_search"
) -> SearchBackend:
    if kind == "embedded-sqlite":
        from referral_hub.search.embedded_sqlite import SqliteSearchIndex  # noqa: PLC0415

        return SqliteSearchIndex(engine)
    if kind == "embedded-postgres":
        from referral_hub.search.embedded_postgres import PostgresSearchIndex  # noqa: PLC0415

        return PostgresSearchIndex(engine)
    from referral_hub.search.meili import MeilisearchBackend  # noqa: PLC0415

    return MeilisearchBackend(engine, meili.url, meili.api_key, index_prefix=prefix)


def _load(url: str, build: Callable[[AsyncEngine], SearchBackend]) -> None:
    async def run() -> None:
        engine = create_engine(url)
        backend = build(engine)
        try:
            await import_source(engine, str(BALTIMORE), source_name="baltimore")
            await backend.rebuild()
        finally:
            await backend.close()
            await engine.dispose()

    anyio.run(run)


@pytest.fixture(scope="session")
def baltimore_sqlite(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("baltimore") / "baltimore.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    _load(url, lambda engine: make_backend("embedded-sqlite", engine))
    return url


@pytest.fixture(scope="session")
def baltimore_postgres(postgres_server: PostgresServer, postgres_template: str) -> str:
    url = postgres_server.create_database(f"rh_baltimore_{os.getpid()}", template=postgres_template)
    _load(url, lambda engine: make_backend("embedded-postgres", engine))
    return url


@pytest.fixture(scope="session")
def baltimore_meilisearch(baltimore_sqlite: str, meilisearch_server: Any) -> tuple[str, Any, str]:
    prefix = f"rh_baltimore_{os.getpid()}"

    async def run() -> None:
        engine = create_engine(baltimore_sqlite)
        backend = make_backend("meilisearch", engine, meilisearch_server, prefix)
        try:
            await backend.rebuild()
        finally:
            await backend.close()
            await engine.dispose()

    anyio.run(run)
    return baltimore_sqlite, meilisearch_server, prefix


@pytest.fixture(params=BACKENDS)
def baltimore_source(request: pytest.FixtureRequest) -> tuple[str, str, Any, str]:
    """(backend kind, database URL, Meilisearch endpoint, index prefix) of the Baltimore directory."""
    if request.param == "embedded-sqlite":
        return request.param, request.getfixturevalue("baltimore_sqlite"), None, "rh_search"
    if request.param == "embedded-postgres":
        return request.param, request.getfixturevalue("baltimore_postgres"), None, "rh_search"
    url, meili, prefix = request.getfixturevalue("baltimore_meilisearch")
    return request.param, url, meili, prefix


@pytest.fixture
async def baltimore(baltimore_source: tuple[str, str, Any, str]) -> AsyncIterator[SearchBackend]:
    """A search backend over the Baltimore directory (read-only: tests must not change it)."""
    kind, url, meili, prefix = baltimore_source
    engine = create_engine(url)
    backend = make_backend(kind, engine, meili, prefix)
    try:
        yield backend
    finally:
        await backend.close()
        await engine.dispose()
