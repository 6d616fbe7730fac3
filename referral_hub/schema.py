"""Bringing a database up to date: the Alembic revisions, then the reference data the package ships."""

from __future__ import annotations

import asyncio

from referral_hub.db.migrate import upgrade
from referral_hub.directory.reference_data import sync_reference_data


def upgrade_database(database_url: str) -> None:
    """What `referral-hub db upgrade` does (blocking; run it outside an event loop)."""
    upgrade(database_url)
    asyncio.run(sync_reference_data(database_url))
