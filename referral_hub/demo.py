"""The demo network: a real 211 directory shipped in the package, loaded into the embedded database."""

from __future__ import annotations

from importlib import resources

from directory_import.pipeline import import_source
from referral_hub.db.engine import create_engine
from referral_hub.search.backends import build_search_backend
from referral_hub.settings import Settings

DEMO_SOURCE_NAME = "demo: Baltimore 211 (Ohana CSV, 2019)"


async def load_demo(settings: Settings) -> list[str]:
    """Import (or refresh) the demo directory; returns what the command prints."""
    archive = resources.files("referral_hub") / "demo_data" / "baltimore-ohana-csv.zip"
    engine = create_engine(settings.database.url)
    backend = build_search_backend(settings, engine)
    try:
        summary = await import_source(
            engine,
            str(archive),
            format="ohana-csv",
            source_name=DEMO_SOURCE_NAME,
            batch_size=settings.imports.batch_size,
        )
        # A rebuild, not a refresh: the demo database may predate the search index (1,876 services, ~1 s).
        documents = await backend.rebuild()
    finally:
        await backend.close()
        await engine.dispose()
    services = summary.by_kind.get("service")
    active = (services.created + services.updated + services.unchanged) if services else 0
    return [
        f"demo directory: {active} services from {DEMO_SOURCE_NAME} "
        f"({summary.created} records created, {summary.updated} updated, {summary.unchanged} unchanged)",
        f"search index ({backend.name}): {documents} documents",
        f"database: {settings.database.url}",
    ]
