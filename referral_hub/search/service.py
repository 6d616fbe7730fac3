"""The search service: checks parameters, asks the backend, answers the page envelope with facets."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from referral_hub.db.base import core_table
from referral_hub.directory.models import NeedCategory
from referral_hub.networks.models import DEFAULT_NETWORK_ID
from referral_hub.search.model import SearchPage
from referral_hub.search.params import parse_search
from referral_hub.search.protocol import SearchBackend


class SearchService:
    def __init__(self, backend: SearchBackend, known_categories: frozenset[str]) -> None:
        self.backend = backend
        self.known_categories = known_categories

    @classmethod
    async def build(cls, backend: SearchBackend, engine: AsyncEngine) -> SearchService:
        async with engine.connect() as conn:
            table = core_table(NeedCategory)
            codes = frozenset((await conn.execute(select(table.c.code))).scalars())
        return cls(backend, codes)

    async def search(
        self,
        *,
        q: str | None,
        category: Sequence[str],
        taxonomy_term_id: str | None,
        near: str | None,
        radius_km: float | None,
        language: Sequence[str],
        open_now: bool,
        accepting_referrals: bool,
        page: int | None,
        per_page: int | None,
        network_id: uuid.UUID = DEFAULT_NETWORK_ID,
        at: datetime | None = None,
    ) -> SearchPage:
        query = parse_search(
            network_id=network_id,
            at=at or datetime.now(UTC),
            known_categories=self.known_categories,
            q=q,
            category=category,
            taxonomy_term_id=taxonomy_term_id,
            near=near,
            radius_km=radius_km,
            language=language,
            open_now=open_now,
            accepting_referrals=accepting_referrals,
            page=page,
            per_page=per_page,
        )
        result = await self.backend.search(query)
        total_pages = max(1, -(-result.total // query.per_page))
        return SearchPage(
            total_items=result.total,
            total_pages=total_pages,
            page_number=query.page,
            size=len(result.hits),
            first_page=query.page == 1,
            last_page=query.page >= total_pages,
            empty=not result.hits,
            contents=result.hits,
            facets=result.facets,
        )
