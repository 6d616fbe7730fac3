"""The SearchBackend protocol: what the API and the importer need of any search engine."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from referral_hub.health import ComponentHealth
from referral_hub.search.model import BackendResult, SearchQuery


class SearchBackend(Protocol):
    name: str

    async def search(self, query: SearchQuery) -> BackendResult:
        """One page of results for a checked query, with facets."""
        ...

    async def refresh_in_transaction(self, conn: AsyncConnection, service_ids: Sequence[str]) -> None:
        """Called inside the transaction that changed these services (the embedded index lives there)."""
        ...

    async def refresh_after_commit(self, service_ids: Sequence[str]) -> None:
        """Called once those changes are committed (an external index catches up from the database)."""
        ...

    async def rebuild(self) -> int:
        """Rebuild the whole index from the directory without search going down; returns documents indexed."""
        ...

    async def health(self) -> ComponentHealth: ...

    async def close(self) -> None: ...
