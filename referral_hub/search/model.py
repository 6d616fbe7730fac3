"""What a search asks, what it answers, and the document every backend indexes."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

MAX_WORDS = 10
DEFAULT_RADIUS_KM = 10.0
MAX_RADIUS_KM = 200.0


class GeoPoint(msgspec.Struct, frozen=True):
    latitude: float
    longitude: float


class SearchQuery(msgspec.Struct, frozen=True):
    """A checked search: every value here is usable as it is."""

    network_id: uuid.UUID
    at: datetime  # "now", for open_now; UTC, aware
    text: str | None = None  # at most MAX_WORDS words, whitespace-normalised
    categories: tuple[str, ...] = ()  # OR within the filter
    taxonomy_term_id: uuid.UUID | None = None
    near: GeoPoint | None = None
    radius_km: float = DEFAULT_RADIUS_KM
    languages: tuple[str, ...] = ()  # ISO 639-1; OR within the filter
    open_now: bool = False
    accepting_referrals: bool = False
    page: int = 1
    per_page: int = 20

    @property
    def words(self) -> list[str]:
        return self.text.split() if self.text else []


class SearchDocument(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One searchable place: an active service at an active location (or a service with none).

    Built from the directory tables by documents.py; every backend indexes exactly these fields.
    """

    id: str  # the service_at_location id, or the service id for a service without a location
    network_id: str
    service_id: str
    service_name: str
    service_description: str = ""
    organization_id: str | None = None
    organization_name: str | None = None
    location_id: str | None = None
    location_name: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    time_zone: str | None = None
    categories: list[str] = msgspec.field(default_factory=list)
    languages: list[str] = msgspec.field(default_factory=list)
    taxonomy_term_ids: list[str] = msgspec.field(default_factory=list)
    taxonomy_terms: list[str] = msgspec.field(default_factory=list)
    accepting_referrals: bool = False
    # 15-minute slots of the week (0 = Monday 00:00) when the place is open, in its own time zone.
    open_slots: list[int] = msgspec.field(default_factory=list)


class ServiceSummary(msgspec.Struct):
    id: str
    name: str
    description: str


class OrganizationSummary(msgspec.Struct):
    id: str | None
    name: str | None


class LocationSummary(msgspec.Struct):
    id: str | None
    name: str | None
    address: str | None
    latitude: float | None
    longitude: float | None


class SearchHit(msgspec.Struct):
    service: ServiceSummary
    organization: OrganizationSummary
    location: LocationSummary
    service_at_location_id: str | None
    distance_km: float | None
    categories: list[str]
    languages: list[str]
    snippet: str  # escaped text; only <mark> and </mark> are markup


class Facets(msgspec.Struct):
    category: dict[str, int]
    language: dict[str, int]


class SearchPage(msgspec.Struct):
    """The HSDS page envelope plus facets."""

    total_items: int
    total_pages: int
    page_number: int
    size: int
    first_page: bool
    last_page: bool
    empty: bool
    contents: list[SearchHit]
    facets: Facets


class BackendResult(msgspec.Struct):
    """What a backend answers: one page of hits, the total, and the facets."""

    hits: list[SearchHit]
    total: int
    facets: Facets
