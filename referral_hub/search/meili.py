"""The Meilisearch search backend: an external index that catches up from the database after each commit."""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import meilisearch
import msgspec
import snowballstemmer  # type: ignore[import-untyped]
from meilisearch.errors import MeilisearchApiError, MeilisearchError
from meilisearch.models.task import TaskInfo, TaskResults
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from referral_hub.geo.distance import EARTH_RADIUS_KM, great_circle_km
from referral_hub.health import ComponentHealth
from referral_hub.search.documents import all_service_ids, documents_for
from referral_hub.search.hits import hit
from referral_hub.search.hours import current_slot
from referral_hub.search.model import BackendResult, Facets, SearchDocument, SearchQuery

T = TypeVar("T")

MINIMUM_VERSION = (1, 21)
BATCH_SIZE = 1000
# Services named in one delete-by-filter: the filter stays a few tens of kB.
FILTER_CHUNK = 500
TASK_TIMEOUT_S = 600.0
# How long a process trusts its list of the time zones in the index (another process may add one).
ZONE_TTL_S = 60.0
# Meilisearch 1.21 measures _geoRadius and _geoPoint on a sphere of 6,371,000 m (its _geoDistance is ours
# times 6371.0 / 6371.0088, measured); the radius it gets is scaled so that its cut-off is our distance.
MEILI_EARTH_RADIUS_KM = 6371.0
# Deep pages and exact totals: Meilisearch stops counting at maxTotalHits (1,000 by default).
MAX_TOTAL_HITS = 1_000_000

# The text a search matches, most important first (the "attribute" ranking rule follows this order).
TEXT_FIELDS = ("service_name", "taxonomy_terms", "categories", "service_description", "organization_name")
# Meilisearch does not stem: the exact pass searches Snowball stems of the text, without typos, so that
# "pantries" finds "pantry" the way the embedded backend's Porter tokenizer does.
EXACT_FIELDS = tuple(f"{field}_stems" for field in TEXT_FIELDS)
# The typo fallback searches the words as written (a typo is an edit of the word, not of its stem) and,
# like the embedded trigram fallback, only names and terms: typos against descriptions match noise.
TYPO_FIELDS = ("service_name", "taxonomy_terms", "categories")
DOCUMENT_FIELDS = list(SearchDocument.__struct_fields__)

