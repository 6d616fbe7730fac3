"""Time searches of a generated directory: each backend alone, in process, and over HTTP, in one run."""

from __future__ import annotations

import argparse
import asyncio
import csv
import itertools
import math
import os
import random
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from sqlalchemy import func, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bench.generate_directory import DEFAULT_DATA_DIR, DEFAULT_SEED, stable_id
from bench.import_bench import BenchError, prepare_package, run_measured
from referral_hub.db.base import core_table
from referral_hub.db.engine import create_engine
from referral_hub.directory.models import ServiceCategory, ServiceRecord
from referral_hub.geo.distance import great_circle_km
from referral_hub.geo.zip_centroids import normalize_zip, zip_centroid
from referral_hub.networks.models import DEFAULT_NETWORK_ID
from referral_hub.search.backends import build_search_backend
from referral_hub.search.model import BackendResult, SearchQuery
from referral_hub.search.params import parse_search
from referral_hub.search.protocol import SearchBackend
from referral_hub.search.service import SearchService
from referral_hub.settings import DatabaseSettings, SearchSettings, Settings

# DESIGN.md, "Performance targets": the embedded backend on 50,000 services, on a 2-core machine.
TARGET_P50_MS = 25.0
TARGET_P95_MS = 100.0
TARGET_HTTP_RATIO = 1.5

BACKENDS: tuple[str, ...] = ("embedded", "meilisearch")
RADIUS_KM = 10.0
_RADIUS_DEGREES = RADIUS_KM / 111.0  # of latitude, a little more than RADIUS_KM
MIX_SIZE = 200
SLOWEST = 5
FEW_SAMPLES = 100  # below this many searches of a kind, its p95 and p99 rest on a handful of them
SEARCH_PATH = "/api/v1/search"
HEALTH_PATH = "/health"
SERVER_START_TIMEOUT = 120.0
HTTP_TIMEOUT = 120.0  # a search slower than this is counted as failed
SERVER_STOP_TIMEOUT = 20.0
KEPT_POSTGRES_DATABASE = "referral_hub_search_bench"

# Query kinds, in the order of the table. "combined" is the query DESIGN.md sets the target for.
TEXT, TYPO, COMBINED, FILTERS = "text", "typo", "combined", "filters"
KIND_LABELS: dict[str, str] = {
    TEXT: "text",
    TYPO: "text with typos",
    COMBINED: "text + 10 km + 2 filters",
    FILTERS: "category + 10 km",
}
MIX = "mix"
# One turn of the mix: 2 text, 1 typo, 4 combined, 3 filter-only searches in every 10.
_PATTERN: tuple[str, ...] = (
    TEXT,
    COMBINED,
    FILTERS,
    COMBINED,
    TEXT,
    FILTERS,
    COMBINED,
    TYPO,
    FILTERS,
    COMBINED,
)

# What people type, with the need category a care coordinator would pick next to it.
SEARCHES: tuple[tuple[str, str], ...] = (
    ("food pantry", "food-insecurity"),
    ("emergency shelter", "homelessness"),
    ("legal aid eviction", "legal"),
    ("counseling", "behavioral-health"),
    ("job training", "employment-status"),
    ("rental assistance", "housing-instability"),
    ("opioid treatment", "substance-use"),
    ("soup kitchen", "food-insecurity"),
    ("domestic violence", "intimate-partner-violence"),
    ("rides to medical appointments", "transportation-insecurity"),
    ("tax preparation", "financial-insecurity"),
    ("diapers", "material-hardship"),
)
TYPOS: tuple[str, ...] = ("fod pantyr", "emergancy sheltr", "councelling", "jobb trainng", "rentl asistance")
# Every service speaks English, so "en" filters nothing; Spanish is the second language of the data.
LANGUAGES: tuple[str, ...] = ("es", "es", "es", "zh", "vi")


