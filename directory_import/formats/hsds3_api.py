"""HSDS 3 API reader: pages through a live HSDS 3.x API and flattens what it returns."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import msgspec

from directory_import.formats.hsds3_json import NESTED, Flattener
from directory_import.records import ObjectKind, RejectedRecord, SourceRecord, SourceUnreadable

__all__ = ["Hsds3ApiReader"]

_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_PAGE = list[msgspec.Raw] | dict[str, msgspec.Raw]
_decode_any = msgspec.json.Decoder()
_decode_page = msgspec.json.Decoder(_PAGE)
_decode_items = msgspec.json.Decoder(list[msgspec.Raw])


class _Endpoint(msgspec.Struct, frozen=True):
    path: str
    kind: ObjectKind
    params: dict[str, str]
    required: bool = False
    # Keys not to descend into: an organization's `services` hold only ids in API answers (OpenAPI
    # /organizations/{id}), and a bare service would shadow the full one read from /services.
    skip: frozenset[str] = frozenset()


# Parents first: taxonomies before the terms that point at them, organizations before services.
# Lists return one-to-one fields only unless `full=true` (OpenAPI components/parameters/full).
ENDPOINTS: tuple[_Endpoint, ...] = (
    _Endpoint("/taxonomies", "taxonomy", {}),
    _Endpoint("/taxonomy_terms", "taxonomy_term", {}),
    _Endpoint("/organizations", "organization", {"full": "true"}, skip=frozenset({"services"})),
    _Endpoint("/services", "service", {"full": "true"}, required=True),
    _Endpoint("/service_at_locations", "service_at_location", {"full": "true"}),
)

# A list item carrying none of these was not nested: the API ignored `full=true`.
_FULL_KEYS: dict[str, frozenset[str]] = {
    "service": frozenset(NESTED["service"]) - {"organization", "program"},
    "service_at_location": frozenset(NESTED["service_at_location"]) - {"service", "location"},
}


class _NotFound(Exception):
    pass


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _scalar(raw: msgspec.Raw | None) -> Any:
    return None if raw is None else _decode_any.decode(raw)


class Hsds3ApiReader:
    """A live HSDS 3 API: `GET {base}/`, then every list endpoint page by page."""

    format_name = "hsds3-api"

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 30.0,
        per_page: int = 100,
        max_response_bytes: int = 64 * 1024**2,
        retries: int = 3,
        backoff: float = 0.5,
        max_retry_wait: float = 60.0,
    ) -> None:
        parts = urlsplit(base_url.strip())
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise SourceUnreadable(f"{base_url!r} is not an http(s):// URL")
        self.base_url = base_url.strip().rstrip("/")
        self.timeout = timeout
        self.per_page = per_page
        self.max_response_bytes = max_response_bytes
        self.retries = retries
        self.backoff = backoff
        self.max_retry_wait = max_retry_wait
        self.info: dict[str, Any] | None = None

    def _client(self) -> httpx.Client:
        return httpx.Client(
            timeout=httpx.Timeout(self.timeout),
            follow_redirects=True,
            headers={"Accept": "application/json", "User-Agent": "referral-hub-directory-import"},
        )

    def probe(self) -> dict[str, Any]:
        """`GET {base}/`: the API description; SourceUnreadable when the URL does not answer like HSDS 3."""
        if self.info is None:
            with self._client() as client:
                self.info = self._probe(client)
        return self.info

    def _probe(self, client: httpx.Client) -> dict[str, Any]:
        url = f"{self.base_url}/"
        expected = "expected the HSDS API description, a JSON object with `version` and `openapi_url`"
        try:
            body = self._get(client, "/", {}, first=True)
        except _NotFound:
            raise SourceUnreadable(
                f"{self.base_url} does not answer like an HSDS 3 API: GET {url} returned 404 ({expected})"
            ) from None
        try:
            info = _decode_any.decode(body)
        except msgspec.DecodeError:
            snippet = body[:60].decode("utf-8", "replace").strip()
            raise SourceUnreadable(
                f"{self.base_url} does not answer like an HSDS 3 API: GET {url} returned something that "
                f"is not JSON ({snippet!r}...; {expected})"
            ) from None
        if not isinstance(info, dict) or not ({"version", "openapi_url"} & info.keys()):
            raise SourceUnreadable(
                f"{self.base_url} does not answer like an HSDS 3 API: GET {url} ({expected})"
            )
        version = str(info.get("version") or "").strip()
        if version and not version.lstrip("v").startswith("3"):
            raise SourceUnreadable(
                f"{self.base_url} is an HSDS {version} API; this importer reads HSDS 3 APIs "
                "(export HSDS 1.x/2.x data as CSV and use --format hsds-legacy-csv)"
            )
        return info

    def records(self) -> Iterator[SourceRecord | RejectedRecord]:
        """Every endpoint's objects, flattened, each (kind, id) once."""
        flattener = Flattener()
        with self._client() as client:
            if self.info is None:
                self.info = self._probe(client)
            for endpoint in ENDPOINTS:
                yield from self._endpoint(client, flattener, endpoint)

    def _endpoint(
        self, client: httpx.Client, flattener: Flattener, endpoint: _Endpoint
    ) -> Iterator[SourceRecord | RejectedRecord]:
        full_keys = _FULL_KEYS.get(endpoint.kind)
        for page, items in self._pages(client, endpoint):
            docs = [_decode_any.decode(raw) for raw in items]
            not_full = full_keys is not None and not any(
                isinstance(doc, dict) and full_keys & doc.keys() for doc in docs
            )
            for number, listed in enumerate(docs, start=1):
                doc, origin = listed, f"GET {endpoint.path} page {page} item {number}"
                known = isinstance(listed, dict) and flattener.seen(endpoint.kind, listed.get("id"))
                if not_full and isinstance(listed, dict) and not known:
                    doc, origin = self._one(client, endpoint, listed, origin)
                yield from flattener.document(doc, origin, kind=endpoint.kind, skip=endpoint.skip)

    def _one(
        self, client: httpx.Client, endpoint: _Endpoint, listed: dict[str, Any], origin: str
    ) -> tuple[Any, str]:
        """The full object behind a list item (`GET /services/{id}`), or the item when there is none."""
        source_id = listed.get("id")
        if not isinstance(source_id, str | int) or isinstance(source_id, bool):
            return listed, origin
        path = f"{endpoint.path}/{quote(str(source_id), safe='')}"
        try:
            body = self._get(client, path, {})
        except _NotFound:
            return listed, origin
        try:
            return _decode_any.decode(body), f"GET {path}"
        except msgspec.DecodeError as exc:
            raise SourceUnreadable(f"GET {self.base_url}{path} did not return JSON: {exc}") from exc

    def _pages(self, client: httpx.Client, endpoint: _Endpoint) -> Iterator[tuple[int, list[msgspec.Raw]]]:
        page = 1
        previous_first: bytes | None = None
        while True:
            params = {**endpoint.params, "page": str(page), "per_page": str(self.per_page)}
            url = f"{self.base_url}{endpoint.path}"
            try:
                body = self._get(client, endpoint.path, params)
            except _NotFound:
                if page == 1 and not endpoint.required:
                    return
                raise SourceUnreadable(
                    f"GET {url}?page={page} returned 404: an HSDS 3 API serves {endpoint.path}"
                ) from None
            try:
                top = _decode_page.decode(body)
                if isinstance(top, list):
                    # A bare array is every item at once: no envelope, no further pages.
                    yield page, top
                    return
                contents = top.get("contents")
                if contents is None:
                    raise SourceUnreadable(
                        f"GET {url}?page={page} did not return an HSDS page (no `contents`; "
                        f"found keys: {', '.join(sorted(top)[:10])})"
                    )
                items = _decode_items.decode(contents)
                total_pages = _scalar(top.get("total_pages"))
                last_page = _scalar(top.get("last_page"))
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                raise SourceUnreadable(f"GET {url}?page={page} did not return an HSDS page: {exc}") from exc
            first = bytes(items[0]) if items else None
            if first is not None and first == previous_first:
                raise SourceUnreadable(
                    f"GET {url} returns the same items for page {page - 1} and page {page}: "
                    "the API seems to ignore the `page` parameter"
                )
            previous_first = first
            yield page, items
            if not items or last_page is True:
                return
            if isinstance(total_pages, int) and not isinstance(total_pages, bool):
                if page >= total_pages:
                    return
            elif last_page is None and len(items) < self.per_page:
                return
            page += 1

    def _get(self, client: httpx.Client, path: str, params: dict[str, str], *, first: bool = False) -> bytes:
        """The body of a 200 answer, retrying 429/5xx (and, after the first request, network errors)."""
        url = f"{self.base_url}{path}"
        shown = url + ("?" + "&".join(f"{key}={value}" for key, value in params.items()) if params else "")
        attempt = 0
        while True:
            try:
                status, headers, body = self._fetch(client, url, params)
            except httpx.TransportError as exc:
                # A refused connection on the first request means a wrong URL: say so at once.
                if first or attempt >= self.retries:
                    raise SourceUnreadable(f"{shown} did not answer: {_network_reason(exc)}") from exc
                wait = self.backoff * 2**attempt
            else:
                if status == 200:
                    return body
                if status == 404:
                    raise _NotFound
                if status in (401, 403):
                    raise SourceUnreadable(f"{shown} refused access ({status}): the API needs credentials")
                if status not in _RETRY_STATUSES or attempt >= self.retries:
                    snippet = body[:200].decode("utf-8", "replace").strip()
                    raise SourceUnreadable(f"{shown} answered {status}" + (f": {snippet}" if snippet else ""))
                asked = _retry_after(headers.get("retry-after"))
                wait = asked if asked is not None else self.backoff * 2**attempt
                if wait > self.max_retry_wait:
                    raise SourceUnreadable(
                        f"{shown} answered {status} and asks to retry after {wait:.0f} s "
                        f"(longer than {self.max_retry_wait:.0f} s): try again later"
                    )
            attempt += 1
            time.sleep(wait)

    def _fetch(
        self, client: httpx.Client, url: str, params: dict[str, str]
    ) -> tuple[int, httpx.Headers, bytes]:
        with client.stream("GET", url, params=params) as response:
            if response.status_code != 200:
                # Only the start of an error body is shown to the user.
                head = b""
                for chunk in response.iter_bytes():
                    head += chunk
                    if len(head) >= 2048:
                        break
                return response.status_code, response.headers, head
            declared = response.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > self.max_response_bytes:
                raise SourceUnreadable(self._too_big(url))
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.max_response_bytes:
                    raise SourceUnreadable(self._too_big(url))
                chunks.append(chunk)
            return response.status_code, response.headers, b"".join(chunks)

    def _too_big(self, url: str) -> str:
        return (
            f"{url} answered more than {self.max_response_bytes:,} bytes in one response "
            f"(ask for smaller pages: per_page is {self.per_page})"
        )


def _network_reason(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.ConnectTimeout | httpx.ReadTimeout | httpx.WriteTimeout | httpx.PoolTimeout):
        return "it timed out"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect ({exc})"
    return str(exc) or type(exc).__name__
