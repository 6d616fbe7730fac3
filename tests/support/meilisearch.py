"""A throwaway Meilisearch 1.21 server for the test session, from the binary pinned in tests/meilisearch."""

from __future__ import annotations

import atexit
import hashlib
import os
import secrets
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import NamedTuple, NoReturn

import httpx
import pytest

URL_ENV = "REFERRAL_HUB_MEILISEARCH_URL"
API_KEY_ENV = "REFERRAL_HUB_MEILISEARCH_API_KEY"
# CI sets this: there a Meilisearch test that cannot run is a failure, never a quiet skip.
REQUIRE_ENV = "REFERRAL_HUB_REQUIRE_MEILISEARCH"
PACKAGE_DIR = Path(__file__).resolve().parents[1] / "meilisearch"
# The npm package (a third-party repackage of the official release, pinned in package-lock.json) ships
# the bare executable at its root, without the execute bit.
BINARY = PACKAGE_DIR / "node_modules" / "@gaubee" / "meilisearch-linux-amd64" / "meilisearch"
# Meilisearch 1.21.0 linux-amd64; checked before every start because the package is not the vendor's own.
BINARY_SHA256 = "5354d854974433f8f903e59347c1c6a7f2ad947f21b3402a2cc01e07b1c952e0"
INSTALL_HINT = f"run `npm ci --ignore-scripts` in tests/meilisearch, or set {URL_ENV}"
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0

# Runs detached from the test process: it blocks on a pipe whose only writer is the test process, so
# it wakes when that process ends in any way (even SIGKILL) and stops the server it left behind. The
# command-line check keeps it from signalling an unrelated process that reused the pid.
_WATCHDOG = """
import os, pathlib, shutil, signal, sys, time
sys.stdin.buffer.read()
pid, root = int(sys.argv[1]), sys.argv[2]
def ours():
    try:
        return root.encode() in pathlib.Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
for sig in (signal.SIGTERM, signal.SIGKILL):
    if not ours():
        break
    os.kill(pid, sig)
    for _ in range(100):
        if not ours():
            break
        time.sleep(0.1)
shutil.rmtree(root, ignore_errors=True)
"""


class MeilisearchUnavailable(RuntimeError):
    """No Meilisearch server can be had for the tests; the message says why."""


class MeilisearchEndpoint(NamedTuple):
    """Where the tests reach Meilisearch; `api_key` is the master key (None for a keyless server)."""

    url: str
    api_key: str | None

    def headers(self) -> dict[str, str]:
        return {} if self.api_key is None else {"Authorization": f"Bearer {self.api_key}"}


def meilisearch_required() -> bool:
    """Whether REFERRAL_HUB_REQUIRE_MEILISEARCH asks for failures instead of skips."""
    value = os.environ.get(REQUIRE_ENV, "").strip().lower()
    if value in ("", "0", "false", "no"):
        return False
    if value in ("1", "true", "yes"):
        return True
    raise ValueError(f"{REQUIRE_ENV} must be 1 or 0, not {value!r}")


def meilisearch_unavailable(reason: str) -> NoReturn:
    """Skip the test for `reason`, or fail it when REFERRAL_HUB_REQUIRE_MEILISEARCH=1."""
    message = f"no Meilisearch server for the tests: {reason}"
    if meilisearch_required():
        pytest.fail(f"{message}\n({REQUIRE_ENV}=1: these tests must run, not skip)", pytrace=False)
    pytest.skip(f"{message} (set {REQUIRE_ENV}=1 to make this a failure)")


def start_or_skip(*, use_env: bool = True) -> MeilisearchServer:
    """`MeilisearchServer.start()`, or `meilisearch_unavailable` with the reason it could not."""
    try:
        return MeilisearchServer.start(use_env=use_env)
    except MeilisearchUnavailable as error:
        reason = str(error)
    meilisearch_unavailable(reason)


def require_binary() -> Path:
    """`find_binary()`, or `meilisearch_unavailable` with the reason it could not."""
    try:
        return find_binary()
    except MeilisearchUnavailable as error:
        reason = str(error)
    meilisearch_unavailable(reason)


