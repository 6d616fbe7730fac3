"""Geocoders behind one protocol: the offline ZIP centroid, and Nominatim or Pelias through geopy."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

import msgspec
from geopy.exc import (
    GeocoderAuthenticationFailure,
    GeocoderInsufficientPrivileges,
    GeocoderQueryError,
    GeocoderRateLimited,
    GeopyError,
)
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import Nominatim, Pelias

from referral_hub.geo.zip_centroids import normalize_zip, zip_centroid

logger = logging.getLogger(__name__)

USER_AGENT = "referral-hub"
# Nominatim's usage policy: at most one request per second on the public instance.
NOMINATIM_MIN_DELAY_S = 1.0
PUBLIC_NOMINATIM = "nominatim.openstreetmap.org"
SPEC_FORMS = (
    '"zip" (or empty), "nominatim", "nominatim:https://host[:port][/path]" '
    'or "pelias:https://host[:port][/path][?api_key=KEY]"; '
    "optional query parameters: min_delay=SECONDS, timeout=SECONDS"
)
_COUNTRIES_WITH_ZCTAS = frozenset({"us", "usa", "united states", "united states of america"})
# Errors that say the request itself is wrong: retrying cannot help.
_NO_RETRY = (GeocoderQueryError, GeocoderAuthenticationFailure, GeocoderInsufficientPrivileges)
# What geopy's parsers raise on an answer that is not the shape they expect (a feature without a name...).
_MALFORMED = (KeyError, IndexError, TypeError, ValueError, AttributeError)


class GeocodeResult(msgspec.Struct, frozen=True):
    latitude: float
    longitude: float
    approximate: bool
    method: str


class Geocoder(Protocol):
    def geocode(
        self,
        *,
        address_1: str | None,
        city: str | None,
        state: str | None,
        postal_code: str | None,
        country: str | None,
    ) -> GeocodeResult | None: ...


def _in_zcta_country(country: str | None) -> bool:
    return not country or country.strip().casefold() in _COUNTRIES_WITH_ZCTAS


class ZipCentroidGeocoder:
    """Places an address at its ZIP's centroid: offline, instant, approximate (a ZCTA is a few km across)."""

    def geocode(
        self,
        *,
        address_1: str | None,
        city: str | None,
        state: str | None,
        postal_code: str | None,
        country: str | None,
    ) -> GeocodeResult | None:
        if not _in_zcta_country(country):
            return None
        point = zip_centroid(postal_code)
        if point is None:
            return None
        return GeocodeResult(latitude=point[0], longitude=point[1], approximate=True, method="zip-centroid")


def _clean(value: str | None) -> str:
    return " ".join(value.split()) if value else ""