_TOKEN = re.compile(r"\w+", re.UNICODE)
_INDEX_UID = re.compile(r"[A-Za-z0-9_-]{1,300}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_stemmers = threading.local()


class MeilisearchBackendError(RuntimeError):
    """Meilisearch refused or failed a request; the message says what was being done and why."""


def _stemmer() -> Any:
    # A Snowball stemmer keeps its word in its own state: one per thread.
    stemmer = getattr(_stemmers, "english", None)
    if stemmer is None:
        stemmer = _stemmers.english = snowballstemmer.stemmer("english")
    return stemmer


@lru_cache(maxsize=100_000)
def stem(token: str) -> str:
    stemmed: str = _stemmer().stemWord(token.casefold())
    return stemmed


def stems(text: str) -> str:
    """The text as its words' stems, one space between them."""
    return " ".join(stem(token) for token in _TOKEN.findall(text))


def quote(value: str) -> str:
    """A string literal of the filter language: backslashes and double quotes escaped."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _one_of(field: str, values: Iterable[str]) -> str:
    return f"{field} IN [{', '.join(quote(v) for v in values)}]"


def index_settings() -> dict[str, Any]:
    """The settings of every index this backend writes; applied before any document is added."""
    return {
        "searchableAttributes": [*EXACT_FIELDS, *TYPO_FIELDS],
        "displayedAttributes": DOCUMENT_FIELDS,
        "filterableAttributes": [
            "network_id",
            "service_id",
            "id",
            "categories",
            "languages",
            "taxonomy_term_ids",
            "accepting_referrals",
            "_geo",
            "time_zone",
            "open_slots",
        ],
        "sortableAttributes": ["_geo", "name_sort", "id"],
        # Relevance first; then the query's sort (distance or name, then id); id settles any remaining tie.
        "rankingRules": ["words", "typo", "attribute", "proximity", "exactness", "sort", "id:asc"],
        "typoTolerance": {
            "enabled": True,
            # "fod" must reach "food" in the fallback; three letters is the shortest word a typo can save.
            "minWordSizeForTypos": {"oneTypo": 3, "twoTypos": 8},
            "disableOnAttributes": list(EXACT_FIELDS),
            "disableOnNumbers": True,
        },
        "faceting": {"maxValuesPerFacet": 1000, "sortFacetValuesBy": {"*": "alpha"}},
        "pagination": {"maxTotalHits": MAX_TOTAL_HITS},
        "facetSearch": False,
    }


def index_document(document: SearchDocument) -> dict[str, Any]:
    """The stored form of a document: its own fields plus stems, a sort key and `_geo`."""
    body: dict[str, Any] = msgspec.to_builtins(document)
    # Meilisearch refuses to search an attribute that no document has ever had, so the searched lists
    # are stored even when empty (to_builtins leaves default values out).
    body["taxonomy_terms"] = document.taxonomy_terms
    body["categories"] = document.categories
    body["name_sort"] = document.service_name.casefold()
    for field in TEXT_FIELDS:
        value: str | list[str] | None = getattr(document, field)
        if isinstance(value, list):
            body[f"{field}_stems"] = [stems(item) for item in value]
        else:
            body[f"{field}_stems"] = stems(value or "")
    if document.latitude is not None and document.longitude is not None:
        body["_geo"] = {"lat": document.latitude, "lng": document.longitude}
    return body


def _error_code(error: BaseException) -> str | None:
    """Meilisearch's error code behind one of our errors, if it answered with one."""
    cause = error.__cause__
    return str(cause.code) if isinstance(cause, MeilisearchApiError) and cause.code else None


def _version(text: str) -> tuple[int, int]:
    match = re.match(r"(\d+)\.(\d+)", text)
    if match is None:
        raise MeilisearchBackendError(f"Meilisearch reported a version this backend cannot read: {text!r}")
    return int(match.group(1)), int(match.group(2))


# Settings Meilisearch answers in an order of its own; these are compared as sets.
_ORDERED_SETTINGS = {"searchableAttributes", "rankingRules"}


def _settings_differ(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    for key, value in wanted.items():
        have = current.get(key)
        if isinstance(value, Mapping):
            if not isinstance(have, Mapping) or _settings_differ(have, value):
                return True
        elif isinstance(value, list) and key not in _ORDERED_SETTINGS:
            if not isinstance(have, list) or sorted(map(str, have)) != sorted(map(str, value)):
                return True
        elif have != value:
            return True
    return False


def _get_tasks(client: meilisearch.Client, params: dict[str, Any]) -> TaskResults:
    return client.get_tasks(params)


def _add_documents(client: meilisearch.Client, uid: str, documents: Sequence[SearchDocument]) -> TaskInfo:
    # Stemming is CPU work: it runs here, in the worker thread, not on the event loop.
    return client.index(uid).add_documents([index_document(d) for d in documents])


def _delete_where(client: meilisearch.Client, uid: str, expression: str) -> TaskInfo:
    return client.index(uid).delete_documents(filter=expression)


class _Pass(msgspec.Struct, frozen=True):
    """One way of matching the text: what to send as `q` and which attributes to search."""

    q: str
    on: tuple[str, ...]


class MeilisearchBackend:
    """Search in Meilisearch; the database stays the source of truth and the index catches up from it.

    The official client is synchronous, so every call runs in a worker thread. The client shares one
    header dict between requests and rewrites it per request, so each thread gets a client of its own.
    """

    name = "meilisearch"

    def __init__(
        self,
        engine: AsyncEngine,
        url: str,
        api_key: str | None,
        index_prefix: str = "referral_hub",
        *,
        batch_size: int = BATCH_SIZE,
        timeout_s: int = 30,
        task_timeout_s: float = TASK_TIMEOUT_S,
    ) -> None:
        if not _INDEX_UID.fullmatch(index_prefix):
            raise ValueError(
                f"index_prefix {index_prefix!r}: Meilisearch index names are 1-300 letters, digits, - or _"
            )
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.engine = engine
        self.url = url.rstrip("/")
        self.index_uid = index_prefix
        self.batch_size = batch_size
        self.task_timeout_s = task_timeout_s
        self._api_key = api_key
        self._timeout_s = timeout_s
        self._clients = threading.local()
        self._ready = False
        self._ready_lock = anyio.Lock()
        self._zones: set[str] = set()
        self._zones_checked: float | None = None

    # -- calling the client ----------------------------------------------------------------------------

    def _client(self) -> meilisearch.Client:
        client: meilisearch.Client | None = getattr(self._clients, "client", None)
        if client is None:
            client = self._clients.client = meilisearch.Client(
                self.url, self._api_key, timeout=self._timeout_s
            )
        return client

    async def _call(self, what: str, action: Callable[..., T], *args: Any) -> T:
        """`action(client, *args)` in a worker thread; a failure says what was being done and why."""

        def run() -> T:
            return action(self._client(), *args)

        try:
            return await anyio.to_thread.run_sync(run)
        except MeilisearchApiError as error:
            raise MeilisearchBackendError(
                f"Meilisearch at {self.url} refused to {what}: {error.message} "
                f"({error.code or error.status_code})"
            ) from error
        except MeilisearchError as error:
            raise MeilisearchBackendError(
                f"Meilisearch at {self.url} did not answer ({what}): {error.message}"
            ) from error

    async def _wait(self, task_uids: Sequence[int], what: str) -> None:
        """Until every task has succeeded; a failed or canceled task raises with Meilisearch's reason."""
        pending = set(task_uids)
        deadline = time.monotonic() + self.task_timeout_s
        delay = 0.01
        while pending:
            ordered = sorted(pending)
            for start in range(0, len(ordered), 1000):
                chunk = [str(uid) for uid in ordered[start : start + 1000]]
                page = await self._call(
                    f"report on its tasks ({what})", _get_tasks, {"uids": chunk, "limit": len(chunk)}
                )
                for task in page.results:
                    if task.status == "succeeded":
                        pending.discard(task.uid)
                    elif task.status in ("failed", "canceled"):
                        reason = (task.error or {}).get("message", "no reason given")
                        raise MeilisearchBackendError(
                            f"{what}: Meilisearch task {task.uid} ({task.type} on {task.index_uid}) "
                            f"{task.status}: {reason}"
                        )
            if not pending:
                return
            if time.monotonic() > deadline:
                raise MeilisearchBackendError(
                    f"{what}: Meilisearch tasks {sorted(pending)[:10]} not done "
                    f"after {self.task_timeout_s:.0f} s"
                )
            await anyio.sleep(delay)
            delay = min(delay * 2, 0.5)

    # -- the index -------------------------------------------------------------------------------------

    async def _prepare(self) -> None:
        """Once per process: check the server's version and that the live index exists with our settings."""
        if self._ready:
            return
        async with self._ready_lock:
            if self._ready:
                return
            version = await self.server_version()
            if _version(version) < MINIMUM_VERSION:
                raise MeilisearchBackendError(
                    f"Meilisearch at {self.url} is version {version}; this backend needs "
                    f"{MINIMUM_VERSION[0]}.{MINIMUM_VERSION[1]} or later"
                )
            await self._ensure_index(self.index_uid)
            self._ready = True

    async def server_version(self) -> str:
        answer = await self._call("tell its version", lambda c: c.get_version())
        return str(answer.get("pkgVersion", "unknown"))

    async def _ensure_index(self, uid: str) -> None:
        """Create the index with our settings, or bring an existing index's settings up to date."""
        try:
            await self._call(f"describe index {uid}", lambda c: c.get_raw_index(uid))
        except MeilisearchBackendError as error:
            if _error_code(error) != "index_not_found":
                raise
            try:
                await self._create_index(uid)
            except MeilisearchBackendError:
                # Another process may have created it first; then it is there, and is checked below.
                await self._call(f"describe index {uid}", lambda c: c.get_raw_index(uid))
            else:
                return
        current = await self._call(f"read the settings of {uid}", lambda c: c.index(uid).get_settings())
        wanted = index_settings()
        if _settings_differ(current, wanted):
            task = await self._call(
                f"update the settings of {uid}", lambda c: c.index(uid).update_settings(wanted)
            )
            await self._wait([task.task_uid], f"updating the settings of index {uid}")

    async def _create_index(self, uid: str) -> int:
        """A new index with its settings in place (before any document); returns the creation task."""
        created = await self._call(f"create index {uid}", lambda c: c.create_index(uid, {"primaryKey": "id"}))
        settings = index_settings()
        configured = await self._call(
            f"set the settings of {uid}", lambda c: c.index(uid).update_settings(settings)
        )
        await self._wait([created.task_uid, configured.task_uid], f"creating index {uid}")
        first: int = created.task_uid
        return first

    async def _write(
        self, uid: str, service_ids: Sequence[uuid.UUID], documents: Sequence[SearchDocument]
    ) -> None:
        """Upsert `documents` and delete every other document of `service_ids` (gone, inactive, moved).

        Upserts go first so that a service never drops out of search between the two tasks; the deletion
        always runs, even when it has nothing to delete, because a rebuild replays refreshes from it.
        """
        tasks = [
            await self._add(uid, documents[start : start + self.batch_size])
            for start in range(0, len(documents), self.batch_size)
        ]
        kept: dict[str, list[str]] = defaultdict(list)
        for document in documents:
            kept[document.service_id].append(document.id)
        for start in range(0, len(service_ids), FILTER_CHUNK):
            chunk = [str(s) for s in service_ids[start : start + FILTER_CHUNK]]
            expression = _one_of("service_id", chunk)
            keep = [doc_id for service_id in chunk for doc_id in kept.get(service_id, [])]
            if keep:
                expression += f" AND NOT {_one_of('id', keep)}"
            info = await self._call(f"delete stale documents from {uid}", _delete_where, uid, expression)
            tasks.append(info.task_uid)
        self._zones.update(d.time_zone for d in documents if d.time_zone)
        await self._wait(tasks, f"writing {len(documents)} documents to index {uid}")

    async def _add(self, uid: str, documents: Sequence[SearchDocument]) -> int:
        """Enqueue one batch of documents; returns its task."""
        info = await self._call(f"add {len(documents)} documents to {uid}", _add_documents, uid, documents)
        task: int = info.task_uid
        return task

    # -- SearchBackend ---------------------------------------------------------------------------------

    async def refresh_in_transaction(self, conn: AsyncConnection, service_ids: Sequence[str]) -> None:
        """Nothing to do: Meilisearch is not part of the transaction; refresh_after_commit catches up."""

    async def refresh_after_commit(self, service_ids: Sequence[str]) -> None:
        """Re-read these services from the database and make the live index match; returns once applied."""
        ids = list(dict.fromkeys(uuid.UUID(str(s)) for s in service_ids))
        if not ids:
            return
        await self._prepare()
        await self._refresh(self.index_uid, ids)

    async def _refresh(self, uid: str, ids: Sequence[uuid.UUID]) -> None:
        async with self.engine.connect() as conn:
            documents = await documents_for(conn, ids)
        await self._write(uid, ids, documents)

    async def rebuild(self) -> int:
        """Index the whole directory into a new index, swap it in, drop the old one; search stays up.

        Refreshes that reach the live index while the new one is built (from any process) are replayed
        after the swap: each left a delete-by-filter task naming its services, and those services are
        re-read from the database, so a change made during the rebuild is never lost.
        """
        await self._prepare()
        build_uid = f"{self.index_uid}_{datetime.now(UTC):%Y%m%d%H%M%S%f}"
        first_task = await self._create_index(build_uid)
        try:
            count, zones = await self._fill(build_uid)
            swap = await self._call(
                f"swap {build_uid} with {self.index_uid}",
                lambda c: c.swap_indexes([{"indexes": [self.index_uid, build_uid]}]),
            )
            await self._wait([swap.task_uid], f"swapping {build_uid} in as {self.index_uid}")
        except BaseException:
            with anyio.CancelScope(shield=True):
                await self._drop(build_uid)
            raise
        self._zones = zones
        self._zones_checked = time.monotonic()
        try:
            replay = await self._refreshed_between(first_task, swap.task_uid, (self.index_uid, build_uid))
            if replay:
                await self._refresh(self.index_uid, replay)
        finally:
            with anyio.CancelScope(shield=True):
                await self._drop(build_uid)
        return count

    async def _fill(self, uid: str) -> tuple[int, set[str]]:
        """Every active service's documents into index `uid`, in batches; returns the count and zones."""
        count = 0
        zones: set[str] = set()
        tasks: list[int] = []
        pending: list[SearchDocument] = []
        async with self.engine.connect() as reader:
            async for chunk in all_service_ids(reader):
                async with self.engine.connect() as conn:
                    documents = await documents_for(conn, chunk)
                count += len(documents)
                zones.update(d.time_zone for d in documents if d.time_zone)
                pending.extend(documents)
                while len(pending) >= self.batch_size:
                    tasks.append(await self._add(uid, pending[: self.batch_size]))
                    del pending[: self.batch_size]
        if pending:
            tasks.append(await self._add(uid, pending))
        await self._wait(tasks, f"indexing {count} documents into {uid}")
        return count, zones

    async def _refreshed_between(self, after: int, before: int, uids: Sequence[str]) -> list[uuid.UUID]:
        """Services named by delete-by-filter tasks enqueued on these indexes between two task uids."""
        found: dict[uuid.UUID, None] = {}
        cursor: int | None = before
        while cursor is not None and cursor > after:
            params: dict[str, Any] = {
                "indexUids": list(uids),
                "types": ["documentDeletion"],
                "from": cursor,
                "limit": 1000,
            }
            page = await self._call("list the document deletions made during the rebuild", _get_tasks, params)
            for task in page.results:
                if after < task.uid < before:
                    expression = str((task.details or {}).get("originalFilter") or "")
                    prefix = expression.split(" AND NOT ", 1)[0]
                    found.update((uuid.UUID(match), None) for match in _UUID.findall(prefix))
            cursor = page.next_
        return list(found)

    async def _drop(self, uid: str) -> None:
        try:
            task = await self._call(f"delete index {uid}", lambda c: c.delete_index(uid))
            await self._wait([task.task_uid], f"deleting index {uid}")
        except MeilisearchBackendError:
            # The index may never have been created; a leftover one is harmless and named by its time.
            return

    async def search(self, query: SearchQuery) -> BackendResult:
        await self._prepare()
        base = [f"network_id = {quote(str(query.network_id))}"]
        if query.taxonomy_term_id is not None:
            base.append(f"taxonomy_term_ids = {quote(str(query.taxonomy_term_id))}")
        if query.accepting_referrals:
            base.append("accepting_referrals = true")
        if query.near is not None:
            meters = query.radius_km * 1000 * MEILI_EARTH_RADIUS_KM / EARTH_RADIUS_KM
            base.append(f"_geoRadius({query.near.latitude!r}, {query.near.longitude!r}, {meters!r})")
        if query.open_now:
            open_now = await self._open_now(query.at)
            if open_now is None:
                # No zone in the index has a slot now: nothing is open, whatever the other filters.
                return BackendResult(hits=[], total=0, facets=Facets(category={}, language={}))
            base.append(open_now)
        tokens = [token for word in query.words for token in _TOKEN.findall(word)]
        if not tokens:
            return await self._search(query, base, None)
        try:
            result = await self._search(query, base, _Pass(" ".join(stem(t) for t in tokens), EXACT_FIELDS))
            if result.total == 0:
                result = await self._search(query, base, _Pass(" ".join(tokens), TYPO_FIELDS))
        except MeilisearchBackendError as error:
            # Every stored document has every searched attribute, so Meilisearch only refuses them in an
            # index that no document has reached yet: it has nothing to find.
            if _error_code(error) != "invalid_search_attributes_to_search_on":
                raise
            return BackendResult(hits=[], total=0, facets=Facets(category={}, language={}))
        return result

    async def _search(self, query: SearchQuery, base: list[str], text: _Pass | None) -> BackendResult:
        category = [_one_of("categories", query.categories)] if query.categories else []
        language = [_one_of("languages", query.languages)] if query.languages else []
        common: dict[str, Any] = {"indexUid": self.index_uid, "matchingStrategy": "all"}
        if text is not None:
            common.update(q=text.q, attributesToSearchOn=list(text.on))
        if query.near is not None:
            sort = [f"_geoPoint({query.near.latitude!r}, {query.near.longitude!r}):asc", "id:asc"]
        elif text is None:
            sort = ["name_sort:asc", "id:asc"]
        else:
            sort = ["id:asc"]
        # Each facet counts over all the other filters, so a filtered facet needs a query of its own.
        main_facets = [
            name for name, chosen in (("categories", category), ("languages", language)) if not chosen
        ]
        queries = [
            {
                **common,
                "filter": base + category + language,
                "sort": sort,
                "page": query.page,
                "hitsPerPage": query.per_page,
                "attributesToRetrieve": DOCUMENT_FIELDS,
                "facets": main_facets,
            }
        ]
        if category:
            queries.append(
                {**common, "filter": base + language, "page": 1, "hitsPerPage": 0, "facets": ["categories"]}
            )
        if language:
            queries.append(
                {**common, "filter": base + category, "page": 1, "hitsPerPage": 0, "facets": ["languages"]}
            )
        answer = await self._call("search", lambda c: c.multi_search(queries))
        results = answer["results"]
        distributions: dict[str, dict[str, int]] = {}
        for result in results:
            distributions.update(result.get("facetDistribution") or {})
        main = results[0]
        words = query.words
        hits = []
        for stored in main["hits"]:
            document = msgspec.convert(stored, SearchDocument)
            distance = None
            if query.near is not None and document.latitude is not None and document.longitude is not None:
                distance = great_circle_km(
                    query.near.latitude, query.near.longitude, document.latitude, document.longitude
                )
            hits.append(hit(document, distance_km=distance, words=words))
        return BackendResult(
            hits=hits,
            total=int(main["totalHits"]),
            facets=Facets(
                category=dict(sorted(distributions.get("categories", {}).items())),
                language=dict(sorted(distributions.get("languages", {}).items())),
            ),
        )

    async def _open_now(self, at: datetime) -> str | None:
        """`open_slots` holds local slots, so "open now" asks each zone in the index for its own slot."""
        clauses = []
        for zone in sorted(await self._time_zones()):
            slot = current_slot(at, zone)
            if slot is not None:
                clauses.append(f"(time_zone = {quote(zone)} AND open_slots = {slot})")
        return f"({' OR '.join(clauses)})" if clauses else None

    async def _time_zones(self) -> set[str]:
        now = time.monotonic()
        if self._zones_checked is None or now - self._zones_checked > ZONE_TTL_S:
            answer = await self._call(
                f"list the time zones in {self.index_uid}",
                lambda c: c.index(self.index_uid).search(
                    "", {"facets": ["time_zone"], "page": 1, "hitsPerPage": 0}
                ),
            )
            self._zones = set((answer.get("facetDistribution") or {}).get("time_zone", {}))
            self._zones_checked = now
        return self._zones

    async def health(self) -> ComponentHealth:
        started = time.perf_counter()
        try:
            version = await self.server_version()
            if _version(version) < MINIMUM_VERSION:
                return ComponentHealth(
                    status="down",
                    backend=f"meilisearch {version}",
                    detail=f"version {version} is older than {MINIMUM_VERSION[0]}.{MINIMUM_VERSION[1]}",
                )
            stats = await self._call(
                f"report on index {self.index_uid}", lambda c: c.index(self.index_uid).get_stats()
            )
        except MeilisearchBackendError as error:
            if _error_code(error) == "index_not_found":
                return ComponentHealth(
                    status="degraded",
                    backend=f"meilisearch {version}",
                    detail=f"index {self.index_uid} does not exist yet: run `referral-hub search reindex`",
                )
            return ComponentHealth(status="down", backend="meilisearch", detail=str(error))
        latency = round((time.perf_counter() - started) * 1000, 2)
        return ComponentHealth(
            status="ok",
            backend=f"meilisearch {version}",
            latency_ms=latency,
            detail=f"{stats.number_of_documents} documents in index {self.index_uid}",
        )

    async def close(self) -> None:
        """The client holds no connection between requests; the engine belongs to the app."""
