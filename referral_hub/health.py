"""`GET /health`: whether the database (and later the search backend) answers."""

from __future__ import annotations

import time

import msgspec
from litestar import Controller, Response, get
from litestar.datastructures import State
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from referral_hub import __version__


class ComponentHealth(msgspec.Struct, omit_defaults=True):
    status: str
    backend: str | None = None
    latency_ms: float | None = None
    detail: str | None = None


class Health(msgspec.Struct):
    status: str
    version: str
    database: ComponentHealth
    search: ComponentHealth


async def database_health(engine: AsyncEngine) -> ComponentHealth:
    started = time.perf_counter()
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:
        return ComponentHealth(status="down", backend=engine.dialect.name, detail=type(exc).__name__)
    latency = round((time.perf_counter() - started) * 1000, 2)
    return ComponentHealth(status="ok", backend=engine.dialect.name, latency_ms=latency)


class HealthController(Controller):
    path = "/health"
    tags = ["health"]

    @get("/", summary="Service health", cache=False)
    async def health(self, state: State) -> Response[Health]:
        database = await database_health(state.engine)
        search: ComponentHealth = await state.search.backend.health()
        # A search index that is still being built ("degraded") answers, so the service is up.
        status = "ok" if database.status == "ok" and search.status in ("ok", "degraded") else "down"
        body = Health(status=status, version=__version__, database=database, search=search)
        return Response(body, status_code=200 if status == "ok" else 503)
