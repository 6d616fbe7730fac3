"""Every model module, imported so that Alembic and the drift check see the whole schema."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import MetaData

# Tables the migrations make that are no models (FTS5 and R*Tree virtual tables and their shadow
# tables on SQLite, the typo vocabulary and time zones of the search index on PostgreSQL); the drift
# check and autogenerate leave them alone.
EXTERNAL_TABLE_PREFIXES = ("search_fts", "search_trigrams", "search_geo", "search_pg_")

# (table, "column" or "index", name) that one dialect's migration adds to a model's table: on
# PostgreSQL the generated tsvector column of the search index and its GIN index.
EXTERNAL_TABLE_PARTS = frozenset(
    {
        ("search_documents", "column", "search_vector"),
        ("search_documents", "index", "ix_search_documents_search_vector"),
    }
)


def is_external_table(name: str | None) -> bool:
    return name is not None and name.startswith(EXTERNAL_TABLE_PREFIXES)


def include_name(name: str | None, type_: str, parent_names: Mapping[str, str | None]) -> bool:
    """Alembic's include_name hook: skip the external tables and the external parts of model tables."""
    if type_ == "table":
        return not is_external_table(name)
    return (parent_names.get("table_name"), type_, name) not in EXTERNAL_TABLE_PARTS


def target_metadata() -> MetaData:
    # Imported here, not at module top, so that `db` imports nothing above it at import time.
    import referral_hub.directory.models  # noqa: PLC0415
    import referral_hub.networks.models  # noqa: PLC0415
    import referral_hub.search.models  # noqa: F401, PLC0415
    from referral_hub.db.base import Base  # noqa: PLC0415

    return Base.metadata
