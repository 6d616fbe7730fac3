"""Applying and checking the Alembic revisions that create the schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


class DatabaseBehind(RuntimeError):
    """The database's schema is older than this code; `referral-hub db upgrade` brings it up."""


def alembic_config(database_url: str) -> Config:
    if not (MIGRATIONS_DIR / "env.py").is_file():
        raise RuntimeError(f"the Alembic revisions are missing (looked for {MIGRATIONS_DIR.name}/env.py)")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Apply the revisions (blocking; call it from a thread when an event loop is running)."""
    command.upgrade(alembic_config(database_url), revision)


def head_revisions(database_url: str) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())


async def current_revisions(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: set(MigrationContext.configure(sync).get_current_heads())
        )


async def ensure_current(engine: AsyncEngine, database_url: str) -> None:
    """Refuse to serve a database whose schema is behind (or ahead of) this code."""
    current = await current_revisions(engine)
    heads = head_revisions(database_url)
    if current != heads:
        state = "has no schema yet" if not current else f"is at revision {', '.join(sorted(current))}"
        raise DatabaseBehind(
            f"the database {state}, but this version of referral_hub needs {', '.join(sorted(heads))}; "
            "run `referral-hub db upgrade` first"
        )
