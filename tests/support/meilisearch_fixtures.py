"""Pytest fixtures for a Meilisearch server: one per test session (so one per pytest-xdist worker)."""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Iterator

import httpx
import pytest

from tests.support.meilisearch import MeilisearchEndpoint, start_or_skip

_counter = itertools.count()


@pytest.fixture(scope="session")
def meilisearch_server() -> Iterator[MeilisearchEndpoint]:
    """A server started for this session, or the one REFERRAL_HUB_MEILISEARCH_URL names (with its
    REFERRAL_HUB_MEILISEARCH_API_KEY)."""
    server = start_or_skip()
    try:
        yield MeilisearchEndpoint(server.url, server.api_key)
    finally:
        server.stop()


@pytest.fixture
def meilisearch_index_prefix(meilisearch_server: MeilisearchEndpoint) -> Iterator[str]:
    """A prefix for index uids that no other test (nor another worker or CI run sharing the server)
    uses; the indexes named with it are deleted after the test."""
    prefix = f"rh_test_{os.getpid()}_{secrets.token_hex(3)}_{next(_counter)}_"
    yield prefix
    with httpx.Client(base_url=meilisearch_server.url, headers=meilisearch_server.headers()) as client:
        response = client.get("/indexes", params={"limit": 1000})
        response.raise_for_status()
        for index in response.json()["results"]:
            if index["uid"].startswith(prefix):
                client.delete(f"/indexes/{index['uid']}").raise_for_status()
