"""The `referral-hub` command as an operator uses it: real processes, real databases."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from directory_import.store import recover_interrupted
from referral_hub.db.engine import create_engine

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
BALTIMORE = SHARED / "datasets" / "baltimore-ohana-csv"


def run_cli(args: list[str], database_url: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "REFERRAL_HUB_DATABASE_URL": database_url, **env}
    return subprocess.run(
        [sys.executable, "-m", "referral_hub.cli", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        check=False,
    )


def sqlite_path(url: str) -> str:
    return url.split("///", 1)[1]


def test_import_prints_a_json_summary_with_counts_and_rejections(database_url: str) -> None:
    result = run_cli(["import", str(BALTIMORE), "--json", "--source-name", "baltimore"], database_url)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["by_kind"]["service"]["created"] == 1876
    assert summary["rejected"] == sum(1 for i in summary["issues"] if i["severity"] == "rejected")
    assert all({"origin", "kind", "reason"} <= set(issue) for issue in summary["issues"])
    again = json.loads(
        run_cli(["import", str(BALTIMORE), "--json", "--source-name", "baltimore"], database_url).stdout
    )
    assert (again["created"], again["updated"], again["deactivated"]) == (0, 0, 0)


def test_an_unreadable_source_exits_non_zero_with_a_clear_message(sqlite_url: str, tmp_path: Path) -> None:
    result = run_cli(["import", str(tmp_path / "missing-export")], sqlite_url)
    assert result.returncode == 1
    assert "nothing imported" in result.stderr
    assert "missing-export" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_a_database_that_is_behind_and_names_the_command(tmp_path: Path) -> None:
    result = run_cli(["serve", "--port", "0"], f"sqlite+aiosqlite:///{tmp_path}/new.db")
    assert result.returncode == 1
    assert "referral-hub db upgrade" in result.stderr


def test_db_upgrade_creates_the_schema_and_the_need_vocabulary(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/fresh.db"
    result = run_cli(["db", "upgrade"], url)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(f"{tmp_path}/fresh.db") as db:
        codes = {row[0] for row in db.execute("SELECT code FROM need_categories")}
    assert {"food-insecurity", "housing-instability", "legal", "substance-use", "behavioral-health"} <= codes


@pytest.mark.anyio
async def test_an_import_killed_during_its_swap_is_rolled_back_by_the_next_one(sqlite_url: str) -> None:
    environment = {
        **os.environ,
        "REFERRAL_HUB_DATABASE_URL": sqlite_url,
        "REFERRAL_HUB_IMPORT_BATCH_SIZE": "50",
    }
    process = subprocess.Popen(  # noqa: ASYNC220 - the child is the point of the test
        [sys.executable, "-m", "referral_hub.cli", "import", str(BALTIMORE), "--json"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    path = sqlite_path(sqlite_url)
    deadline = time.monotonic() + 120
    applied = 0
    try:
        while time.monotonic() < deadline and process.poll() is None:
            with sqlite3.connect(path, timeout=30) as db:
                applied = db.execute("SELECT count(*) FROM hsds_taxonomy_terms").fetchone()[0]
            if applied >= 500:
                process.send_signal(signal.SIGKILL)
                break
            time.sleep(0.05)  # noqa: ASYNC251
    finally:
        process.wait(timeout=30)
    assert applied >= 500, "the import ended before the test could kill it mid-swap"
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM hsds_taxonomy_terms").fetchone()[0] > 0, (
            "half applied when killed"
        )
        # Two minutes of silence mark a run as abandoned; the test moves its heartbeat back, not the clock.
        db.execute("UPDATE import_runs SET heartbeat_at = '2000-01-01 00:00:00'")
    engine = create_engine(sqlite_url)
    try:
        recovered = await recover_interrupted(engine)
    finally:
        await engine.dispose()
    assert len(recovered) == 1
    with sqlite3.connect(path) as db:
        for table in (
            "hsds_taxonomy_terms",
            "hsds_services",
            "hsds_organizations",
            "service_categories",
            "import_undo",
        ):
            assert db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table
        assert db.execute("SELECT status FROM import_runs").fetchone()[0] == "aborted"
