"""Chooses the search backend that the REFERRAL_HUB_SEARCH_BACKEND setting names."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from referral_hub.search.protocol import SearchBackend
from referral_hub.settings import Settings, SettingsError


def build_search_backend(settings: Settings, engine: AsyncEngine) -> SearchBackend:
    if settings.search.backend == "meilisearch":
        if not settings.search.meilisearch_url:
            raise SettingsError("REFERRAL_HUB_SEARCH_BACKEND=meilisearch needs REFERRAL_HUB_MEILISEARCH_URL")
        from referral_hub.search.meili import MeilisearchBackend  # noqa: PLC0415 - optional client

        return MeilisearchBackend(
            engine, settings.search.meilisearch_url, settings.search.meilisearch_api_key
        )
    if engine.dialect.name == "postgresql":
        from referral_hub.search.embedded_postgres import PostgresSearchIndex  # noqa: PLC0415

        return PostgresSearchIndex(engine)
    from referral_hub.search.embedded_sqlite import SqliteSearchIndex  # noqa: PLC0415

    return SqliteSearchIndex(engine)
