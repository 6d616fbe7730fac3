"""create_app(): the one composition root of the referral_hub web service."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from sqlalchemy.ext.asyncio import AsyncSession

from referral_hub import __version__
from referral_hub.db.engine import create_engine, session_factory
from referral_hub.db.migrate import ensure_current
from referral_hub.directory.api import hsds_router
from referral_hub.health import HealthController
from referral_hub.logs import configure_logging
from referral_hub.problems import EXCEPTION_HANDLERS
from referral_hub.search.api import SearchController
from referral_hub.search.backends import build_search_backend
from referral_hub.search.service import SearchService
from referral_hub.settings import Settings, get_settings

log = logging.getLogger("referral_hub.app")


async def provide_db_session(state: State) -> AsyncGenerator[AsyncSession, None]:
    """One session per request; services decide when a unit of work commits."""
    async with state.session_factory() as session:
        yield session


def create_app(settings: Settings | None = None, *, check_schema: bool = True) -> Litestar:
    """Build the app; nothing is connected until its lifespan starts."""
    settings = settings or get_settings()
    configure_logging(settings.log.level, settings.log.format)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        engine = create_engine(settings.database.url)
        try:
            if check_schema:
                await ensure_current(engine, settings.database.url)
            app.state.engine = engine
            app.state.session_factory = session_factory(engine)
            backend = build_search_backend(settings, engine)
            try:
                app.state.search = await SearchService.build(backend, engine)
                # The search server's version and reachability are checked once here; /health repeats it.
                search = await backend.health()
                log.log(
                    logging.INFO if search.status == "ok" else logging.ERROR,
                    "started",
                    extra={
                        "database": engine.dialect.name,
                        "search": search.backend or backend.name,
                        "search_status": search.status,
                        "search_detail": search.detail,
                        "version": __version__,
                    },
                )
                yield
            finally:
                await backend.close()
        finally:
            await engine.dispose()

    return Litestar(
        route_handlers=[HealthController, hsds_router, SearchController],
        dependencies={"db_session": Provide(provide_db_session)},
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[lifespan],
        state=State({"settings": settings}),
        openapi_config=OpenAPIConfig(
            title="referral_hub",
            version=__version__,
            path="/schema",
            render_plugins=[ScalarRenderPlugin()],
        ),
        # Logging is ours (referral_hub.logs), not Litestar's default queue handler on the root logger.
        logging_config=None,
        debug=False,
    )
