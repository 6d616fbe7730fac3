"""Checks the parameters of GET /api/v1/search; every refusal names the parameter."""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

from referral_hub.directory.languages import normalize_language
from referral_hub.errors import InvalidParameter
from referral_hub.geo.zip_centroids import normalize_zip, zip_centroid
from referral_hub.pagination import page_request
from referral_hub.search.model import DEFAULT_RADIUS_KM, MAX_RADIUS_KM, MAX_WORDS, GeoPoint, SearchQuery

# A word longer than this is no word a person typed; it is cut, so a 10 kB query stays cheap.
MAX_WORD_LENGTH = 40
_LAT_LNG = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")


def parse_text(q: str | None) -> str | None:
    if q is None:
        return None
    words = q.split()[:MAX_WORDS]
    text = " ".join(word[:MAX_WORD_LENGTH] for word in words)
    return text or None


def parse_near(near: str) -> GeoPoint:
    match = _LAT_LNG.match(near)
    if match:
        latitude, longitude = float(match.group(1)), float(match.group(2))
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise InvalidParameter("near", "latitude must be within -90..90 and longitude within -180..180")
        return GeoPoint(latitude, longitude)
    zip_code = normalize_zip(near)
    if zip_code is None:
        raise InvalidParameter("near", "must be a US ZIP code (21215) or 'latitude,longitude' (39.33,-76.68)")
    centroid = zip_centroid(zip_code)
    if centroid is None:
        raise InvalidParameter("near", f"unknown ZIP code {zip_code}")
    return GeoPoint(*centroid)


def parse_search(
    *,
    network_id: uuid.UUID,
    at: datetime,
    known_categories: Collection[str],
    q: str | None = None,
    category: Sequence[str] = (),
    taxonomy_term_id: str | None = None,
    near: str | None = None,
    radius_km: float | None = None,
    language: Sequence[str] = (),
    open_now: bool = False,
    accepting_referrals: bool = False,
    page: int | None = None,
    per_page: int | None = None,
) -> SearchQuery:
    unknown = sorted({c for c in category if c not in known_categories})
    if unknown:
        raise InvalidParameter("category", f"unknown need category {', '.join(unknown)}")
    term: uuid.UUID | None = None
    if taxonomy_term_id is not None:
        try:
            term = uuid.UUID(taxonomy_term_id)
        except ValueError:
            raise InvalidParameter("taxonomy_term_id", "must be a UUID") from None
    point = parse_near(near) if near is not None else None
    if radius_km is not None:
        if point is None:
            raise InvalidParameter("radius_km", "needs near (a ZIP code or 'latitude,longitude')")
        if not math.isfinite(radius_km) or not 0 < radius_km <= MAX_RADIUS_KM:
            raise InvalidParameter("radius_km", f"must be more than 0 and at most {MAX_RADIUS_KM:g}")
    languages: list[str] = []
    for value in language:
        code = normalize_language(value)
        if code is None:
            raise InvalidParameter(
                "language", f"{value[:40]!r} is not a language (use ISO 639-1, such as es)"
            )
        languages.append(code)
    paging = page_request(page, per_page)
    return SearchQuery(
        network_id=network_id,
        at=at,
        text=parse_text(q),
        categories=tuple(sorted(set(category))),
        taxonomy_term_id=term,
        near=point,
        radius_km=DEFAULT_RADIUS_KM if radius_km is None else radius_km,
        languages=tuple(sorted(set(languages))),
        open_now=open_now,
        accepting_referrals=accepting_referrals,
        page=paging.page,
        per_page=paging.per_page,
    )
