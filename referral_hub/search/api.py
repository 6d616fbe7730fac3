"""`GET /api/v1/search`: parse the query string, call the search service, return the page."""

from __future__ import annotations

from litestar import Controller, get
from litestar.datastructures import State
from litestar.params import FromQuery

from referral_hub.search.model import SearchPage
from referral_hub.search.service import SearchService


class SearchController(Controller):
    path = "/api/v1/search"
    tags = ["search"]

    @get("/", summary="Search the directory by need, place, language, hours and words")
    async def search(
        self,
        *,
        state: State,
        q: FromQuery[str | None] = None,
        category: FromQuery[list[str] | None] = None,
        taxonomy_term_id: FromQuery[str | None] = None,
        near: FromQuery[str | None] = None,
        radius_km: FromQuery[float | None] = None,
        language: FromQuery[list[str] | None] = None,
        open_now: FromQuery[bool] = False,
        accepting_referrals: FromQuery[bool] = False,
        page: FromQuery[int | None] = None,
        per_page: FromQuery[int | None] = None,
    ) -> SearchPage:
        service: SearchService = state.search
        return await service.search(
            q=q,
            category=category or [],
            taxonomy_term_id=taxonomy_term_id,
            near=near,
            radius_km=radius_km,
            language=language or [],
            open_now=open_now,
            accepting_referrals=accepting_referrals,
            page=page,
            per_page=per_page,
        )
