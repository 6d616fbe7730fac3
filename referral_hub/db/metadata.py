"""Every model module, imported so that Alembic and the drift check see the whole schema."""

from __future__ import annotations

from sqlalchemy import MetaData


def target_metadata() -> MetaData:
    # Imported here, not at module top, so that `db` imports nothing above it at import time.
    import referral_hub.directory.models  # noqa: PLC0415
    import referral_hub.networks.models  # noqa: F401, PLC0415
    from referral_hub.db.base import Base  # noqa: PLC0415

    return Base.metadata
