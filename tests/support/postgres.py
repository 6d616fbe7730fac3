"""A throwaway PostgreSQL server for the test session, started from the machine's own binaries."""

from __future__ import annotations

import asyncio
import atexit
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote, unquote, urlsplit

import asyncpg  # type: ignore[import-untyped]

URL_ENV = "REFERRAL_HUB_TEST_POSTGRES_URL"
SUPERUSER = "referral_hub_test"
# The account that owns the data folder when the tests run as root and Debian's `postgres` user is absent.
SERVICE_USER = "referral-hub-pg"
# PostgreSQL truncates longer identifiers silently, so a later DROP would miss the database.
MAX_IDENTIFIER_BYTES = 63

_T = TypeVar("_T")

# Runs detached from the test process: it blocks on a pipe whose only writer is the test process, so
# it wakes when that process ends in any way (even SIGKILL) and stops the server it left behind.
_WATCHDOG = """
import shutil, subprocess, sys
sys.stdin.buffer.read()
subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
shutil.rmtree(sys.argv[1], ignore_errors=True)
"""


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server can be had for the tests; the message says why."""


def find_bindir() -> Path:
    """The folder of the newest PostgreSQL server binaries installed on this machine."""
    candidates = [path.parent for path in Path("/usr/lib/postgresql").glob("*/bin/postgres")]
    if candidates:
        return max(candidates, key=lambda path: _version_key(path.parent.name))
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        bindir = Path(result.stdout.strip())
        if result.returncode == 0 and (bindir / "initdb").is_file() and (bindir / "postgres").is_file():
            return bindir
    initdb = shutil.which("initdb")
    if initdb is not None and (Path(initdb).parent / "pg_ctl").is_file():
        return Path(initdb).parent
    raise PostgresUnavailable(
        "no PostgreSQL server binaries found (looked for /usr/lib/postgresql/*/bin/postgres, "
        "`pg_config --bindir` and `initdb` on PATH); install them (Debian: apt-get install "
        f"postgresql postgresql-contrib) or point {URL_ENV} at a running server"
    )


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", name))


@dataclass(frozen=True)
class _OwnedProcess:
    bindir: Path
    root: Path
    os_user: str | None
    watchdog: subprocess.Popen[bytes]

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def stop_command(self) -> list[str]:
        return _stop_command(self.bindir, self.root, self.os_user)


class PostgresServer:
    """A PostgreSQL server reachable over TCP with a superuser that needs no password."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        user: str,
        password: str | None = None,
        maintenance_database: str = "postgres",
        process: _OwnedProcess | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.maintenance_database = maintenance_database
        self._process = process

    @classmethod
    def start(cls, *, use_env: bool = True) -> PostgresServer:
        """Start a fresh server (or, when REFERRAL_HUB_TEST_POSTGRES_URL is set, use that one)."""
        if use_env and (url := os.environ.get(URL_ENV, "").strip()):
            return cls.from_url(url)
        bindir = find_bindir()
        os_user = _unprivileged_user() if os.geteuid() == 0 else None
        root = Path(tempfile.mkdtemp(prefix="referral-hub-pg-"))
        try:
            if os_user is not None:
                account = pwd.getpwnam(os_user)
                os.chown(root, account.pw_uid, account.pw_gid)
            _init_cluster(bindir, root, os_user)
            port = _start_server(bindir, root, os_user)
            try:
                watchdog = _spawn_watchdog(bindir, root, os_user)
            except BaseException:
                subprocess.run(_stop_command(bindir, root, os_user), capture_output=True, check=False)
                raise
        except BaseException:
            shutil.rmtree(root, ignore_errors=True)
            raise
        process = _OwnedProcess(bindir=bindir, root=root, os_user=os_user, watchdog=watchdog)
        server = cls(host="127.0.0.1", port=port, user=SUPERUSER, process=process)
        atexit.register(server.stop)
        return server

    @classmethod
    def from_url(cls, url: str) -> PostgresServer:
        """A server that is already running; `stop()` leaves it running."""
        parts = urlsplit(url)
        scheme = parts.scheme.split("+", 1)[0]
        if scheme not in ("postgresql", "postgres"):
            raise ValueError(f"{URL_ENV} must be a postgresql:// URL, not one with scheme {parts.scheme!r}")
        if not parts.hostname or not parts.username:
            raise ValueError(f"{URL_ENV} must name a host and a user (postgresql://user@host:port/db)")
        return cls(
            host=parts.hostname,
            port=parts.port or 5432,
            user=unquote(parts.username),
            password=unquote(parts.password) if parts.password is not None else None,
            maintenance_database=unquote(parts.path.lstrip("/")) or "postgres",
        )

    @property
    def owns_process(self) -> bool:
        """Whether this object started the server (and `stop()` shuts it down)."""
        return self._process is not None

    def url(self, database: str = "postgres", driver: str | None = "asyncpg") -> str:
        """An SQLAlchemy URL (`driver=None` gives the plain libpq form that asyncpg.connect takes)."""
        scheme = "postgresql" if driver is None else f"postgresql+{driver}"
        auth = quote(self.user, safe="")
        if self.password is not None:
            auth += ":" + quote(self.password, safe="")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{auth}@{host}:{self.port}/{quote(database, safe='')}"

    def execute(self, sql: str, database: str | None = None) -> None:
        """Run statements outside a transaction (CREATE DATABASE refuses to run inside one)."""
        _run(self._execute(sql, database or self.maintenance_database))

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create a database (a copy of `template` when given) and return its asyncpg URL."""
        sql = f"CREATE DATABASE {quote_identifier(name)}"
        if template is not None:
            sql += f" TEMPLATE {quote_identifier(template)}"
        self.execute(sql)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database if it exists, ending the sessions still connected to it."""
        self.execute(f"DROP DATABASE IF EXISTS {quote_identifier(name)} WITH (FORCE)")

    def stop(self) -> None:
        """Shut down a server this object started and remove its files; safe to call twice."""
        process, self._process = self._process, None
        if process is None:
            return
        atexit.unregister(self.stop)
        process.watchdog.terminate()
        process.watchdog.wait()
        if process.watchdog.stdin is not None:
            process.watchdog.stdin.close()
        result = subprocess.run(
            process.stop_command(), capture_output=True, text=True, cwd=process.root, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"pg_ctl stop failed for the test server in {process.root}: "
                f"{(result.stderr or result.stdout).strip()}\n{_tail(process.log)}"
            )
        shutil.rmtree(process.root, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"PostgresServer({self.url(self.maintenance_database, driver=None)!r})"

    async def _execute(self, sql: str, database: str) -> None:
        connection = await asyncpg.connect(self.url(database, driver=None), timeout=15)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()


def quote_identifier(name: str) -> str:
    if not name or "\x00" in name:
        raise ValueError(f"not a usable PostgreSQL identifier: {name!r}")
    if len(name.encode()) > MAX_IDENTIFIER_BYTES:
        raise ValueError(f"PostgreSQL identifiers are at most {MAX_IDENTIFIER_BYTES} bytes: {name!r}")
    return '"' + name.replace('"', '""') + '"'


def _run(coroutine: Coroutine[Any, Any, _T]) -> _T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    # Called from inside an event loop (an async test or fixture): run on a loop of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _unprivileged_user() -> str:
    """initdb refuses to run as root, so the cluster belongs to a system account."""
    for name in ("postgres", SERVICE_USER):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    useradd = shutil.which("useradd")
    if useradd is None:
        raise PostgresUnavailable(
            "initdb refuses to run as root, and there is no `postgres` user nor `useradd` to create one"
        )
    result = subprocess.run(
        [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise PostgresUnavailable(f"could not create the system user {SERVICE_USER}: {result.stderr.strip()}")
    return SERVICE_USER


def _as_user(os_user: str | None, command: Sequence[str]) -> list[str]:
    if os_user is None:
        return list(command)
    runuser = shutil.which("runuser")
    if runuser is not None:
        return [runuser, "-u", os_user, "--", *command]
    setpriv = shutil.which("setpriv")
    if setpriv is not None:
        account = pwd.getpwnam(os_user)
        return [
            setpriv,
            f"--reuid={account.pw_uid}",
            f"--regid={account.pw_gid}",
            "--init-groups",
            "--",
            *command,
        ]
    raise PostgresUnavailable("running as root without `runuser` or `setpriv` to drop privileges for initdb")


def _server_env() -> dict[str, str]:
    # PG* variables of the caller would point the tools at some other cluster or user.
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    env["LC_MESSAGES"] = "C"
    return env


def _init_cluster(bindir: Path, root: Path, os_user: str | None) -> None:
    base = [str(bindir / "initdb"), "-D", str(root / "data"), "-U", SUPERUSER, "--auth=trust"]
    base += ["--encoding=UTF8", "--no-sync", "--no-instructions"]
    # Byte-order collation matches SQLite's and stays deterministic; a UTF-8 ctype lets pg_trgm see
    # accented letters as letters. Machines without the C.UTF-8 locale fall back to plain C.
    attempts = (["--locale=C.UTF-8", "--lc-collate=C"], ["--no-locale"])
    failure = ""
    for options in attempts:
        result = subprocess.run(
            _as_user(os_user, [*base, *options]),
            capture_output=True,
            text=True,
            cwd=root,
            env=_server_env(),
            check=False,
        )
        if result.returncode == 0:
            _write_config(root)
            return
        failure = (result.stderr or result.stdout).strip()
        shutil.rmtree(root / "data", ignore_errors=True)
        if "locale" not in failure:
            break
    raise PostgresUnavailable(f"initdb failed in {root}: {failure}")


def _write_config(root: Path) -> None:
    settings = {
        "listen_addresses": "'127.0.0.1'",
        "unix_socket_directories": "'" + str(root).replace("'", "''") + "'",
        # Durability is worthless for a throwaway cluster; these make commits and CREATE DATABASE cheap.
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "shared_buffers": "32MB",
        "max_connections": "200",
        "max_wal_size": "1GB",
        "log_min_messages": "warning",
        "log_min_error_statement": "panic",
    }
    with (root / "data" / "postgresql.conf").open("a", encoding="utf-8") as config:
        config.write("\n# referral_hub test server\n")
        config.writelines(f"{name} = {value}\n" for name, value in settings.items())


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _start_server(bindir: Path, root: Path, os_user: str | None) -> int:
    """Start the server on a free port; another process may take the port first, so try a few."""
    failure = ""
    for _ in range(5):
        port = _free_port()
        command = [str(bindir / "pg_ctl"), "start", "-D", str(root / "data"), "-l", str(root / "server.log")]
        command += ["-w", "-t", "60", "-o", f"-F -p {port}"]
        result = subprocess.run(
            _as_user(os_user, command),
            capture_output=True,
            text=True,
            cwd=root,
            env=_server_env(),
            check=False,
        )
        if result.returncode == 0:
            return port
        failure = f"{(result.stderr or result.stdout).strip()}\n{_tail(root / 'server.log')}"
        if "already in use" not in failure:
            break
    raise PostgresUnavailable(f"the PostgreSQL test server did not start: {failure}")


def _stop_command(bindir: Path, root: Path, os_user: str | None) -> list[str]:
    return _as_user(
        os_user, [str(bindir / "pg_ctl"), "stop", "-D", str(root / "data"), "-m", "fast", "-w", "-t", "60"]
    )


def _spawn_watchdog(bindir: Path, root: Path, os_user: str | None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", _WATCHDOG, str(root), *_stop_command(bindir, root, os_user)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _tail(log: Path, lines: int = 20) -> str:
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no server log)"
    return "server log:\n" + "\n".join(text.splitlines()[-lines:])
