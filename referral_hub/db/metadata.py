"""Every model module, imported so that Alembic and the drift check see the whole schema."""

from __future__ import annotations

from sqlalchemy import MetaData


# Tables the migrations make that are no models (FTS5 and R*Tree virtual tables and their shadow
# tables on SQLite); the drift check and autogenerate leave them alone.
EXTERNAL_TABLE_PREFIXES = ("search_fts", "search_trigrams", "search_geo")


def is_external_table(name: str | None) -> bool:
    return name is not None and name.startswith(EXTERNAL_TABLE_PREFIXES)


def include_name(name: str | None, type_: str, _parent: object) -> bool:
    """Alembic's include_name hook: skip the external tables."""
    return not (type_ == "table" and is_external_table(name))


def target_metadata() -> MetaData:
    # Imported here, not at module top, so that `db` imports nothing above it at import time.
    import referral_hub.directory.models  # noqa: PLC0415
    import referral_hub.networks.models  # noqa: F401, PLC0415
    import referral_hub.search.models  # noqa: F401, PLC0415
    from referral_hub.db.base import Base  # noqa: PLC0415

    return Base.metadata
