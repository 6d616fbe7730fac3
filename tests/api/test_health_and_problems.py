"""`/health`, RFC 9457 problem details and the OpenAPI document, through the real app."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from referral_hub.app import create_app
from referral_hub.settings import DatabaseSettings, Settings


def test_health_reports_the_database(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok"
    assert body["database"]["backend"] in ("sqlite", "postgresql")


def test_unknown_routes_answer_problem_details(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        response = client.get("/no-such-thing")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"] == "/problems/not-found"
    assert body["status"] == 404
    assert body["instance"] == "/no-such-thing"


def test_a_wrong_method_answers_405_as_a_problem(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        response = client.post("/health")
    assert response.status_code == 405
    assert response.json()["type"] == "/problems/method-not-allowed"


def test_the_openapi_document_lists_the_routes(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        response = client.get("/schema/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/health" in paths
    assert "/hsds/services" in paths
    assert any(path.startswith("/hsds/services/{") for path in paths)


def _messages(error: BaseException) -> list[str]:
    if isinstance(error, BaseExceptionGroup):
        return [m for inner in error.exceptions for m in _messages(inner)]
    return [str(error)]


def test_the_app_refuses_to_start_on_a_database_without_schema(tmp_path: object) -> None:
    settings = Settings(database=DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path}/empty.db"))
    with pytest.raises(BaseExceptionGroup) as caught, TestClient(create_app(settings)):
        pass
    assert any("referral-hub db upgrade" in message for message in _messages(caught.value))
