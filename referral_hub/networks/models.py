"""The `networks` table: every organization, client and directory source belongs to one."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from referral_hub.db.base import Base
from referral_hub.db.types import UTCDateTime, utcnow

# Fixed so that the first migration, the demo and every deployment agree on the default network's id.
DEFAULT_NETWORK_ID = uuid.UUID("6f1c1d2e-0000-4000-8000-000000000001")
DEFAULT_NETWORK_SLUG = "default"


class Network(Base):
    __tablename__ = "networks"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(Text)
    time_zone: Mapped[str] = mapped_column(String(64))
    # Named rule set for business days (e.g. "us-federal"); extra closed days live in network_holidays.
    holiday_calendar: Mapped[str] = mapped_column(String(64))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    # Per-network policy (overdue limits, outcome vocabulary) added by later revisions stays here.
    settings: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        # At most one default network.
        Index(
            "uq_networks_default",
            "is_default",
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
    )


class NetworkHoliday(Base):
    __tablename__ = "network_holidays"

    network_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("networks.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
