"""Time `referral-hub import` of a generated directory: a first import, then an unchanged re-import."""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bench.generate_directory import (
    DEFAULT_DATA_DIR,
    DEFAULT_SEED,
    format_summary,
    generate,
    package_file_names,
    stable_id,
)

COUNT_NAMES: tuple[str, ...] = ("created", "updated", "unchanged", "deactivated", "rejected")
TOTAL = "total"
# Keys that group counts without naming an object kind ({"counts": {"created": 3}}).
_GROUP_KEYS = frozenset(
    {"counts", "totals", "summary", "total", "all", "by_kind", "kinds", "objects", "per_kind"}
)
_ROW_LIST_KEYS = ("rejected_rows", "rejections", "rejected", "errors")

# DESIGN.md, "Performance targets": import of 50,000 services on a 2-core machine.
TARGET_SERVICES_PER_SECOND = 1_000.0
TARGET_PEAK_RSS_MB = 500.0
TARGET_REIMPORT_RATIO = 0.5


class BenchError(Exception):
    """A step of the benchmark could not run; the message says which and why."""


@dataclass
class ChildRun:
    """One measured child process."""

    argv: list[str]
    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


@dataclass
class ImportRun:
    """One `referral-hub import --json` run and the summary it printed."""

    child: ChildRun
    summary: dict[str, Any] | None
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # count name -> kind -> n


# Runs in a bare interpreter between this script and the measured command. A child's ru_maxrss
# includes the peak of the address space it was forked from (Linux carries the old mm's high-water
# mark across exec), so spawning straight from this script, which holds the generator and SQLAlchemy,
# would add our own peak to the child's figure.
_LAUNCHER = """
import os, sys, time
report, argv = sys.argv[1], sys.argv[2:]
started = time.perf_counter()
try:
    pid = os.posix_spawnp(argv[0], argv, os.environ)
except OSError as exc:
    print(f"cannot start {argv[0]}: {exc}", file=sys.stderr)
    sys.exit(127)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - started
rss = usage.ru_maxrss if sys.platform == "darwin" else usage.ru_maxrss * 1024
with open(report, "w") as handle:
    handle.write(f"{seconds!r} {rss}")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_measured(argv: Sequence[str], env: dict[str, str], cwd: Path) -> ChildRun:
    """Run one child to completion and measure its wall time and its own peak RSS.

    A bare launcher process waits for the child with `os.wait4`, which gives the rusage of that child
    alone (`RUSAGE_CHILDREN` would keep the largest peak of every child so far).
    """
    with ExitStack() as stack:
        out = stack.enter_context(tempfile.TemporaryFile())
        err = stack.enter_context(tempfile.TemporaryFile())
        report_path = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "rusage"
        launcher = [sys.executable, "-I", "-S", "-c", _LAUNCHER, str(report_path), *argv]
        try:
            returncode = subprocess.run(
                launcher, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, check=False
            ).returncode
        except OSError as exc:
            raise BenchError(f"cannot start {sys.executable}: {exc}") from exc
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", errors="replace")
        stderr = err.read().decode("utf-8", errors="replace")
        try:
            seconds_text, rss_text = report_path.read_text(encoding="ascii").split()
        except (OSError, ValueError) as exc:
            raise BenchError(f"{shlex.join(argv)} did not run: {stderr.strip() or exc}") from exc
    return ChildRun(list(argv), float(seconds_text), int(rss_text) / 2**20, returncode, stdout, stderr)


def parse_summary(stdout: str) -> dict[str, Any] | None:
    """The JSON object an `import --json` printed, tolerating log lines before or after it."""
    stripped = stdout.strip()
    candidates = [stripped, *reversed(stripped.splitlines())]
    for candidate in candidates:
        if candidate.startswith("{"):
            try:
                value = json.loads(candidate)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                return value
    decoder = json.JSONDecoder()
    start = stripped.find("{")
    while start != -1:
        try:
            value, _ = decoder.raw_decode(stripped, start)
        except json.JSONDecodeError:
            start = stripped.find("{", start + 1)
            continue
        if isinstance(value, dict):
            return value
        start = stripped.find("{", start + 1)
    return None


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def collect_counts(summary: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Counts by name and object kind, whatever the nesting: `{"created": 3}`, `{"created": {"service": 3}}`,
    `{"service": {"created": 3}}` or any of these under `counts`/`totals`. Kind `total` is an explicit total.
    """
    found: dict[str, dict[str, int]] = {}

    def walk(node: dict[str, Any], kind: str) -> None:
        for key, value in node.items():
            if key in COUNT_NAMES:
                if _is_count(value):
                    found.setdefault(key, {}).setdefault(kind, value)
                elif isinstance(value, dict) and value and all(_is_count(v) for v in value.values()):
                    for sub, count in value.items():
                        found.setdefault(key, {}).setdefault(TOTAL if sub in _GROUP_KEYS else sub, count)
                elif isinstance(value, list):
                    found.setdefault(key, {}).setdefault(
                        f"{kind} rows" if kind != TOTAL else "rows", len(value)
                    )
            elif isinstance(value, dict):
                walk(value, kind if key in _GROUP_KEYS else key)

    walk(summary, TOTAL)
    return found


