"""ZIP centroids, time zones, distances, bounding boxes and the geocoder factory."""

from __future__ import annotations

import csv
import math
import zoneinfo
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from referral_hub.geo.distance import EARTH_RADIUS_KM, bounding_box, great_circle_km
from referral_hub.geo.geocoder import GeopyGeocoder, ZipCentroidGeocoder, build_geocoder
from referral_hub.geo.timezones import _STATE_ZONES, state_timezone, timezone_for
from referral_hub.geo.zip_centroids import normalize_zip, zip_centroid

BALTIMORE = (39.2904, -76.6122)
CHICAGO = (41.8781, -87.6298)


# ZIP centroids


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("21215", "21215"),
        ("21215-1234", "21215"),
        (" 21215 ", "21215"),
        ("212151234", "21215"),
        ("00601", "00601"),
        ("2121", None),
        ("ABCDE", None),
        ("21215-12", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_zip(text: str | None, expected: str | None) -> None:
    assert normalize_zip(text) == expected


def test_zip_centroid_places_a_zip_at_its_area() -> None:
    lat, lng = zip_centroid("21215-4321") or (0.0, 0.0)
    # 21215 is north-west Baltimore: within 10 km of downtown.
    assert great_circle_km(lat, lng, *BALTIMORE) < 10
    assert zip_centroid("00601") == (18.180555, -66.749961)  # leading zero kept: Adjuntas, Puerto Rico
    assert zip_centroid("00000") is None
    assert zip_centroid("not a zip") is None


def test_packaged_centroids_match_the_census_file(shared_data: Path) -> None:
    with (shared_data / "geo" / "us_zcta_centroids_2010.csv").open(newline="") as source:
        rows = list(csv.DictReader(source))
    assert len(rows) == 33120
    for row in rows[::97]:
        assert zip_centroid(row["zip"]) == (float(row["lat"]), float(row["lng"])), row["zip"]


# Time zones


@pytest.mark.parametrize(
    ("lat", "lng", "zone"),
    [
        (*BALTIMORE, "America/New_York"),
        (*CHICAGO, "America/Chicago"),
        (33.4484, -112.0740, "America/Phoenix"),
        (21.3069, -157.8583, "Pacific/Honolulu"),
        (18.4655, -66.1057, "America/Puerto_Rico"),
        (43.6150, -116.2023, "America/Boise"),
        (39.7684, -86.1581, "America/Indiana/Indianapolis"),
    ],
)
def test_timezone_from_coordinates(lat: float, lng: float, zone: str) -> None:
    assert timezone_for(lat, lng) == zone


def test_coordinates_win_over_the_state() -> None:
    # El Paso is in Texas but on Mountain time; the state table would say Chicago.
    assert timezone_for(31.7619, -106.4850, "TX") == "America/Denver"


def test_timezone_falls_back_to_the_state() -> None:
    assert timezone_for(None, None, "MD") == "America/New_York"
    assert timezone_for(None, None, "Illinois") == "America/Chicago"
    assert timezone_for(None, None, " az ") == "America/Phoenix"
    assert timezone_for(None, None, "D.C.") == "America/New_York"
    assert timezone_for(None, None, "Puerto Rico") == "America/Puerto_Rico"
    # A point at sea is a bad geocode, not a nautical zone.
    assert timezone_for(38.0, -70.0, "HI") == "Pacific/Honolulu"
    assert timezone_for(0.0, 0.0, None) is None
    assert timezone_for(float("nan"), -76.6, "IL") == "America/Chicago"
    assert timezone_for(95.0, -76.6, "IL") == "America/Chicago"


def test_timezone_never_guesses() -> None:
    assert timezone_for(None, None) is None
    assert timezone_for(None, None, "Ontario") is None
    assert timezone_for(None, None, "FM") is None  # Micronesia spans two zones
    assert state_timezone("") is None


def test_state_table_covers_every_state_with_real_zones() -> None:
    states = {
        "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY",
        "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND",
        "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC",
    }  # fmt: skip
    assert states <= set(_STATE_ZONES)
    available = zoneinfo.available_timezones()
    for code, (name, zone) in _STATE_ZONES.items():
        assert zone in available, code
        assert state_timezone(code) == zone
        assert state_timezone(name.upper()) == zone


# Distances and bounding boxes


def test_great_circle_known_distances() -> None:
    assert great_circle_km(*BALTIMORE, *BALTIMORE) == 0.0
    # 973.06 km is what geopy's great_circle gives too.
    assert great_circle_km(*BALTIMORE, *CHICAGO) == pytest.approx(973.06, abs=0.05)
    assert great_circle_km(*CHICAGO, *BALTIMORE) == great_circle_km(*BALTIMORE, *CHICAGO)
    assert great_circle_km(0, 0, 0, 180) == pytest.approx(math.pi * EARTH_RADIUS_KM)
    assert great_circle_km(0, 179.5, 0, -179.5) == pytest.approx(111.2, abs=0.1)


def test_bounding_box_is_tight_away_from_poles() -> None:
    min_lat, max_lat, min_lng, max_lng = bounding_box(*BALTIMORE, 10)
    assert max_lat - min_lat == pytest.approx(0.18, abs=0.001)
    # A degree of longitude is shorter at 39 N, so the box is wider in longitude than in latitude.
    assert max_lng - min_lng == pytest.approx(0.232, abs=0.001)


def test_bounding_box_at_the_pole_and_the_antimeridian() -> None:
    assert bounding_box(89.95, 10.0, 20)[1:] == (90.0, -180.0, 180.0)
    min_lat, max_lat, min_lng, max_lng = bounding_box(0.0, 179.9, 50)
    assert (min_lng, max_lng) == (-180.0, 180.0)
    assert max_lat - min_lat < 1
    assert bounding_box(*BALTIMORE, 30000) == (-90.0, 90.0, -180.0, 180.0)


@pytest.mark.parametrize(
    "args", [(91.0, 0.0, 1.0), (0.0, 181.0, 1.0), (0.0, 0.0, -1.0), (math.nan, 0.0, 1.0)]
)
def test_bounding_box_rejects_bad_input(args: tuple[float, float, float]) -> None:
    with pytest.raises(ValueError, match="bounding_box"):
        bounding_box(*args)


def _destination(lat: float, lng: float, bearing_deg: float, distance_km: float) -> tuple[float, float]:
    phi, lam, theta = math.radians(lat), math.radians(lng), math.radians(bearing_deg)
    delta = distance_km / EARTH_RADIUS_KM
    phi2 = math.asin(math.sin(phi) * math.cos(delta) + math.cos(phi) * math.sin(delta) * math.cos(theta))
    lam2 = lam + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi), math.cos(delta) - math.sin(phi) * math.sin(phi2)
    )
    return math.degrees(phi2), (math.degrees(lam2) + 540.0) % 360.0 - 180.0


