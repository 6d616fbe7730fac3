"""Great-circle distances and the bounding boxes that prefilter radius searches."""

from __future__ import annotations

import math

# The IUGG mean Earth radius; haversine on a sphere is within 0.5 % of the ellipsoid, plenty for "near me".
EARTH_RADIUS_KM = 6371.0088

# A box a hair wider than the exact one, so that rounding never drops a point that lies on the radius.
_MARGIN_DEG = 1e-6


def great_circle_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """The haversine distance in kilometres between two points given in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_dphi = (phi2 - phi1) / 2
    half_dlambda = math.radians(lng2 - lng1) / 2
    a = math.sin(half_dphi) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlambda) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, max(0.0, a))))


def bounding_box(lat: float, lng: float, radius_km: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lng, max_lng) containing every point within radius_km of (lat, lng).

    The box never wraps: when the circle reaches a pole or crosses the antimeridian the longitude range is
    the whole [-180, 180], so that a plain `BETWEEN` prefilter stays correct (and merely less selective).
    """
    if not (math.isfinite(lat) and math.isfinite(lng) and math.isfinite(radius_km)):
        raise ValueError(
            f"bounding_box needs finite numbers, got lat={lat}, lng={lng}, radius_km={radius_km}"
        )
    if not -90.0 <= lat <= 90.0 or not -180.0 <= lng <= 180.0:
        raise ValueError(f"bounding_box: ({lat}, {lng}) is not a latitude/longitude in degrees")
    if radius_km < 0:
        raise ValueError(f"bounding_box: radius_km must be zero or more, got {radius_km}")

    angular = radius_km / EARTH_RADIUS_KM
    delta_lat = math.degrees(angular) + _MARGIN_DEG
    min_lat, max_lat = lat - delta_lat, lat + delta_lat
    if min_lat <= -90.0 or max_lat >= 90.0 or angular >= math.pi / 2:
        # The circle covers a pole, so it spans every meridian.
        return max(min_lat, -90.0), min(max_lat, 90.0), -180.0, 180.0

    # The meridians tangent to the circle (not lat +- radius, which is too narrow away from the equator).
    delta_lng = (
        math.degrees(math.asin(min(1.0, math.sin(angular) / math.cos(math.radians(lat))))) + _MARGIN_DEG
    )
    min_lng, max_lng = lng - delta_lng, lng + delta_lng
    if min_lng < -180.0 or max_lng > 180.0:
        return min_lat, max_lat, -180.0, 180.0
    return min_lat, max_lat, min_lng, max_lng