def total_of(counts: dict[str, dict[str, int]], name: str) -> int | None:
    """The total of one count: the explicit total if the summary gave one, else the sum over kinds."""
    by_kind = counts.get(name)
    if not by_kind:
        return None
    if TOTAL in by_kind:
        return by_kind[TOTAL]
    kinds = {k: v for k, v in by_kind.items() if not k.endswith("rows")}
    if kinds:
        return sum(kinds.values())
    return next(iter(by_kind.values()))


def rejected_rows(summary: dict[str, Any] | None) -> list[Any]:
    """The rejected rows the summary lists, wherever it put them."""
    if not summary:
        return []
    for key in _ROW_LIST_KEYS:
        value = summary.get(key)
        if isinstance(value, list):
            return value
    for value in summary.values():
        if isinstance(value, dict):
            nested = rejected_rows(value)
            if nested:
                return nested
    return []


def package_is_reusable(directory: Path, services: int, seed: int) -> bool:
    """True when `directory` already holds the package the generator makes for `services` and `seed`."""
    services_csv = directory / "services.csv"
    if not (directory / "datapackage.json").is_file() or not services_csv.is_file():
        return False
    with services_csv.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        first = next(reader, None)
        if first is None or first.get("id") != stable_id(seed, "service", 0):
            return False
        return 1 + sum(1 for _ in reader) == services


def prepare_package(directory: Path, services: int, seed: int, data_dir: Path) -> None:
    """Generate the package into `directory`, unless the same package is already there."""
    if package_is_reusable(directory, services, seed):
        print(f"Reusing the package in {directory} ({services:,} services, seed {seed}).")
        return
    if directory.exists():
        foreign = sorted(p.name for p in directory.iterdir() if p.name not in package_file_names(data_dir))
        if foreign:
            raise BenchError(
                f"{directory} holds files a generated package does not ({', '.join(foreign[:5])}); "
                "refusing to write into it"
            )
    print(f"Generating {services:,} services into {directory} ...")
    try:
        print(format_summary(generate(directory, services, seed, data_dir, progress=print)))
    except (OSError, ValueError) as exc:
        raise BenchError(f"cannot generate the package: {exc}") from exc