class GeopyGeocoder:
    """A geopy geocoder, rate limited, with an LRU cache, falling back to the ZIP centroid.

    Thread-safe: the importer calls it from worker threads. After `failure_threshold` consecutive service
    failures it stops calling the service for `cooldown_s` seconds, so that an outage turns an import into
    ZIP-centroid geocoding instead of one timeout per row.
    """

    def __init__(
        self,
        geocoder: Nominatim | Pelias,
        *,
        method: str,
        min_delay_s: float = NOMINATIM_MIN_DELAY_S,
        cache_size: int = 4096,
        max_retries: int = 1,
        retry_wait_s: float = 2.0,
        failure_threshold: int = 5,
        cooldown_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if min_delay_s < 0 or cache_size < 1 or max_retries < 0 or retry_wait_s < 0:
            raise ValueError("GeopyGeocoder: delays and retries must be >= 0 and cache_size >= 1")
        self._geocoder = geocoder
        self.method = method
        # geopy's own retries log the call arguments (the address); ours log nothing but the error type.
        self._limited = RateLimiter(
            geocoder.geocode, min_delay_seconds=min_delay_s, max_retries=0, swallow_exceptions=False
        )
        self._cache: OrderedDict[tuple[str, ...], GeocodeResult | None] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._max_retries = max_retries
        self._retry_wait_s = retry_wait_s
        self._failure_threshold = failure_threshold
        self._cooldown_s = cooldown_s
        self._clock = clock
        self._consecutive_failures = 0
        self._paused_until = 0.0

    def geocode(
        self,
        *,
        address_1: str | None,
        city: str | None,
        state: str | None,
        postal_code: str | None,
        country: str | None,
    ) -> GeocodeResult | None:
        fields = (
            _clean(address_1),
            _clean(city),
            _clean(state),
            normalize_zip(postal_code) or "",
            _clean(country),
        )
        key = tuple(part.casefold() for part in fields)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        found, definitive = self._lookup(*fields)
        result = found or ZipCentroidGeocoder().geocode(
            address_1=address_1, city=city, state=state, postal_code=postal_code, country=country
        )
        if definitive:
            with self._lock:
                self._cache[key] = result
                self._cache.move_to_end(key)
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return result

    def _lookup(
        self, street: str, city: str, state: str, postal_code: str, country: str
    ) -> tuple[GeocodeResult | None, bool]:
        """The service's answer, and whether it is worth caching (a failure is not)."""
        if not street and not city:
            # A ZIP alone: the service would answer the same postcode centroid we hold offline.
            return None, True
        if self._clock() < self._paused_until:
            return None, False
        query = self._query(street, city, state, postal_code, country)
        for attempt in range(self._max_retries + 1):
            try:
                location = self._limited(query)
            except (*_NO_RETRY, *_MALFORMED) as exc:
                self._record_failure(exc)
                return None, False
            except GeopyError as exc:
                if attempt == self._max_retries:
                    self._record_failure(exc)
                    return None, False
                wait = self._retry_wait_s
                if isinstance(exc, GeocoderRateLimited) and exc.retry_after:
                    wait = min(float(exc.retry_after), 30.0)
                time.sleep(wait)
            else:
                with self._lock:
                    self._consecutive_failures = 0
                try:
                    return (self._result(location) if location is not None else None), True
                except _MALFORMED as exc:
                    self._record_failure(exc)
                    return None, False
        return None, False  # unreachable: the loop runs at least once and every path returns

    def _query(self, street: str, city: str, state: str, postal_code: str, country: str) -> Any:
        if isinstance(self._geocoder, Nominatim):
            # Nominatim's structured search: faster for the server and no guessing which part is the city.
            parts = {
                "street": street,
                "city": city,
                "state": state,
                "postalcode": postal_code,
                "country": country,
            }
            return {name: value for name, value in parts.items() if value}
        return ", ".join(part for part in (street, city, f"{state} {postal_code}".strip(), country) if part)

    def _result(self, location: Any) -> GeocodeResult:
        raw: dict[str, Any] = location.raw if isinstance(location.raw, dict) else {}
        if isinstance(self._geocoder, Nominatim):
            # place_rank 26+ is a street or an address; below that the answer is a town or a postcode area.
            rank = raw.get("place_rank")
            approximate = isinstance(rank, int) and rank < 26
        else:
            approximate = raw.get("properties", {}).get("accuracy") != "point"
        return GeocodeResult(
            latitude=float(location.latitude),
            longitude=float(location.longitude),
            approximate=approximate,
            method=self.method,
        )

    def _record_failure(self, exc: Exception) -> None:
        logger.warning(
            "geocoding service failed; using the ZIP centroid",
            extra={"geocoder": self.method, "error_type": type(exc).__name__},
        )
        with self._lock:
            self._consecutive_failures += 1
            pause = self._consecutive_failures >= self._failure_threshold
            if pause:
                self._paused_until = self._clock() + self._cooldown_s
                self._consecutive_failures = 0
        if pause:
            logger.warning(
                "geocoding service paused after repeated failures",
                extra={"geocoder": self.method, "pause_s": self._cooldown_s},
            )


def build_geocoder(spec: str | None) -> Geocoder:
    """The geocoder the REFERRAL_HUB_GEOCODER setting names; ValueError with the accepted forms otherwise."""
    text = (spec or "").strip()
    shown = re.sub(r"(api_key=)[^&]*", r"\1***", text)
    if text.casefold() in ("", "zip"):
        return ZipCentroidGeocoder()
    kind, _, url = text.partition(":")
    kind = kind.casefold()
    if kind == "nominatim" and not url:
        return GeopyGeocoder(
            Nominatim(domain=PUBLIC_NOMINATIM, scheme="https", user_agent=USER_AGENT, timeout=10),
            method="nominatim",
        )
    if kind not in ("nominatim", "pelias"):
        raise ValueError(f"REFERRAL_HUB_GEOCODER={shown!r}: unknown geocoder {kind!r}; use {SPEC_FORMS}")
    if not url:
        raise ValueError(f"REFERRAL_HUB_GEOCODER={shown!r}: pelias needs a base URL; use {SPEC_FORMS}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"REFERRAL_HUB_GEOCODER={shown!r}: not an http(s) URL with a host; use {SPEC_FORMS}")
    options = _options(shown, parts.query, allow_api_key=kind == "pelias")
    domain = parts.netloc + parts.path.rstrip("/")
    timeout = options.get("timeout", 10.0)
    geocoder: Nominatim | Pelias
    if kind == "nominatim":
        geocoder = Nominatim(domain=domain, scheme=parts.scheme, user_agent=USER_AGENT, timeout=timeout)
    else:
        api_key = parse_qs(parts.query).get("api_key", [None])[0]
        geocoder = Pelias(
            domain, api_key=api_key, scheme=parts.scheme, user_agent=USER_AGENT, timeout=timeout
        )
    return GeopyGeocoder(geocoder, method=kind, min_delay_s=options.get("min_delay", NOMINATIM_MIN_DELAY_S))


def _options(spec: str, query: str, *, allow_api_key: bool) -> dict[str, float]:
    options: dict[str, float] = {}
    for name, values in parse_qs(query, keep_blank_values=True).items():
        if name == "api_key" and allow_api_key:
            continue
        if name not in ("min_delay", "timeout"):
            raise ValueError(f"REFERRAL_HUB_GEOCODER={spec!r}: unknown parameter {name!r}; use {SPEC_FORMS}")
        try:
            value = float(values[-1])
        except ValueError:
            value = -1.0
        if not value >= 0 or (name == "timeout" and value == 0):
            raise ValueError(f"REFERRAL_HUB_GEOCODER={spec!r}: {name} must be a positive number of seconds")
        options[name] = value
    return options
