"""The Meilisearch 1.21 test server: start, auth, index and search over HTTP and the official client, stop."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import meilisearch
import pytest
from meilisearch.errors import MeilisearchApiError

from tests.support import meilisearch as support
from tests.support.meilisearch import (
    API_KEY_ENV,
    REQUIRE_ENV,
    URL_ENV,
    MeilisearchEndpoint,
    MeilisearchServer,
    MeilisearchUnavailable,
    require_binary,
    start_or_skip,
)

REPOSITORY = Path(__file__).resolve().parents[2]
SERVICES = [
    {"id": "pantry-1", "name": "Eastside Food Pantry", "languages": ["en", "es"], "zip": "21205"},
    {"id": "pantry-2", "name": "Westside Food Bank", "languages": ["en"], "zip": "21223"},
    {"id": "shelter-1", "name": "Harbor Family Shelter", "languages": ["en", "es"], "zip": "21230"},
]


@pytest.fixture
def owned_server() -> Iterator[MeilisearchServer]:
    """A server this test starts itself, whatever REFERRAL_HUB_MEILISEARCH_URL says."""
    server = start_or_skip(use_env=False)
    try:
        yield server
    finally:
        server.stop()


def _port_accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except ConnectionRefusedError:
        return False


def _wait_for_task(client: httpx.Client, response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 202, response.text
    uid = response.json()["taskUid"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        task: dict[str, Any] = client.get(f"/tasks/{uid}").json()
        if task["status"] not in ("enqueued", "processing"):
            return task
        time.sleep(0.02)
    raise AssertionError(f"task {uid} still unfinished after 30 s")


def _until(condition: Any, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_started_server_is_1_21_indexes_and_searches_with_the_master_key_only_then_stops(
    owned_server: MeilisearchServer,
) -> None:
    server = owned_server
    port = int(server.url.rsplit(":", 1)[1])
    assert server.owns_process
    assert server.url == f"http://127.0.0.1:{port}"
    assert server.api_key is not None
    assert len(server.api_key) >= 16

    with httpx.Client(base_url=server.url, headers=server.headers(), timeout=10) as client:
        assert client.get("/health").json() == {"status": "available"}
        assert client.get("/version").json()["pkgVersion"].startswith("1.21.")

        created = _wait_for_task(
            client, client.post("/indexes", json={"uid": "services", "primaryKey": "id"})
        )
        assert (created["status"], created["type"]) == ("succeeded", "indexCreation")
        added = _wait_for_task(client, client.post("/indexes/services/documents", json=SERVICES))
        assert added["status"] == "succeeded", added["error"]
        assert added["details"] == {"receivedDocuments": 3, "indexedDocuments": 3}

        result = client.post("/indexes/services/search", json={"q": "food pantry"}).json()
        assert result["hits"][0]["id"] == "pantry-1"
        typo = client.post("/indexes/services/search", json={"q": "sheltr"}).json()
        assert [hit["id"] for hit in typo["hits"]] == ["shelter-1"]

    wrong = httpx.get(f"{server.url}/indexes/services/search", headers={"Authorization": "Bearer wrong-key"})
    assert wrong.status_code == 403
    assert wrong.json()["code"] == "invalid_api_key"
    missing = httpx.post(f"{server.url}/indexes/services/search", json={"q": "food"})
    assert missing.status_code == 401
    assert missing.json()["code"] == "missing_authorization_header"

    pid = server.pid
    assert pid is not None
    server.stop()
    assert not server.owns_process
    assert not _port_accepts(port)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    server.stop()


def test_official_client_filters_after_settings_update_and_reports_failed_tasks_without_raising(
    meilisearch_server: MeilisearchEndpoint, meilisearch_index_prefix: str
) -> None:
    client = meilisearch.Client(meilisearch_server.url, meilisearch_server.api_key)
    assert client.get_version()["pkgVersion"].startswith("1.21.")
    uid = f"{meilisearch_index_prefix}services"

    created = client.wait_for_task(client.create_index(uid, {"primaryKey": "id"}).task_uid)
    assert created.status == "succeeded"
    index = client.index(uid)
    settings = client.wait_for_task(index.update_filterable_attributes(["languages", "zip"]).task_uid)
    assert settings.status == "succeeded"
    assert index.get_filterable_attributes() == ["languages", "zip"]
    added = client.wait_for_task(index.add_documents(SERVICES).task_uid, timeout_in_ms=30_000)
    assert added.status == "succeeded", added.error

    spanish = index.search("food", {"filter": "languages = es"})
    assert [hit["id"] for hit in spanish["hits"]] == ["pantry-1"]
    both = index.search("", {"filter": ["languages = es", "zip = 21230"]})
    assert [hit["id"] for hit in both["hits"]] == ["shelter-1"]
    assert both["estimatedTotalHits"] == 1

    # The search refuses a filter on an attribute that is not filterable, naming it.
    with pytest.raises(MeilisearchApiError) as refused:
        index.search("food", {"filter": "name = x"})
    assert (refused.value.status_code, refused.value.code) == (400, "invalid_search_filter")
    assert "`name` is not filterable" in refused.value.message

    # wait_for_task returns a failed task instead of raising: callers must check the status.
    rejected = client.wait_for_task(index.add_documents([{"id": "not valid!", "name": "x"}]).task_uid)
    assert rejected.status == "failed"
    assert rejected.error is not None
    assert rejected.error["code"] == "invalid_document_id"
    assert index.get_stats().number_of_documents == 3

    duplicate = client.wait_for_task(client.create_index(uid).task_uid)
    assert duplicate.status == "failed"
    assert duplicate.error is not None
    assert duplicate.error["code"] == "index_already_exists"


def test_server_named_by_the_environment_is_used_and_left_running(
    owned_server: MeilisearchServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(URL_ENV, owned_server.url + "/")
    monkeypatch.setenv(API_KEY_ENV, owned_server.api_key or "")
    borrowed = MeilisearchServer.start()
    assert not borrowed.owns_process
    assert (borrowed.url, borrowed.api_key) == (owned_server.url, owned_server.api_key)
    borrowed.stop()
    assert httpx.get(f"{owned_server.url}/health").json() == {"status": "available"}


def test_server_named_with_a_wrong_key_is_refused_with_the_reason(owned_server: MeilisearchServer) -> None:
    with pytest.raises(MeilisearchUnavailable, match=r"answered GET /version with 403: .*invalid_api_key"):
        MeilisearchServer.from_url(owned_server.url, "not-the-master-key")
    with pytest.raises(MeilisearchUnavailable, match=r"with 401: .*missing_authorization_header"):
        MeilisearchServer.from_url(owned_server.url)


def test_tampered_binary_is_refused_and_the_pinned_one_made_executable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    binary = tmp_path / "meilisearch"
    binary.write_bytes(b"#!/bin/sh\necho 'meilisearch 1.21.0'\n")
    binary.chmod(0o644)
    monkeypatch.setattr(support, "BINARY", binary)
    with pytest.raises(MeilisearchUnavailable, match=r"has sha256 [0-9a-f]{64}, expected 5354d854"):
        support.find_binary()
    assert not os.access(binary, os.X_OK)

    monkeypatch.setattr(support, "BINARY_SHA256", hashlib.sha256(binary.read_bytes()).hexdigest())
    assert support.find_binary() == binary
    assert os.access(binary, os.X_OK)

    binary.unlink()
    with pytest.raises(MeilisearchUnavailable, match=r"no Meilisearch binary at .*npm ci --ignore-scripts"):
        support.find_binary()


def test_unreachable_or_malformed_server_urls_are_refused_with_the_reason() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with pytest.raises(MeilisearchUnavailable, match=rf"127\.0\.0\.1:{closed_port} \({URL_ENV}, "):
        MeilisearchServer.from_url(f"http://127.0.0.1:{closed_port}")
    with pytest.raises(ValueError, match=URL_ENV):
        MeilisearchServer.from_url("127.0.0.1:7700")


def test_server_dies_with_a_test_process_that_is_killed() -> None:
    require_binary()
    script = textwrap.dedent(
        """
        import sys, time
        from tests.support.meilisearch import MeilisearchServer
        server = MeilisearchServer.start(use_env=False)
        print(server.url, server.pid, flush=True)
        time.sleep(600)
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script], cwd=REPOSITORY, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        url, pid = child.stdout.readline().split()
        assert httpx.get(f"{url}/health").status_code == 200
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
        root = Path(arguments[arguments.index("--db-path") + 1]).parent
        assert root.is_dir()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        if child.stdout is not None:
            child.stdout.close()
    port = int(url.rsplit(":", 1)[1])
    assert _until(lambda: not _port_accepts(port)), f"the orphaned server on {url} is still running"
    assert _until(lambda: not Path(f"/proc/{pid}").exists() or _is_zombie(int(pid)))
    assert _until(lambda: not root.exists()), f"{root} was left behind"


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except OSError:
        return True


@pytest.mark.parametrize(
    ("required", "outcome"),
    [("0", "1 skipped"), ("1", "1 error")],
)
def test_fixture_skips_without_a_server_but_fails_when_ci_requires_one(
    tmp_path: Path, required: str, outcome: str
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    (tmp_path / "pytest.ini").write_text("[pytest]\nfilterwarnings = error\n", encoding="utf-8")
    (tmp_path / "test_needs_meilisearch.py").write_text(
        "def test_search(meilisearch_server):\n    assert meilisearch_server.url\n", encoding="utf-8"
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    env |= {URL_ENV: f"http://127.0.0.1:{closed_port}", REQUIRE_ENV: required}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-rs", "-p", "tests.support.meilisearch_fixtures", str(tmp_path)],
        cwd=REPOSITORY,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert outcome in result.stdout, result.stdout + result.stderr
    reason = f"no Meilisearch server for the tests: the Meilisearch server at http://127.0.0.1:{closed_port}"
    assert reason in result.stdout
    assert result.returncode == (0 if required == "0" else 1)
