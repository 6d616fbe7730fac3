"""The schema comes only from the Alembic revisions, and the models never drift from them."""

from __future__ import annotations

import anyio
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from referral_hub.db.engine import create_engine
from referral_hub.db.metadata import include_name, target_metadata
from referral_hub.db.migrate import DatabaseBehind, ensure_current, upgrade
from referral_hub.networks.models import DEFAULT_NETWORK_ID, Network

pytestmark = pytest.mark.anyio


async def test_models_match_the_migrated_schema(engine: AsyncEngine) -> None:
    def diff(sync_connection: object) -> list[object]:
        context = MigrationContext.configure(
            sync_connection,  # type: ignore[arg-type]
            opts={"compare_type": True, "include_name": include_name},
        )
        return list(compare_metadata(context, target_metadata()))

    async with engine.connect() as connection:
        differences = await connection.run_sync(diff)
    assert differences == [], f"models and migrations differ; add a revision: {differences}"


async def test_the_first_migration_creates_the_default_network(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        network = (await connection.execute(select(Network.__table__).where(Network.is_default))).one()
    assert network.id == DEFAULT_NETWORK_ID
    assert network.time_zone == "America/New_York"
    assert network.holiday_calendar == "us-federal"


async def test_a_database_without_schema_is_refused_with_the_command_to_run(tmp_path: object) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/empty.db"
    engine = create_engine(url)
    try:
        with pytest.raises(DatabaseBehind, match="referral-hub db upgrade"):
            await ensure_current(engine, url)
    finally:
        await engine.dispose()


async def test_a_database_one_revision_behind_is_refused(tmp_path: object) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/old.db"
    await anyio.to_thread.run_sync(upgrade, url)
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = 'older'"))
        with pytest.raises(DatabaseBehind, match="is at revision older"):
            await ensure_current(engine, url)
    finally:
        await engine.dispose()


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        async with engine.connect() as connection:
            assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    finally:
        await engine.dispose()