@dataclass(frozen=True)
class BenchQuery:
    """One search of the mix, as the query string of GET /api/v1/search."""

    kind: str
    params: tuple[tuple[str, str], ...]

    @property
    def path(self) -> str:
        return f"{SEARCH_PATH}?{urlencode(self.params)}"

    @property
    def open_now(self) -> bool:
        return ("open_now", "true") in self.params

    def search_query(self, known_categories: frozenset[str], at: datetime) -> SearchQuery:
        """The same search as the API checks it, for the backend alone."""
        values: dict[str, list[str]] = {}
        for name, value in self.params:
            values.setdefault(name, []).append(value)

        def one(name: str) -> str | None:
            return values[name][0] if name in values else None

        radius = one("radius_km")
        return parse_search(
            network_id=DEFAULT_NETWORK_ID,
            at=at,
            known_categories=known_categories,
            q=one("q"),
            category=values.get("category", []),
            near=one("near"),
            radius_km=float(radius) if radius is not None else None,
            language=values.get("language", []),
            open_now=one("open_now") == "true",
        )


def read_zips(package: Path) -> list[tuple[str, int]]:
    """The package's ZIPs that the search API knows, each with the locations within RADIUS_KM of it.

    The generator spreads 50,000 services over every ZIP of the country, so most 10 km circles are
    nearly empty; a network's users search where its services are, so places are drawn by that count.
    """
    points: dict[tuple[int, int], list[tuple[float, float]]] = {}
    with (package / "locations.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row.get("latitude") and row.get("longitude"):
                lat, lng = float(row["latitude"]), float(row["longitude"])
                points.setdefault(_cell(lat, lng), []).append((lat, lng))
    zips: set[str] = set()
    with (package / "addresses.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            zip_code = normalize_zip(row.get("postal_code"))
            if zip_code is not None:
                zips.add(zip_code)
    weighted = []
    for zip_code in sorted(zips):
        centroid = zip_centroid(zip_code)
        if centroid is None:
            continue
        lat, lng = centroid
        row_, col = _cell(lat, lng)
        nearby = sum(
            1
            for d_row in (-1, 0, 1)
            for d_col in (-1, 0, 1)
            for p_lat, p_lng in points.get((row_ + d_row, col + d_col), ())
            if abs(p_lat - lat) <= _RADIUS_DEGREES and great_circle_km(lat, lng, p_lat, p_lng) <= RADIUS_KM
        )
        if nearby:
            weighted.append((zip_code, nearby))
    if not weighted:
        raise BenchError(f"{package}: no location lies within {RADIUS_KM:g} km of a ZIP the search API knows")
    return weighted


def _cell(lat: float, lng: float) -> tuple[int, int]:
    """A grid cell wider than RADIUS_KM up to 80 degrees of latitude (half a degree of longitude is
    19 km at Alaska's 71), so a circle around a point only reaches the neighbouring cells."""
    return math.floor(lat * 2), math.floor(lng * 2)


def build_mix(zips: Sequence[tuple[str, int]], categories: Sequence[str], seed: int) -> list[BenchQuery]:
    """A fixed, deterministic list of searches; a run cycles through it.

    Places are drawn by the locations within RADIUS_KM of them: people search where services are.
    """
    searches = [(q, c) for q, c in SEARCHES if c in categories]
    if not searches:
        raise BenchError(
            "the directory has none of the need categories the benchmark searches for "
            f"({', '.join(sorted({c for _, c in SEARCHES}))}); was it imported?"
        )
    rng = random.Random(seed)
    codes = [z for z, _ in zips]
    weights = list(itertools.accumulate(n for _, n in zips))
    mix: list[BenchQuery] = []
    for index in range(MIX_SIZE):
        kind = _PATTERN[index % len(_PATTERN)]
        q, category = searches[index // len(_PATTERN) % len(searches)]
        near = rng.choices(codes, cum_weights=weights)[0]
        place = (("near", near), ("radius_km", f"{RADIUS_KM:g}"))
        params: tuple[tuple[str, str], ...]
        if kind == TEXT:
            params = (("q", q),)
        elif kind == TYPO:
            params = (("q", TYPOS[index // len(_PATTERN) % len(TYPOS)]),)
        elif kind == COMBINED:
            second = ("language", rng.choice(LANGUAGES)) if index % 20 < 10 else ("open_now", "true")
            params = (("q", q), *place, ("category", category), second)
        else:
            params = (("category", category), *place)
        mix.append(BenchQuery(kind, params))
    return mix


# -- measuring ------------------------------------------------------------------------------------


@dataclass
class Measurement:
    """Latencies (seconds) of one timed run, by query kind."""

    elapsed: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    first_error: str | None = None

    def of(self, kind: str) -> list[float]:
        if kind == MIX:
            return [value for values in self.latencies.values() for value in values]
        return self.latencies.get(kind, [])

    def error_count(self) -> int:
        return sum(self.errors.values())


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank percentile: a latency some request really had."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


async def measure(
    workers: Sequence[Callable[[int], Awaitable[None]]], mix: Sequence[BenchQuery], seconds: float, label: str
) -> Measurement:
    """Each worker runs searches back to back for `seconds`, all of them walking the mix in turn."""
    result = Measurement()
    turn = itertools.count()
    started = time.perf_counter()
    deadline = started + seconds

    async def work(call: Callable[[int], Awaitable[None]]) -> None:
        while time.perf_counter() < deadline:
            index = next(turn) % len(mix)
            kind = mix[index].kind
            begin = time.perf_counter()
            try:
                await call(index)
            except Exception as exc:  # a failed search is counted and shown, never a crash of the run
                result.errors[kind] = result.errors.get(kind, 0) + 1
                result.first_error = result.first_error or f"{mix[index].path}: {exc!r}"[:400]
                continue
            result.latencies.setdefault(kind, []).append(time.perf_counter() - begin)

    async def tick() -> None:
        while True:
            await asyncio.sleep(5)
            done = sum(len(v) for v in result.latencies.values())
            print(
                f"\r  {label}: {time.perf_counter() - started:4.0f} s, {done:,} searches", end="", flush=True
            )

    ticker = asyncio.create_task(tick()) if sys.stdout.isatty() else None
    try:
        await asyncio.gather(*(work(call) for call in workers))
    finally:
        if ticker is not None:
            ticker.cancel()
            print("\r" + " " * 60 + "\r", end="")
    result.elapsed = time.perf_counter() - started
    return result


def _hit_ids(result: BackendResult) -> list[str | None]:
    return [h.service_at_location_id or h.service.id for h in result.hits]


def _page_ids(page: dict[str, Any]) -> list[str | None]:
    return [h.get("service_at_location_id") or h["service"]["id"] for h in page.get("contents", [])]


# -- the HTTP server ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def http_server(hub: list[str], env: dict[str, str], workers: int, log_path: Path) -> Iterator[str]:
    """`referral-hub serve` on 127.0.0.1 in a child process; its base URL once /health answers."""
    port = _free_port()
    argv = [*hub, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    base = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        try:
            process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        except OSError as exc:
            raise BenchError(f"cannot start {shlex.join(argv)}: {exc}") from exc
        try:
            _wait_until_up(process, base, log_path)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(SERVER_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(process: subprocess.Popen[bytes], base: str, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    last = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = "\n".join(log_path.read_text(errors="replace").strip().splitlines()[-20:])
            raise BenchError(f"the HTTP server exited with {process.returncode}:\n{tail}")
        try:
            response = httpx.get(base + HEALTH_PATH, timeout=2.0)
        except httpx.HTTPError as exc:
            last = repr(exc)
        else:
            if response.status_code == 200:
                return
            last = f"{response.status_code} {response.text[:200]}"
        time.sleep(0.25)
    raise BenchError(
        f"the HTTP server did not answer {HEALTH_PATH} within {SERVER_START_TIMEOUT:.0f} s: {last}"
    )


# -- one backend ----------------------------------------------------------------------------------


@dataclass
class BackendRun:
    """Everything measured for one backend."""

    backend: str
    description: str
    documents: int
    rebuild_seconds: float | None
    totals: dict[str, list[int]]  # kind -> the total of each distinct search of the mix
    slowest: list[tuple[float, str]]  # (seconds, path): distinct searches, alone, one at a time
    alone: Measurement
    http: Measurement


@dataclass(frozen=True)
class Options:
    hub: list[str]
    seconds: float
    concurrency: int
    workers: int
    rebuild: bool
    meilisearch_url: str | None
    meilisearch_key: str | None


def backend_settings(backend: str, database_url: str, options: Options) -> Settings:
    return Settings(
        database=DatabaseSettings(url=database_url),
        search=SearchSettings(
            backend="meilisearch" if backend == "meilisearch" else "embedded",
            meilisearch_url=options.meilisearch_url,
            meilisearch_api_key=options.meilisearch_key,
        ),
    )


def server_env(backend: str, database_url: str, options: Options) -> dict[str, str]:
    env = {
        **os.environ,
        "REFERRAL_HUB_DATABASE_URL": database_url,
        "REFERRAL_HUB_SEARCH_BACKEND": "meilisearch" if backend == "meilisearch" else "embedded",
        # uvicorn writes an access-log line per request at INFO; that is not search work.
        "REFERRAL_HUB_LOG_LEVEL": "WARNING",
    }
    for name, value in (
        ("REFERRAL_HUB_MEILISEARCH_URL", options.meilisearch_url),
        ("REFERRAL_HUB_MEILISEARCH_API_KEY", options.meilisearch_key),
    ):
        if value:
            env[name] = value
        else:
            env.pop(name, None)
    return env


async def _categories_in(engine: AsyncEngine) -> list[str]:
    table = core_table(ServiceCategory)
    async with engine.connect() as conn:
        rows = await conn.execute(select(table.c.category_code).distinct())
        return sorted(rows.scalars())


async def _open_backend(backend: str, settings: Settings, engine: AsyncEngine) -> SearchBackend:
    try:
        return build_search_backend(settings, engine)
    except ImportError as exc:
        raise BenchError(f"the {backend} backend is not available in this tree yet ({exc})") from exc


async def run_backend(
    backend: str, database_url: str, package: Path, seed: int, options: Options, scratch: Path
) -> BackendRun:
    """Index, check that the backend and the HTTP API agree, then time each of them."""
    engine = create_engine(database_url)
    try:
        search = await _open_backend(backend, backend_settings(backend, database_url, options), engine)
        try:
            rebuild_seconds: float | None = None
            documents = -1
            if options.rebuild:
                print(f"[{backend}] rebuilding the search index ...")
                started = time.perf_counter()
                documents = await search.rebuild()
                rebuild_seconds = time.perf_counter() - started
                print(f"  {documents:,} documents in {rebuild_seconds:.1f} s")
                await _settle(engine)
            known = (await SearchService.build(search, engine)).known_categories
            mix = build_mix(read_zips(package), await _categories_in(engine), seed)
            at = datetime.now(UTC)
            queries = [q.search_query(known, at) for q in mix]
            print(f"[{backend}] starting the HTTP server ...")
            env = server_env(backend, database_url, options)
            with http_server(options.hub, env, options.workers, scratch / f"serve-{backend}.log") as base:
                totals, slowest, alone, http = await _timed_runs(backend, search, base, mix, queries, options)
            description = f"{backend} backend, database {engine.dialect.name}"
            return BackendRun(backend, description, documents, rebuild_seconds, totals, slowest, alone, http)
        finally:
            await search.close()
    finally:
        await engine.dispose()


def _wal_megabytes(engine: AsyncEngine) -> float:
    database = engine.url.database
    wal = Path(f"{database}-wal")
    return wal.stat().st_size / 2**20 if database and wal.exists() else 0.0


async def _settle(engine: AsyncEngine) -> None:
    """Bring the database to the state a server reaches on its own some time after a rebuild.

    SQLite: the rebuild leaves its whole output in the write-ahead log, and every read looks pages up
    there until a checkpoint folds it back (a server's next write does). PostgreSQL: autovacuum analyzes
    the rewritten tables soon after, and plans change when it does.
    """
    if engine.dialect.name == "postgresql":
        async with engine.begin() as conn:
            await conn.exec_driver_sql("ANALYZE")
        print("  analyzed the database")
        return
    if engine.dialect.name != "sqlite":
        return
    size = _wal_megabytes(engine)
    async with engine.connect() as conn:
        busy, _, _ = (await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")).one()
    if busy:
        print(
            f"warning: another connection kept the {size:,.0f} MB write-ahead log from being checkpointed; "
            "reads are slower until it is",
            file=sys.stderr,
        )
    else:
        print(f"  checkpointed the {size:,.0f} MB write-ahead log the rebuild left")


async def _timed_runs(
    backend: str,
    search: SearchBackend,
    base: str,
    mix: Sequence[BenchQuery],
    queries: Sequence[SearchQuery],
    options: Options,
) -> tuple[dict[str, list[int]], list[tuple[float, str]], Measurement, Measurement]:
    """The check of every search both ways, then the backend alone, then the same searches over HTTP."""

    async def alone(index: int) -> None:
        await search.search(queries[index])

    clients = [httpx.AsyncClient(base_url=base, timeout=HTTP_TIMEOUT) for _ in range(options.concurrency)]
    try:
        totals, slowest = await _compare(backend, search, clients[0], mix, queries)
        how = f"{options.seconds:g} s at concurrency {options.concurrency}"
        print(f"[{backend}] backend alone: {how}")
        alone_run = await measure([alone] * options.concurrency, mix, options.seconds, f"{backend} alone")
        print(f"[{backend}] over HTTP: {how}")
        http_calls = [_http_call(client, mix) for client in clients]
        http_run = await measure(http_calls, mix, options.seconds, f"{backend} HTTP")
    finally:
        for client in clients:
            await client.aclose()
    return totals, slowest, alone_run, http_run


def _http_call(client: httpx.AsyncClient, mix: Sequence[BenchQuery]) -> Callable[[int], Awaitable[None]]:
    paths = [q.path for q in mix]

    async def call(index: int) -> None:
        response = await client.get(paths[index])
        if response.status_code != 200:
            raise BenchError(f"HTTP {response.status_code}: {response.text[:200]}")

    return call


async def _compare(
    backend: str,
    search: SearchBackend,
    client: httpx.AsyncClient,
    mix: Sequence[BenchQuery],
    queries: Sequence[SearchQuery],
) -> tuple[dict[str, list[int]], list[tuple[float, str]]]:
    """Run each distinct search once both ways (this also warms the caches); they must give the same page.

    A difference means the server is not looking at the same database or index. Searches with
    open_now may differ only when a quarter hour turned in between. Returns the totals by kind and
    the slowest searches of the backend alone.
    """
    distinct = {query.path: (query, checked) for query, checked in zip(mix, queries, strict=True)}
    print(f"[{backend}] running the {len(distinct)} distinct searches once each way ...")
    totals: dict[str, list[int]] = {}
    timings: list[tuple[float, str]] = []
    for path, (query, checked) in distinct.items():
        started = time.perf_counter()
        result = await search.search(checked)
        timings.append((time.perf_counter() - started, path))
        try:
            response = await client.get(path)
        except httpx.HTTPError as exc:
            raise BenchError(f"GET {path} failed: {exc!r}") from exc
        if response.status_code != 200:
            raise BenchError(f"GET {path} answered {response.status_code}: {response.text[:300]}")
        page = response.json()
        same = page.get("total_items") == result.total and _page_ids(page) == _hit_ids(result)
        if not same and not query.open_now:
            raise BenchError(
                f"GET {path} and the backend disagree: HTTP total {page.get('total_items')}, "
                f"backend total {result.total}; is the server on the same database and backend?"
            )
        totals.setdefault(query.kind, []).append(result.total)
    return totals, sorted(timings, reverse=True)[:SLOWEST]


# -- the database ---------------------------------------------------------------------------------


async def _admin(url: URL, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def _database_exists(url: URL, name: str) -> bool:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            found = await connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            )
            return found.first() is not None
    finally:
        await engine.dispose()


def _parse_url(database_url: str) -> URL:
    try:
        return make_url(database_url)
    except Exception as exc:  # sqlalchemy raises ArgumentError, and ValueError for a bad port
        raise BenchError(f"--database-url {database_url!r} is not a database URL: {exc}") from exc


@dataclass(frozen=True)
class Database:
    url: str
    owned: bool  # the benchmark made it and may start it over


@contextmanager
def database_for(database_url: str | None, keep: Path | None, scratch: Path) -> Iterator[Database]:
    """Where the directory goes: SQLite next to the kept package or in `scratch`, or PostgreSQL.

    A PostgreSQL URL only names the server and credentials: the benchmark uses its own database there,
    `referral_hub_search_bench` kept with --keep, else a scratch one dropped at the end.
    """
    if database_url is None:
        path = keep.with_name(f"{keep.name}-search.db") if keep else scratch / "search.db"
        yield Database(f"sqlite+aiosqlite:///{path}", owned=True)
        return
    url = _parse_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        yield Database(database_url, owned=False)
        return
    if backend != "postgresql":
        raise BenchError(f"--database-url: only sqlite and postgresql are supported, not {backend}")
    name = KEPT_POSTGRES_DATABASE if keep else f"referral_hub_search_bench_{secrets.token_hex(4)}"
    try:
        if not asyncio.run(_database_exists(url, name)):
            asyncio.run(_admin(url, f'CREATE DATABASE "{name}"'))
            print(f"Created PostgreSQL database {name}.")
    except Exception as exc:  # the driver's own errors (connection refused, permission denied)
        raise BenchError(f"cannot create database {name} on {url.render_as_string()}: {exc}") from exc
    try:
        yield Database(url.set(database=name).render_as_string(hide_password=False), owned=True)
    finally:
        if not keep:
            try:
                asyncio.run(_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            except Exception as exc:  # a failed drop must not hide the figures; say what is left behind
                print(f"warning: could not drop database {name}: {exc}", file=sys.stderr)


async def _directory_state(database_url: str, services: int, seed: int) -> tuple[int, bool]:
    """How many services the database holds, and whether they are this package's."""
    table = core_table(ServiceRecord)
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            count = (await conn.execute(select(func.count()).select_from(table))).scalar_one()
            first = uuid.UUID(stable_id(seed, "service", 0))
            found = (await conn.execute(select(table.c.id).where(table.c.id == first))).first()
    finally:
        await engine.dispose()
    return count, count == services and found is not None


def _clear(database_url: str) -> None:
    """Empty a database the benchmark owns, so the import starts from nothing."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{url.database}{suffix}").unlink(missing_ok=True)
        return
    for statement in ("DROP SCHEMA public CASCADE", "CREATE SCHEMA public"):
        asyncio.run(_admin(url, statement))


def _run_hub(hub: list[str], args: list[str], env: dict[str, str], cwd: Path, what: str) -> float:
    child = run_measured([*hub, *args], env, cwd)
    if child.returncode != 0:
        tail = "\n".join((child.stderr or child.stdout).strip().splitlines()[-20:])
        raise BenchError(f"{what} ({shlex.join(child.argv)}) exited with {child.returncode}:\n{tail}")
    return child.seconds


def prepare_directory(
    database: Database, package: Path, services: int, seed: int, hub: list[str], cwd: Path
) -> None:
    """Migrate the database and import the package into it, unless it already holds that package."""
    env = {**os.environ, "REFERRAL_HUB_DATABASE_URL": database.url}
    _run_hub(hub, ["db", "upgrade"], env, cwd, "db upgrade")
    count, same = asyncio.run(_directory_state(database.url, services, seed))
    if same:
        print(f"Reusing the imported directory in {_redacted(database.url)} ({count:,} services).")
        return
    if count:
        if not database.owned:
            raise BenchError(
                f"{_redacted(database.url)} holds another directory ({count:,} services); "
                "give a new or empty database"
            )
        print(f"{_redacted(database.url)} holds another directory ({count:,} services); starting it over.")
        _clear(database.url)
        _run_hub(hub, ["db", "upgrade"], env, cwd, "db upgrade")
    print(f"Importing {package} ...")
    seconds = _run_hub(hub, ["import", str(package), "--json", "--source-name", "bench"], env, cwd, "import")
    print(f"  imported in {seconds:.1f} s")


# -- the report -----------------------------------------------------------------------------------


def _redacted(database_url: str) -> str:
    try:
        return make_url(database_url).render_as_string(hide_password=True)
    except Exception:  # never let a display helper fail the run
        return "<database>"


def _mark(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _ms(values: Sequence[float], p: float) -> float:
    return percentile(values, p) * 1000 if values else math.nan


def report(run: BackendRun, services: int, concurrency: int) -> tuple[str, bool]:
    """The table of one backend and whether its targets were met (always True for a reference backend)."""
    kinds = [*KIND_LABELS, MIX]
    lines = [
        f"Search benchmark: {run.description}, {services:,} services"
        + (f", {run.documents:,} documents" if run.documents >= 0 else ""),
        f"concurrency {concurrency}; backend alone {run.alone.elapsed:.1f} s, HTTP {run.http.elapsed:.1f} s"
        + (f"; index rebuilt in {run.rebuild_seconds:.1f} s" if run.rebuild_seconds is not None else ""),
        "",
        f"  {'query kind':<26}{'found':>7}{'empty':>7}  {'via':<6}{'count':>9}{'p50 ms':>8}{'p95 ms':>8}"
        f"{'p99 ms':>8}{'req/s':>7}{'errors':>7}{'HTTP/alone p50':>16}",
    ]
    for kind in kinds:
        totals = [t for k, ts in run.totals.items() if kind in (k, MIX) for t in ts]
        found = f"{percentile(totals, 50):,}" if totals else "-"
        empty = f"{sum(1 for t in totals if t == 0) / len(totals):.0%}" if totals else "-"
        alone, http = run.alone.of(kind), run.http.of(kind)
        ratio = _ms(http, 50) / _ms(alone, 50) if alone and http else math.nan
        label = "whole mix" if kind == MIX else KIND_LABELS[kind]
        for via, measurement, values in (("alone", run.alone, alone), ("HTTP", run.http, http)):
            errors = measurement.error_count() if kind == MIX else measurement.errors.get(kind, 0)
            first = via == "alone"
            rate = len(values) / measurement.elapsed if measurement.elapsed else 0.0
            lines.append(
                f"  {label if first else '':<26}{found if first else '':>7}{empty if first else '':>7}"
                f"  {via:<6}{len(values):>9,}{_ms(values, 50):>8.1f}{_ms(values, 95):>8.1f}"
                f"{_ms(values, 99):>8.1f}{rate:>7.1f}{errors:>7}{'' if first else f'{ratio:.2f}':>16}"
            )
    lines.append(
        "  found: the median total of the distinct searches of that kind in the mix; "
        "empty: the share of them that find nothing"
    )
    fewest = min((len(run.alone.of(k)) for k in KIND_LABELS), default=0)
    fewest = min([fewest, *(len(run.http.of(k)) for k in KIND_LABELS)])
    if fewest < FEW_SAMPLES:
        lines.append(
            f"  warning: a query kind has only {fewest} timed searches; its percentiles are rough "
            "(a longer --seconds gives more)"
        )
    lines.append("  slowest searches, backend alone, one at a time (before the timed runs):")
    lines += [f"  {seconds * 1000:>10,.1f} ms  {path}" for seconds, path in run.slowest]
    for measurement, via in ((run.alone, "backend alone"), (run.http, "HTTP")):
        if measurement.first_error:
            lines.append(f"  first error ({via}): {measurement.first_error}")
    checks = _checks(run)
    binding = run.backend == "embedded"
    heading = (
        "Targets (DESIGN.md, performance targets):"
        if binding
        else "For reference (the targets are set for the embedded backend):"
    )
    lines += ["", heading]
    lines += [f"  {_mark(ok)}  {label}: {value}" for label, ok, value in checks]
    return "\n".join(lines), not binding or all(ok for _, ok, _ in checks)


def _checks(run: BackendRun) -> list[tuple[str, bool, str]]:
    checks: list[tuple[str, bool, str]] = []
    for kind, label in ((COMBINED, KIND_LABELS[COMBINED]), (MIX, "whole mix")):
        http = run.http.of(kind)
        p50, p95 = _ms(http, 50), _ms(http, 95)
        checks.append(
            (f"{label} over HTTP: p50 <= {TARGET_P50_MS:g} ms", p50 <= TARGET_P50_MS, f"{p50:.1f} ms")
        )
        checks.append(
            (f"{label} over HTTP: p95 <= {TARGET_P95_MS:g} ms", p95 <= TARGET_P95_MS, f"{p95:.1f} ms")
        )
    ratio = _ms(run.http.of(MIX), 50) / _ms(run.alone.of(MIX), 50)
    checks.append(
        (
            f"whole mix: HTTP p50 <= {TARGET_HTTP_RATIO} x backend alone p50",
            ratio <= TARGET_HTTP_RATIO,
            f"{ratio:.2f}",
        )
    )
    errors = run.alone.error_count() + run.http.error_count()
    checks.append(("no failed searches", errors == 0, f"{errors:,}"))
    return checks


# -- command line ---------------------------------------------------------------------------------


def chosen_backends(backend: str, meilisearch_url: str | None) -> list[str]:
    if backend == "all":
        if meilisearch_url is None:
            print("Skipping meilisearch: no --meilisearch-url given.")
            return ["embedded"]
        return list(BACKENDS)
    if backend == "meilisearch" and meilisearch_url is None:
        raise BenchError("--backend meilisearch needs --meilisearch-url")
    return [backend]


def run(args: argparse.Namespace) -> int:
    """Prepare the package and the database, then index, check and time each backend."""
    hub = shlex.split(args.hub)
    if not hub or shutil.which(hub[0]) is None:
        raise BenchError(f"{args.hub!r} is not on PATH; install the project (pip install -e .) or pass --hub")
    backends = chosen_backends(args.backend, args.meilisearch_url)
    options = Options(
        hub=hub,
        seconds=args.seconds,
        concurrency=args.concurrency,
        workers=args.workers,
        rebuild=not args.skip_rebuild,
        meilisearch_url=args.meilisearch_url,
        meilisearch_key=args.meilisearch_key,
    )
    reports: list[str] = []
    met = True
    with ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="referral-hub-search-bench-")))
        keep = args.keep.resolve() if args.keep else None
        package = keep or scratch / "directory"
        prepare_package(package, args.services, args.seed, args.data_dir)
        database = stack.enter_context(database_for(args.database_url, keep, scratch))
        prepare_directory(database, package, args.services, args.seed, hub, scratch)
        for backend in backends:
            try:
                measured = asyncio.run(
                    run_backend(backend, database.url, package, args.seed, options, scratch)
                )
            except BenchError as exc:
                if len(backends) == 1:
                    raise
                reports.append(f"Search benchmark: {backend}: not measured: {exc}")
                continue
            text_report, ok = report(measured, args.services, args.concurrency)
            met = met and ok
            reports.append(text_report)
    print()
    print("\n\n".join(reports))
    return 1 if args.check and not met else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: `python -m bench.search_bench [--services N] [--keep DIR] [--backend B] ...`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--services", type=int, default=50_000, help="services in the package (default 50000)"
    )
    parser.add_argument(
        "--keep",
        type=Path,
        help="generate the package here and reuse it, and the imported database next to it, on later runs",
    )
    parser.add_argument("--backend", choices=[*BACKENDS, "all"], default="embedded")
    parser.add_argument(
        "--database-url",
        help="postgresql+asyncpg://user:pw@host/db (the benchmark uses its own database on that server) "
        "or sqlite+aiosqlite:///file.db (new, empty, or holding this package); default: SQLite",
    )
    parser.add_argument("--meilisearch-url", help="a Meilisearch server, for --backend meilisearch or all")
    parser.add_argument(
        "--meilisearch-key",
        default=os.environ.get("REFERRAL_HUB_MEILISEARCH_API_KEY"),
        help="its API key (default: $REFERRAL_HUB_MEILISEARCH_API_KEY, which keeps it off the command line)",
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each timed run (default 20)")
    parser.add_argument("--concurrency", type=int, default=4, help="searches in flight (default 4)")
    parser.add_argument("--workers", type=int, default=1, help="HTTP server worker processes (default 1)")
    parser.add_argument(
        "--skip-rebuild",
        action="store_true",
        help="trust the search index that is there instead of rebuilding it",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="generator and query seed (default 1)")
    parser.add_argument(
        "--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="the shared reference data folder"
    )
    parser.add_argument("--hub", default="referral-hub", help="the command to run (default: referral-hub)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a performance target is missed")
    args = parser.parse_args(argv)
    if args.services < 1:
        parser.error("--services must be at least 1")
    if args.seconds <= 0:
        parser.error("--seconds must be more than 0")
    if args.concurrency < 1 or args.workers < 1:
        parser.error("--concurrency and --workers must be at least 1")
    try:
        return run(args)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
