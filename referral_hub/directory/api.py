"""The HSDS 3.1 read API under /hsds: parse the HSDS query parameters, call one query, return Structs."""

from __future__ import annotations

import math
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Final

import msgspec
from litestar import Controller, Router, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession

from referral_hub.directory import hsds, queries
from referral_hub.directory.api_schemas import HSDS_PROFILE_URL, HSDS_VERSION, ApiInfo
from referral_hub.directory.queries import (
    Filters,
    Near,
    OrganizationView,
    ServiceAtLocationView,
    ServiceView,
)
from referral_hub.errors import InvalidParameter, NotFound
from referral_hub.geo.zip_centroids import zip_centroid
from referral_hub.pagination import Page, page_request

NDJSON_MEDIA_TYPE: Final = "application/x-ndjson"
# `search` is a plain substring match here (full-text search lives under /api/v1/search); the bounds
# keep one request from turning into dozens of LIKE scans.
SEARCH_MAX_LENGTH: Final = 200
SEARCH_MAX_WORDS: Final = 10
POSTCODE_MAX_LENGTH: Final = 16

_ENCODER = msgspec.json.Encoder()

FormatParam = Annotated[
    str | None,
    QueryParameter(name="format", description="`json` (default) or `ndjson`: every result, one per line."),
]