@pytest.mark.parametrize(
    ("lat", "radius"), [(0.0, 5.0), (39.3, 10.0), (60.0, 1000.0), (-75.0, 800.0), (84.0, 500.0)]
)
def test_the_whole_circle_is_in_the_box(lat: float, radius: float) -> None:
    min_lat, max_lat, min_lng, max_lng = bounding_box(lat, 20.0, radius)
    for tenth in range(3600):
        point_lat, point_lng = _destination(lat, 20.0, tenth / 10, radius)
        assert min_lat <= point_lat <= max_lat, tenth
        assert min_lng <= point_lng <= max_lng, tenth


latitudes = st.floats(min_value=-90, max_value=90)
longitudes = st.floats(min_value=-180, max_value=180)
radii = st.floats(min_value=0, max_value=21000)


@given(
    lat=latitudes,
    lng=longitudes,
    radius=radii,
    bearing=st.floats(min_value=0, max_value=360),
    # Points on the circle itself are where a box that is too narrow shows.
    fraction=st.one_of(
        st.just(1.0), st.floats(min_value=0.999, max_value=1), st.floats(min_value=0, max_value=1)
    ),
)
def test_every_point_within_the_radius_is_in_the_box(
    lat: float, lng: float, radius: float, bearing: float, fraction: float
) -> None:
    point_lat, point_lng = _destination(lat, lng, bearing, radius * fraction)
    assume(great_circle_km(lat, lng, point_lat, point_lng) <= radius)
    min_lat, max_lat, min_lng, max_lng = bounding_box(lat, lng, radius)
    assert min_lat <= point_lat <= max_lat
    assert min_lng <= point_lng <= max_lng