def find_binary() -> Path:
    """The pinned Meilisearch executable, checked against its sha256 and made executable."""
    if not sys.platform.startswith("linux") or os.uname().machine not in ("x86_64", "amd64"):
        raise MeilisearchUnavailable(
            f"the pinned Meilisearch binary is for linux x86-64, not {sys.platform} {os.uname().machine}; "
            f"set {URL_ENV} to a running Meilisearch 1.21 server"
        )
    if not BINARY.is_file():
        raise MeilisearchUnavailable(f"no Meilisearch binary at {BINARY}: {INSTALL_HINT}")
    digest = _sha256(BINARY)
    if digest != BINARY_SHA256:
        raise MeilisearchUnavailable(
            f"{BINARY} has sha256 {digest}, expected {BINARY_SHA256}: the package is not the pinned "
            f"Meilisearch 1.21.0; delete tests/meilisearch/node_modules, then {INSTALL_HINT}"
        )
    mode = BINARY.stat().st_mode
    if mode & stat.S_IXUSR == 0:
        try:
            BINARY.chmod(mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        except OSError as error:
            raise MeilisearchUnavailable(f"cannot make {BINARY} executable: {error}") from error
    return BINARY


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class _OwnedProcess:
    server: subprocess.Popen[bytes]
    root: Path
    port: int
    watchdog: subprocess.Popen[bytes]

    @property
    def log(self) -> Path:
        return self.root / "server.log"


class MeilisearchServer:
    """A Meilisearch server reachable over HTTP; `api_key` is its master key (None when it has none)."""

    def __init__(self, *, url: str, api_key: str | None, process: _OwnedProcess | None = None) -> None:
        self.url = url.rstrip("/")
        self.api_key = api_key
        self._process = process

    @classmethod
    def start(cls, *, use_env: bool = True) -> MeilisearchServer:
        """Start a fresh server (or, when REFERRAL_HUB_MEILISEARCH_URL is set, use that one)."""
        if use_env and (url := os.environ.get(URL_ENV, "").strip()):
            return cls.from_url(url, os.environ.get(API_KEY_ENV, "").strip() or None)
        binary = find_binary()
        master_key = secrets.token_urlsafe(32)
        root = Path(tempfile.mkdtemp(prefix="referral-hub-meili-"))
        try:
            process = _start_process(binary, root, master_key)
        except BaseException:
            shutil.rmtree(root, ignore_errors=True)
            raise
        server = cls(url=f"http://127.0.0.1:{process.port}", api_key=master_key, process=process)
        atexit.register(server.stop)
        return server

    @classmethod
    def from_url(cls, url: str, api_key: str | None = None) -> MeilisearchServer:
        """A server that is already running, which must accept `api_key`; `stop()` leaves it running."""
        scheme = url.split("://", 1)[0] if "://" in url else ""
        if scheme not in ("http", "https"):
            raise ValueError(f"{URL_ENV} must be an http:// or https:// URL, not {url!r}")
        server = cls(url=url, api_key=api_key)
        where = f"the Meilisearch server at {server.url} ({URL_ENV}, {API_KEY_ENV})"
        try:
            # /version needs a key whenever the server has a master key, unlike /health.
            response = httpx.get(f"{server.url}/version", headers=server.headers(), timeout=10)
        except httpx.HTTPError as error:
            raise MeilisearchUnavailable(f"{where}: {error}") from error
        if response.status_code != 200:
            raise MeilisearchUnavailable(
                f"{where} answered GET /version with {response.status_code}: {response.text[:300]}"
            )
        return server

    @property
    def owns_process(self) -> bool:
        """Whether this object started the server (and `stop()` shuts it down)."""
        return self._process is not None

    @property
    def pid(self) -> int | None:
        """The server's process id, when this object started it."""
        return None if self._process is None else self._process.server.pid

    def headers(self) -> dict[str, str]:
        """The Authorization header for the master key (empty when the server has no key)."""
        return {} if self.api_key is None else {"Authorization": f"Bearer {self.api_key}"}

    def stop(self) -> None:
        """Shut down a server this object started and remove its files; safe to call twice."""
        process, self._process = self._process, None
        if process is None:
            return
        atexit.unregister(self.stop)
        _end_watchdog(process.watchdog)
        try:
            _terminate(process.server)
        finally:
            shutil.rmtree(process.root, ignore_errors=True)

    def __enter__(self) -> MeilisearchServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"MeilisearchServer({self.url!r})"


def _server_env(master_key: str) -> dict[str, str]:
    # MEILI_* variables of the caller (MEILI_ENV, MEILI_CONFIG_FILE_PATH, ...) would change the server.
    env = {key: value for key, value in os.environ.items() if not key.startswith("MEILI_")}
    # In the environment rather than on the command line, which every user of the machine can read.
    env["MEILI_MASTER_KEY"] = master_key
    # Plain text in server.log, which failures quote.
    env["NO_COLOR"] = "1"
    return env


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _command(binary: Path, root: Path, port: int) -> list[str]:
    return [
        str(binary),
        "--http-addr",
        f"127.0.0.1:{port}",
        "--db-path",
        str(root / "data.ms"),
        "--dump-dir",
        str(root / "dumps"),
        "--snapshot-dir",
        str(root / "snapshots"),
        # Production mode as deployed: the master key is required and the search preview page is off.
        "--env",
        "production",
        "--no-analytics",
        "--log-level",
        "WARN",
        # The default budget, 2/3 of the machine's RAM, made each small indexing task take 0.1-2 s
        # (measured on a 24 GB machine); with 256 MiB one takes 10-25 ms.
        "--max-indexing-memory",
        "256MiB",
        # Every pytest-xdist worker starts its own server on machines with few cores.
        "--max-indexing-threads",
        "2",
    ]


def _start_process(binary: Path, root: Path, master_key: str) -> _OwnedProcess:
    """Start the server on a free port; another process may take the port first, so try a few."""
    failure = ""
    for _ in range(5):
        port = _free_port()
        log = root / "server.log"
        with log.open("wb") as output:
            server = subprocess.Popen(
                _command(binary, root, port),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=root,
                env=_server_env(master_key),
            )
        try:
            watchdog = _spawn_watchdog(server.pid, root)
        except BaseException:
            _terminate(server)
            raise
        try:
            _wait_healthy(server, port, log)
        except MeilisearchUnavailable as error:
            _end_watchdog(watchdog)
            _terminate(server)
            failure = str(error)
            if "in use" not in failure:
                break
            continue
        except BaseException:
            _end_watchdog(watchdog)
            _terminate(server)
            raise
        return _OwnedProcess(server=server, root=root, port=port, watchdog=watchdog)
    raise MeilisearchUnavailable(f"the Meilisearch test server did not start: {failure}")


def _wait_healthy(server: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    url = f"http://127.0.0.1:{port}/health"
    with httpx.Client(timeout=2) as client:
        while True:
            if server.poll() is not None:
                raise MeilisearchUnavailable(
                    f"meilisearch exited with status {server.returncode}\n{_tail(log)}"
                )
            try:
                if client.get(url).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise MeilisearchUnavailable(
                    f"meilisearch did not answer {url} within {STARTUP_TIMEOUT:.0f} s\n{_tail(log)}"
                )
            time.sleep(0.05)


def _spawn_watchdog(pid: int, root: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", _WATCHDOG, str(pid), str(root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _end_watchdog(watchdog: subprocess.Popen[bytes]) -> None:
    # Killed before it reads end-of-file, so it never touches the server this process stops itself.
    watchdog.kill()
    watchdog.wait()
    if watchdog.stdin is not None:
        watchdog.stdin.close()


def _terminate(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _tail(log: Path, lines: int = 20) -> str:
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no server log)"
    return "server log:\n" + "\n".join(text.splitlines()[-lines:])