def _search(value: str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if len(value) > SEARCH_MAX_LENGTH:
        raise InvalidParameter("search", f"must be at most {SEARCH_MAX_LENGTH} characters")
    words = tuple(value.split())
    if len(words) > SEARCH_MAX_WORDS:
        raise InvalidParameter("search", f"must have at most {SEARCH_MAX_WORDS} words")
    return words


def _uuid(name: str, value: str | None) -> uuid.UUID | None:
    if value is None:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidParameter(name, "must be a UUID") from None


def _modified_after(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        hint = " (write + in an offset as %2B)" if " " in value else ""
        raise InvalidParameter(
            "modified_after", f"must be an RFC 3339 date-time such as 2024-05-01T00:00:00Z{hint}"
        ) from None
    if parsed.tzinfo is None:
        raise InvalidParameter("modified_after", "needs a time zone offset, such as 2024-05-01T00:00:00Z")
    return parsed


def _wants_ndjson(value: str | None) -> bool:
    if value is None or value == "json":
        return False
    if value == "ndjson":
        return True
    raise InvalidParameter("format", "must be json or ndjson")


def _near(postcode: str | None, proximity: str | None) -> Near | None:
    if postcode is not None and not (0 < len(postcode.strip()) <= POSTCODE_MAX_LENGTH):
        raise InvalidParameter("postcode", f"must be a postal code of 1 to {POSTCODE_MAX_LENGTH} characters")
    if proximity is None:
        return None
    if postcode is None:
        raise InvalidParameter("proximity", "needs a postcode to measure the distance from")
    try:
        meters = float(proximity)
    except ValueError:
        raise InvalidParameter("proximity", "must be a distance in meters") from None
    if not math.isfinite(meters) or meters <= 0:
        raise InvalidParameter("proximity", "must be a distance in meters greater than 0")
    centroid = zip_centroid(postcode)
    if centroid is None:
        raise InvalidParameter(
            "postcode", "is not a US ZIP code with a known centroid to measure proximity from"
        )
    return Near(latitude=centroid[0], longitude=centroid[1], radius_km=meters / 1000)


def _path_id(kind: str, value: str) -> uuid.UUID:
    # HSDS types the path id as a plain string, so a malformed one names no object: 404, like any unknown id.
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(f"No listed {kind} has this id (ids are UUIDs).") from None


def _ndjson(batches: AsyncIterator[list[Any]]) -> Stream:
    async def lines() -> AsyncIterator[bytes]:
        async for batch in batches:
            yield b"".join(_ENCODER.encode(item) + b"\n" for item in batch)

    # The Content-Type header, not media_type: the handler's JSON default would win over the latter.
    return Stream(lines(), headers={"Content-Type": NDJSON_MEDIA_TYPE})


def _service_view(minimal: bool, full: bool) -> ServiceView:
    if minimal and full:
        raise InvalidParameter("minimal", "cannot be combined with full")
    return "minimal" if minimal else "full" if full else "list"


def _organization_view(full: bool, full_service: bool) -> OrganizationView:
    return "full_services" if full_service else "full" if full else "list"


@get("/", summary="HSDS version and profile of this API")
async def api_info(state: State) -> ApiInfo:
    base_url = state.settings.server.base_url
    return ApiInfo(
        version=HSDS_VERSION, profile=HSDS_PROFILE_URL, openapi_url=f"{base_url}/schema/openapi.json"
    )


class ServiceController(Controller):
    path = "/services"

    @get("/", summary="Services, a page at a time")
    async def list_services(
        self,
        *,
        db_session: NamedDependency[AsyncSession],
        state: State,
        output_format: FormatParam = None,
        search: FromQuery[str | None] = None,
        page: FromQuery[int | None] = None,
        per_page: FromQuery[int | None] = None,
        taxonomy_term_id: FromQuery[str | None] = None,
        taxonomy_id: FromQuery[str | None] = None,
        organization_id: FromQuery[str | None] = None,
        modified_after: FromQuery[str | None] = None,
        minimal: FromQuery[bool] = False,
        full: FromQuery[bool] = False,
    ) -> Page[hsds.Service] | Stream:
        filters = Filters(
            search=_search(search),
            taxonomy_term_id=_uuid("taxonomy_term_id", taxonomy_term_id),
            taxonomy_id=_uuid("taxonomy_id", taxonomy_id),
            organization_id=_uuid("organization_id", organization_id),
            modified_after=_modified_after(modified_after),
        )
        view = _service_view(minimal, full)
        if _wants_ndjson(output_format):
            return _ndjson(queries.stream_services(state.session_factory, filters, view))
        return await queries.list_services(db_session, filters, page_request(page, per_page), view)

    @get("/{service_id:str}", summary="A fully nested service")
    async def get_service(
        self, db_session: NamedDependency[AsyncSession], service_id: FromPath[str]
    ) -> hsds.Service:
        return await queries.get_service(db_session, _path_id("service", service_id))


class OrganizationController(Controller):
    path = "/organizations"

    @get("/", summary="Organizations, a page at a time")
    async def list_organizations(
        self,
        *,
        db_session: NamedDependency[AsyncSession],
        state: State,
        output_format: FormatParam = None,
        search: FromQuery[str | None] = None,
        page: FromQuery[int | None] = None,
        per_page: FromQuery[int | None] = None,
        taxonomy_term_id: FromQuery[str | None] = None,
        taxonomy_id: FromQuery[str | None] = None,
        full: FromQuery[bool] = False,
        full_service: FromQuery[bool] = False,
    ) -> Page[hsds.Organization] | Stream:
        filters = Filters(
            search=_search(search),
            taxonomy_term_id=_uuid("taxonomy_term_id", taxonomy_term_id),
            taxonomy_id=_uuid("taxonomy_id", taxonomy_id),
        )
        view = _organization_view(full, full_service)
        if _wants_ndjson(output_format):
            return _ndjson(queries.stream_organizations(state.session_factory, filters, view))
        return await queries.list_organizations(db_session, filters, page_request(page, per_page), view)

    @get("/{organization_id:str}", summary="A fully nested organization")
    async def get_organization(
        self,
        db_session: NamedDependency[AsyncSession],
        organization_id: FromPath[str],
        full_service: FromQuery[bool] = False,
    ) -> hsds.Organization:
        return await queries.get_organization(
            db_session, _path_id("organization", organization_id), full_services=full_service
        )


class ServiceAtLocationController(Controller):
    path = "/service_at_locations"

    @get("/", summary="Services at locations, a page at a time")
    async def list_service_at_locations(
        self,
        *,
        db_session: NamedDependency[AsyncSession],
        state: State,
        output_format: FormatParam = None,
        search: FromQuery[str | None] = None,
        page: FromQuery[int | None] = None,
        per_page: FromQuery[int | None] = None,
        taxonomy_term_id: FromQuery[str | None] = None,
        taxonomy_id: FromQuery[str | None] = None,
        organization_id: FromQuery[str | None] = None,
        modified_after: FromQuery[str | None] = None,
        full: FromQuery[bool] = False,
        postcode: FromQuery[str | None] = None,
        proximity: Annotated[
            str | None, QueryParameter(description="Meters from the centroid of `postcode`; nearest first.")
        ] = None,
    ) -> Page[hsds.ServiceAtLocation] | Stream:
        near = _near(postcode, proximity)
        filters = Filters(
            search=_search(search),
            taxonomy_term_id=_uuid("taxonomy_term_id", taxonomy_term_id),
            taxonomy_id=_uuid("taxonomy_id", taxonomy_id),
            organization_id=_uuid("organization_id", organization_id),
            modified_after=_modified_after(modified_after),
            postcode=postcode,
            near=near,
        )
        view: ServiceAtLocationView = "full" if full else "list"
        if _wants_ndjson(output_format):
            return _ndjson(queries.stream_service_at_locations(state.session_factory, filters, view))
        request = page_request(page, per_page)
        return await queries.list_service_at_locations(db_session, filters, request, view)

    @get("/{sal_id:str}", summary="A fully nested service at a location")
    async def get_service_at_location(
        self, db_session: NamedDependency[AsyncSession], sal_id: FromPath[str]
    ) -> hsds.ServiceAtLocation:
        return await queries.get_service_at_location(db_session, _path_id("service_at_location", sal_id))


class TaxonomyController(Controller):
    path = "/taxonomies"

    @get("/", summary="Taxonomies, a page at a time")
    async def list_taxonomies(
        self,
        *,
        db_session: NamedDependency[AsyncSession],
        state: State,
        output_format: FormatParam = None,
        search: FromQuery[str | None] = None,
        page: FromQuery[int | None] = None,
        per_page: FromQuery[int | None] = None,
    ) -> Page[hsds.Taxonomy] | Stream:
        filters = Filters(search=_search(search))
        if _wants_ndjson(output_format):
            return _ndjson(queries.stream_taxonomies(state.session_factory, filters))
        return await queries.list_taxonomies(db_session, filters, page_request(page, per_page))

    @get("/{taxonomy_id:str}", summary="A taxonomy")
    async def get_taxonomy(
        self, db_session: NamedDependency[AsyncSession], taxonomy_id: FromPath[str]
    ) -> hsds.Taxonomy:
        return await queries.get_taxonomy(db_session, _path_id("taxonomy", taxonomy_id))


class TaxonomyTermController(Controller):
    path = "/taxonomy_terms"

    @get("/", summary="Taxonomy terms, a page at a time")
    async def list_taxonomy_terms(
        self,
        *,
        db_session: NamedDependency[AsyncSession],
        state: State,
        output_format: FormatParam = None,
        search: FromQuery[str | None] = None,
        page: FromQuery[int | None] = None,
        per_page: FromQuery[int | None] = None,
        taxonomy_id: FromQuery[str | None] = None,
        parent_id: FromQuery[str | None] = None,
        top_only: Annotated[bool, QueryParameter(description="Only terms without a parent.")] = False,
    ) -> Page[hsds.TaxonomyTerm] | Stream:
        filters = Filters(
            search=_search(search),
            taxonomy_id=_uuid("taxonomy_id", taxonomy_id),
            parent_id=_uuid("parent_id", parent_id),
            top_only=top_only,
        )
        if _wants_ndjson(output_format):
            return _ndjson(queries.stream_taxonomy_terms(state.session_factory, filters))
        return await queries.list_taxonomy_terms(db_session, filters, page_request(page, per_page))

    @get("/{term_id:str}", summary="A taxonomy term")
    async def get_taxonomy_term(
        self, db_session: NamedDependency[AsyncSession], term_id: FromPath[str]
    ) -> hsds.TaxonomyTerm:
        return await queries.get_taxonomy_term(db_session, _path_id("taxonomy_term", term_id))


hsds_router = Router(
    path="/hsds",
    route_handlers=[
        api_info,
        ServiceController,
        OrganizationController,
        ServiceAtLocationController,
        TaxonomyController,
        TaxonomyTermController,
    ],
    tags=["HSDS 3.1"],
)