@given(lat=latitudes, lng=longitudes, radius=radii, point_lat=latitudes, point_lng=longitudes)
def test_random_points_within_the_radius_are_in_the_box(
    lat: float, lng: float, radius: float, point_lat: float, point_lng: float
) -> None:
    assume(great_circle_km(lat, lng, point_lat, point_lng) <= radius)
    min_lat, max_lat, min_lng, max_lng = bounding_box(lat, lng, radius)
    assert min_lat <= point_lat <= max_lat
    assert min_lng <= point_lng <= max_lng


# Geocoders without a network


def test_zip_centroid_geocoder() -> None:
    geocoder = ZipCentroidGeocoder()
    result = geocoder.geocode(
        address_1="1 Main St", city="Baltimore", state="MD", postal_code="21215", country="US"
    )
    assert result is not None
    assert (result.latitude, result.longitude) == zip_centroid("21215")
    assert result.approximate
    assert result.method == "zip-centroid"
    no_zip = geocoder.geocode(
        address_1="1 Main St", city="Baltimore", state="MD", postal_code=None, country=None
    )
    assert no_zip is None
    # A Canadian postal code is not a US ZCTA even when its digits would be.
    abroad = geocoder.geocode(address_1=None, city=None, state=None, postal_code="21215", country="CA")
    assert abroad is None


@pytest.mark.parametrize("spec", [None, "", "  ", "zip", "ZIP"])
def test_build_geocoder_offline_by_default(spec: str | None) -> None:
    assert isinstance(build_geocoder(spec), ZipCentroidGeocoder)


@pytest.mark.parametrize(
    ("spec", "method"),
    [
        ("nominatim", "nominatim"),
        ("nominatim:https://geo.example.org:8443/nominatim", "nominatim"),
        ("pelias:http://127.0.0.1:4000?min_delay=0&timeout=5", "pelias"),
        ("pelias:https://api.geocode.earth?api_key=secret", "pelias"),
    ],
)
def test_build_geocoder_services(spec: str, method: str) -> None:
    geocoder = build_geocoder(spec)
    assert isinstance(geocoder, GeopyGeocoder)
    assert geocoder.method == method


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("google", "unknown geocoder 'google'"),
        ("pelias", "pelias needs a base URL"),
        ("nominatim:ftp://geo.example.org", "not an http"),
        ("nominatim:https://", "not an http"),
        ("nominatim:https://geo.example.org?delay=1", "unknown parameter 'delay'"),
        ("nominatim:https://geo.example.org?min_delay=soon", "min_delay must be a positive number"),
        ("nominatim:https://geo.example.org?api_key=x", "unknown parameter 'api_key'"),
        ("pelias:https://geo.example.org?timeout=0", "timeout must be a positive number"),
    ],
)
def test_build_geocoder_rejects_bad_specs(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match="REFERRAL_HUB_GEOCODER") as error:
        build_geocoder(spec)
    assert message in str(error.value)


def test_build_geocoder_errors_hide_the_api_key() -> None:
    with pytest.raises(ValueError, match="REFERRAL_HUB_GEOCODER") as error:
        build_geocoder("pelias:https://geo.example.org?api_key=s3cret&retries=2")
    assert "s3cret" not in str(error.value)