async def _admin(url: URL, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@contextmanager
def fresh_database(database_url: str | None, scratch: Path) -> Iterator[str]:
    """A URL of an empty database for the run: SQLite in `scratch`, or a new PostgreSQL database.

    For PostgreSQL the given URL only says which server and which credentials: a database named
    `referral_hub_bench_<random>` is created next to it (the role needs CREATEDB) and dropped afterwards.
    """
    if database_url is None:
        yield f"sqlite+aiosqlite:///{scratch / 'bench.db'}"
        return
    try:
        url = make_url(database_url)
    except Exception as exc:  # sqlalchemy raises ArgumentError, and ValueError for a bad port
        raise BenchError(f"--database-url {database_url!r} is not a database URL: {exc}") from exc
    backend = url.get_backend_name()
    if backend == "sqlite":
        if url.database and Path(url.database).exists():
            raise BenchError(f"{url.database} exists: the first import needs an empty database")
        yield database_url
        return
    if backend != "postgresql":
        raise BenchError(f"--database-url: only sqlite and postgresql are supported, not {backend}")
    name = f"referral_hub_bench_{secrets.token_hex(4)}"
    try:
        asyncio.run(_admin(url, f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the driver's own errors (connection refused, permission denied)
        raise BenchError(f"cannot create database {name} on {url.render_as_string()}: {exc}") from exc
    print(f"Created PostgreSQL database {name} for this run.")
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        try:
            asyncio.run(_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        except Exception as exc:  # a failed drop must not hide the figures; say what is left behind
            print(f"warning: could not drop database {name}: {exc}", file=sys.stderr)


def _checked(run: ChildRun, what: str) -> ChildRun:
    if run.returncode != 0:
        tail = "\n".join((run.stderr or run.stdout).strip().splitlines()[-20:])
        raise BenchError(f"{what} ({shlex.join(run.argv)}) exited with {run.returncode}:\n{tail}")
    return run


def import_once(hub: list[str], package: Path, env: dict[str, str], cwd: Path, what: str) -> ImportRun:
    """Run one measured `referral-hub import DIR --json --source-name bench`."""
    child = _checked(
        run_measured([*hub, "import", str(package), "--json", "--source-name", "bench"], env, cwd), what
    )
    summary = parse_summary(child.stdout)
    if summary is None:
        print(
            f"warning: {what} printed no JSON object; its output starts {child.stdout[:200]!r}",
            file=sys.stderr,
        )
        return ImportRun(child, None)
    return ImportRun(child, summary, collect_counts(summary))


def _mark(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _longest(run: ImportRun) -> str:
    """The importer's longest swap transaction: how long referral writes could have waited."""
    value = (run.summary or {}).get("longest_write_ms")
    return f"{value:,.0f}" if isinstance(value, int | float) else "-"


def report(
    services: int, database: str, upgrade: ChildRun, first: ImportRun, second: ImportRun
) -> tuple[str, bool]:
    """The results table and whether every target was met."""
    rate_first = services / first.child.seconds
    rate_second = services / second.child.seconds
    ratio = second.child.seconds / first.child.seconds
    rows: list[tuple[str, str, str]] = [
        ("seconds", f"{first.child.seconds:.2f}", f"{second.child.seconds:.2f}"),
        ("services/s", f"{rate_first:,.0f}", f"{rate_second:,.0f}"),
        ("ratio to first import", "1.00", f"{ratio:.2f}"),
        ("peak RSS MB", f"{first.child.peak_rss_mb:.0f}", f"{second.child.peak_rss_mb:.0f}"),
        ("longest write txn ms", _longest(first), _longest(second)),
    ]
    for name in COUNT_NAMES:
        a, b = (total_of(run.counts, name) for run in (first, second))
        rows.append((name, f"{a:,}" if a is not None else "-", f"{b:,}" if b is not None else "-"))
    lines = [
        f"Import benchmark: {services:,} services into {_redacted(database)}",
        f"(db upgrade: {upgrade.seconds:.2f} s, peak RSS {upgrade.peak_rss_mb:.0f} MB)",
        "",
        f"  {'':<24}{'first import':>16}{'re-import':>16}",
        *(f"  {label:<24}{a:>16}{b:>16}" for label, a, b in rows),
    ]
    kinds = sorted(
        {
            k
            for run in (first, second)
            for by_kind in run.counts.values()
            for k in by_kind
            if k != TOTAL and not k.endswith("rows")
        }
    )
    if kinds:
        lines += ["", "  counts by kind (created/updated/unchanged/deactivated/rejected)"]
        for kind in kinds:
            cells = [
                "/".join(str(run.counts.get(name, {}).get(kind, "-")) for name in COUNT_NAMES)
                for run in (first, second)
            ]
            lines.append(f"  {kind:<24}{cells[0]:>28}   re-import {cells[1]}")
    rejected = rejected_rows(first.summary)
    if rejected:
        lines += ["", f"  first {min(5, len(rejected))} of {len(rejected):,} rejected rows:"]
        lines += [f"    {json.dumps(row, default=str)[:200]}" for row in rejected[:5]]
    peak = max(first.child.peak_rss_mb, second.child.peak_rss_mb)
    checks = [
        (
            f"first import >= {TARGET_SERVICES_PER_SECOND:,.0f} services/s",
            rate_first >= TARGET_SERVICES_PER_SECOND,
            f"{rate_first:,.0f}",
        ),
        (f"peak RSS <= {TARGET_PEAK_RSS_MB:.0f} MB", peak <= TARGET_PEAK_RSS_MB, f"{peak:.0f} MB"),
        (
            f"re-import <= {TARGET_REIMPORT_RATIO} x first import",
            ratio <= TARGET_REIMPORT_RATIO,
            f"{ratio:.2f}",
        ),
    ]
    lines += ["", "Targets (DESIGN.md, performance targets):"]
    lines += [f"  {_mark(ok)}  {label}: {value}" for label, ok, value in checks]
    return "\n".join(lines), all(ok for _, ok, _ in checks)


def _redacted(database_url: str) -> str:
    try:
        return make_url(database_url).render_as_string(hide_password=True)
    except Exception:  # never let a display helper fail the run
        return "<database>"


def run(args: argparse.Namespace) -> int:
    """Prepare the package and the database, run the three children and print the report."""
    hub = shlex.split(args.hub)
    if not hub or shutil.which(hub[0]) is None:
        raise BenchError(f"{args.hub!r} is not on PATH; install the project (pip install -e .) or pass --hub")
    with ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="referral-hub-bench-")))
        package = args.keep.resolve() if args.keep else scratch / "directory"
        prepare_package(package, args.services, args.seed, args.data_dir)
        database = stack.enter_context(fresh_database(args.database_url, scratch))
        env = {**os.environ, "REFERRAL_HUB_DATABASE_URL": database}
        print("Running db upgrade ...")
        upgrade = _checked(run_measured([*hub, "db", "upgrade"], env, scratch), "db upgrade")
        print("First import ...")
        first = import_once(hub, package, env, scratch, "first import")
        print(f"  {first.child.seconds:.2f} s. Unchanged re-import ...")
        second = import_once(hub, package, env, scratch, "re-import")
        print(f"  {second.child.seconds:.2f} s.\n")
        text_report, met = report(args.services, database, upgrade, first, second)
        print(text_report)
    return 1 if args.check and not met else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: `python -m bench.import_bench [--services N] [--keep DIR] [--database-url URL]`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--services", type=int, default=50_000, help="services in the package (default 50000)"
    )
    parser.add_argument("--keep", type=Path, help="generate the package here and reuse it on later runs")
    parser.add_argument(
        "--database-url",
        help="postgresql+asyncpg://user:pw@host/db (a scratch database is "
        "created on that server) or sqlite+aiosqlite:///new.db; "
        "default: SQLite in a temporary folder",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="generator seed (default 1)")
    parser.add_argument(
        "--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="the shared reference data folder"
    )
    parser.add_argument("--hub", default="referral-hub", help="the command to run (default: referral-hub)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a performance target is missed")
    args = parser.parse_args(argv)
    if args.services < 1:
        parser.error("--services must be at least 1")
    try:
        return run(args)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
