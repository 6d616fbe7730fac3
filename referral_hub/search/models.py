"""The embedded search index: documents, their facet values and opening intervals, in the app's database.

On SQLite the migration adds an FTS5 table (`search_fts`) and an R*Tree (`search_geo`) keyed by
`search_documents.doc_key`; on PostgreSQL a weighted tsvector index and a geo index on the same
table. They are not models: SQLAlchemy has no types for them (see migrations and db/metadata.py).
"""

from __future__ import annotations

import uuid

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from referral_hub.db.base import Base


class SearchDocumentRow(Base):
    __tablename__ = "search_documents"

    # An integer key derived from the id (embedded.doc_key): FTS5 and R*Tree rows need integer rowids.
    doc_key: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    network_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("networks.id"))
    service_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    service_at_location_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    name: Mapped[str] = mapped_column(Text)
    terms: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    time_zone: Mapped[str | None] = mapped_column(String(64))
    accepting_referrals: Mapped[bool] = mapped_column(Boolean, default=False)
    # The whole SearchDocument (msgpack): a hit is built from it without touching the directory.
    body: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (Index("ix_search_documents_lat_lng", "latitude", "longitude"),)


class SearchDocumentValue(Base):
    """A document's values of one facet/filter: category, language, taxonomy term."""

    __tablename__ = "search_document_values"

    facet: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(64), primary_key=True)
    doc_key: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("search_documents.doc_key", ondelete="CASCADE"), primary_key=True, index=True
    )


class SearchOpenInterval(Base):
    """When a document's place is open: [start_slot, end_slot) of the week, in its own time zone."""

    __tablename__ = "search_open_intervals"

    doc_key: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("search_documents.doc_key", ondelete="CASCADE"), primary_key=True
    )
    start_slot: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    end_slot: Mapped[int] = mapped_column(SmallInteger)
    time_zone: Mapped[str] = mapped_column(String(64))
