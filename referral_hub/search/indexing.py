"""Keeping a search backend in step after directory changes (imports, listing edits)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from referral_hub.search.protocol import SearchBackend

# Services per transaction: a few hundred milliseconds of write lock on SQLite at most.
CHUNK = 500


async def refresh_services(
    backend: SearchBackend, engine: AsyncEngine, service_ids: Sequence[uuid.UUID]
) -> None:
    ids = [str(service_id) for service_id in service_ids]
    for start in range(0, len(ids), CHUNK):
        async with engine.begin() as conn:
            await backend.refresh_in_transaction(conn, ids[start : start + CHUNK])
    await backend.refresh_after_commit(ids)
