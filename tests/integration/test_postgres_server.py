"""The throwaway PostgreSQL server the suite runs against: start, template copies, extensions, stop."""

from __future__ import annotations

import asyncio
import socket

import asyncpg  # type: ignore[import-untyped]
import pytest

from tests.support.postgres import URL_ENV, PostgresServer

pytestmark = pytest.mark.postgres


def _port_accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except ConnectionRefusedError:
        return False


async def _fetch(url: str, sql: str) -> list[tuple[object, ...]]:
    connection = await asyncpg.connect(url)
    try:
        return [tuple(row) for row in await connection.fetch(sql)]
    finally:
        await connection.close()


async def _search_functions(url: str) -> tuple[object, ...]:
    connection = await asyncpg.connect(url)
    try:
        # The template's extension must have come along with the copy; the others are created here.
        installed = await connection.fetchval("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'")
        await connection.execute(
            "CREATE EXTENSION unaccent; CREATE EXTENSION cube; CREATE EXTENSION earthdistance"
        )
        row = await connection.fetchrow(
            """
            SELECT similarity('food pantry', 'Food Pantries'),
                   unaccent('Atención en español'),
                   earth_distance(ll_to_earth(39.2904, -76.6122), ll_to_earth(38.9072, -77.0369)) / 1000,
                   upper('café'),
                   current_setting('fsync'),
                   current_setting('max_connections')
            """
        )
    finally:
        await connection.close()
    return (installed, *tuple(row))


def test_started_server_copies_templates_runs_search_extensions_and_stops() -> None:
    server = PostgresServer.start(use_env=False)
    try:
        port = server.port
        assert server.owns_process
        assert server.url("postgres") == f"postgresql+asyncpg://referral_hub_test@127.0.0.1:{port}/postgres"

        server.create_database("rh_template")
        server.execute("CREATE EXTENSION pg_trgm", database="rh_template")
        copy_url = server.create_database("rh_copy", template="rh_template")
        assert copy_url == f"postgresql+asyncpg://referral_hub_test@127.0.0.1:{port}/rh_copy"

        installed, similarity, unaccented, km, upper, fsync, max_connections = asyncio.run(
            _search_functions(server.url("rh_copy", driver=None))
        )
        assert installed == 1
        assert isinstance(similarity, float)
        assert similarity > 0.3
        assert unaccented == "Atencion en espanol"
        assert isinstance(km, float)
        assert 50 < km < 60
        # A UTF-8 ctype: accented letters are letters (pg_trgm and upper() depend on it).
        assert upper == "CAFÉ"
        assert (fsync, max_connections) == ("off", "200")

        server.drop_database("rh_copy")
        databases = asyncio.run(_fetch(server.url(driver=None), "SELECT datname FROM pg_database"))
        assert ("rh_template",) in databases
        assert ("rh_copy",) not in databases
    finally:
        server.stop()

    assert not _port_accepts(port)
    server.stop()


def test_existing_server_from_url_or_environment_is_used_and_left_running(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with PostgresServer.start(use_env=False) as owner:
        monkeypatch.setenv(URL_ENV, owner.url("postgres", driver=None))
        borrowed = PostgresServer.start()
        assert not borrowed.owns_process
        assert (borrowed.host, borrowed.port, borrowed.user) == ("127.0.0.1", owner.port, "referral_hub_test")

        url = borrowed.create_database("borrowed db")
        assert url.endswith(f":{owner.port}/borrowed%20db")
        borrowed.stop()

        assert _port_accepts(owner.port)
        assert asyncio.run(_fetch(owner.url("borrowed db", driver=None), "SELECT current_database()")) == [
            ("borrowed db",)
        ]
        borrowed.drop_database("borrowed db")
        borrowed.drop_database("borrowed db")


def test_from_url_keeps_credentials_and_refuses_other_schemes() -> None:
    server = PostgresServer.from_url("postgresql+asyncpg://rh%40ci:p%2Fss@db.local:6543/maint")
    assert (server.user, server.password, server.port, server.maintenance_database) == (
        "rh@ci",
        "p/ss",
        6543,
        "maint",
    )
    assert server.url("x", driver=None) == "postgresql://rh%40ci:p%2Fss@db.local:6543/x"

    with pytest.raises(ValueError, match=URL_ENV):
        PostgresServer.from_url("mysql://root@127.0.0.1/db")


def test_database_names_postgres_would_truncate_are_refused_before_reaching_the_server() -> None:
    # Nothing listens on this address: the refusal must come before any connection attempt.
    server = PostgresServer.from_url("postgresql://nobody@127.0.0.1:9/postgres")
    with pytest.raises(ValueError, match="at most 63 bytes"):
        server.create_database("x" * 64)
    with pytest.raises(ValueError, match="not a usable"):
        server.drop_database("")
