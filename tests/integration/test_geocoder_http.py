"""GeopyGeocoder against a real Nominatim-like and Pelias-like HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from geopy.geocoders import Nominatim

from referral_hub.geo.geocoder import GeocodeResult, GeopyGeocoder, build_geocoder
from referral_hub.geo.zip_centroids import zip_centroid

# street (lower case) -> the Nominatim /search answer for it
KNOWN_STREETS = {
    "1001 e fayette st": {"lat": "39.2912", "lon": "-76.6037", "place_rank": 30},
    "fayette street": {"lat": "39.2905", "lon": "-76.6100", "place_rank": 26},
    "somewhere vague": {"lat": "39.3000", "lon": "-76.6000", "place_rank": 16},
}
FAILING_STREET = "500 server error st"


class FakeGeocodingService(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeGeocodingService

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        params = {name: values[-1] for name, values in parse_qs(url.query).items()}
        with self.server.lock:
            self.server.requests.append((url.path, params))
        if url.path.endswith("/search") and not url.path.endswith("/v1/search"):
            self._nominatim(params)
        elif url.path.endswith("/v1/search"):
            self._pelias(params)
        else:
            self._send(404, {"error": "not found"})

    def _nominatim(self, params: dict[str, str]) -> None:
        if params.get("format") != "json":
            self._send(400, {"error": "format=json expected"})
            return
        street = params.get("street", "").casefold()
        if street == FAILING_STREET:
            self._send(500, {"error": "internal"})
            return
        hit = KNOWN_STREETS.get(street)
        answer = [{"display_name": street, "importance": 0.5, **hit}] if hit else []
        self._send(200, answer)

    def _pelias(self, params: dict[str, str]) -> None:
        if params.get("api_key") != "test-key":
            self._send(401, {"error": "bad key"})
            return
        if params.get("text", "").startswith("Malformed"):
            self._send(200, {"type": "FeatureCollection", "features": [{"type": "Feature"}]})
            return
        feature = {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [-87.6298, 41.8781]},
            "properties": {"name": "121 N LaSalle St", "label": params.get("text", ""), "accuracy": "point"},
        }
        self._send(200, {"type": "FeatureCollection", "features": [feature]})

    def _send(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def service() -> Iterator[FakeGeocodingService]:
    server = FakeGeocodingService()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _nominatim(service: FakeGeocodingService, **options: Any) -> GeopyGeocoder:
    domain = service.base_url.removeprefix("http://")
    options = {"min_delay_s": 0.0, "retry_wait_s": 0.0, **options}
    return GeopyGeocoder(
        Nominatim(domain=domain, scheme="http", user_agent="referral-hub-tests", timeout=5),
        method="nominatim",
        **options,
    )


def _geocode(
    geocoder: GeopyGeocoder, street: str | None, postal_code: str | None = "21202"
) -> GeocodeResult | None:
    return geocoder.geocode(
        address_1=street, city="Baltimore", state="MD", postal_code=postal_code, country="US"
    )


def test_found_addresses_come_from_the_service_and_are_cached(service: FakeGeocodingService) -> None:
    geocoder = _nominatim(service)
    first = _geocode(geocoder, "1001 E Fayette St")
    assert first == GeocodeResult(latitude=39.2912, longitude=-76.6037, approximate=False, method="nominatim")
    path, params = service.requests[0]
    assert path == "/search"
    assert params["street"] == "1001 E Fayette St"
    assert params["postalcode"] == "21202"
    # The same address spelt with other case and spacing is the same cache entry.
    again = geocoder.geocode(
        address_1=" 1001  e fayette st", city="BALTIMORE", state="md", postal_code="21202-3456", country="us"
    )
    assert again == first
    assert len(service.requests) == 1


def test_coarse_answers_are_marked_approximate(service: FakeGeocodingService) -> None:
    geocoder = _nominatim(service)
    street = _geocode(geocoder, "Fayette Street")
    vague = _geocode(geocoder, "somewhere vague")
    assert street is not None
    assert not street.approximate
    assert vague is not None
    assert vague.approximate


def test_not_found_falls_back_to_the_zip_centroid_and_is_cached(service: FakeGeocodingService) -> None:
    geocoder = _nominatim(service)
    result = _geocode(geocoder, "12 Nowhere Lane")
    centroid = zip_centroid("21202")
    assert centroid is not None
    assert result == GeocodeResult(
        latitude=centroid[0], longitude=centroid[1], approximate=True, method="zip-centroid"
    )
    assert _geocode(geocoder, "12 Nowhere Lane") == result
    assert len(service.requests) == 1
    # Nothing found and no usable ZIP: nothing at all, never a guess.
    assert _geocode(geocoder, "12 Nowhere Lane", postal_code=None) is None


def test_service_failure_falls_back_logs_no_address_and_is_not_cached(
    service: FakeGeocodingService, caplog: pytest.LogCaptureFixture
) -> None:
    geocoder = _nominatim(service, max_retries=1)
    with caplog.at_level(logging.WARNING, logger="referral_hub"):
        result = _geocode(geocoder, FAILING_STREET.title())
    assert result is not None
    assert result.method == "zip-centroid"
    assert len(service.requests) == 2  # one retry
    ours = [record for record in caplog.records if record.name.startswith("referral_hub")]
    assert ours
    for record in ours:
        logged = record.getMessage() + json.dumps(vars(record), default=str)
        assert "server error" not in logged.casefold()
        assert "21202" not in logged
    assert ours[0].__dict__["error_type"] == "GeocoderServiceError"
    # A failure is not an answer: the next call asks the service again.
    _geocode(geocoder, FAILING_STREET.title())
    assert len(service.requests) == 4


def test_repeated_failures_pause_the_service(service: FakeGeocodingService) -> None:
    now = [1000.0]
    geocoder = _nominatim(service, max_retries=0, failure_threshold=2, cooldown_s=60.0, clock=lambda: now[0])
    for _ in range(2):
        assert _geocode(geocoder, FAILING_STREET) is not None
    assert len(service.requests) == 2
    paused = _geocode(geocoder, "1001 E Fayette St")
    assert paused is not None
    assert paused.method == "zip-centroid"
    assert len(service.requests) == 2
    now[0] += 61.0
    resumed = _geocode(geocoder, "1001 E Fayette St")
    assert resumed is not None
    assert resumed.method == "nominatim"
    assert len(service.requests) == 3


def test_a_zip_alone_never_calls_the_service(service: FakeGeocodingService) -> None:
    geocoder = _nominatim(service)
    result = geocoder.geocode(address_1=None, city=None, state="MD", postal_code="21215", country="US")
    assert result is not None
    assert result.method == "zip-centroid"
    assert service.requests == []


def test_requests_are_spaced_by_the_minimum_delay(service: FakeGeocodingService) -> None:
    geocoder = _nominatim(service, min_delay_s=0.3)
    started = time.monotonic()
    _geocode(geocoder, "1001 E Fayette St")
    _geocode(geocoder, "Fayette Street")
    _geocode(geocoder, "somewhere vague")
    assert time.monotonic() - started >= 0.6
    assert len(service.requests) == 3


def test_built_from_the_setting_with_a_path_prefix(service: FakeGeocodingService) -> None:
    geocoder = build_geocoder(f"nominatim:{service.base_url}/nominatim?min_delay=0&timeout=5")
    result = geocoder.geocode(
        address_1="1001 E Fayette St", city="Baltimore", state="MD", postal_code="21202", country="US"
    )
    assert result is not None
    assert result.method == "nominatim"
    assert service.requests[0][0] == "/nominatim/search"


def test_pelias_from_the_setting(service: FakeGeocodingService) -> None:
    geocoder = build_geocoder(f"pelias:{service.base_url}?api_key=test-key&min_delay=0")
    result = geocoder.geocode(
        address_1="121 N LaSalle St", city="Chicago", state="IL", postal_code="60602", country="US"
    )
    assert result == GeocodeResult(latitude=41.8781, longitude=-87.6298, approximate=False, method="pelias")
    path, params = service.requests[0]
    assert path == "/v1/search"
    assert params["text"] == "121 N LaSalle St, Chicago, IL 60602, US"


def test_a_malformed_or_refused_answer_falls_back(service: FakeGeocodingService) -> None:
    geocoder = build_geocoder(f"pelias:{service.base_url}?api_key=test-key&min_delay=0")
    malformed = geocoder.geocode(
        address_1="Malformed Answer St", city="Chicago", state="IL", postal_code="60602", country="US"
    )
    assert malformed is not None
    assert malformed.method == "zip-centroid"
    wrong_key = build_geocoder(f"pelias:{service.base_url}?api_key=other&min_delay=0")
    refused = wrong_key.geocode(
        address_1="1 Main St", city="Chicago", state="IL", postal_code="60602", country="US"
    )
    assert refused is not None
    assert refused.method == "zip-centroid"
    # An authentication failure is not retried.
    assert len(service.requests) == 2
