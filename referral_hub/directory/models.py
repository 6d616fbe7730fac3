"""Directory tables: one per HSDS 3.1 object, plus sources, import runs, overlays and need categories.

HSDS columns were generated from the 3.1 schemas; every imported row also remembers its network,
source and id in that source, whether it is still active, and a hash of its content so that
re-imports skip unchanged records.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from referral_hub.db.base import Base
from referral_hub.db.types import UTCDateTime, utcnow


class DirectorySource(Base):
    """A named source of directory data (a 211 export, an HSDS API) within one network."""

    __tablename__ = "directory_sources"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    network_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("networks.id"))
    name: Mapped[str] = mapped_column(String(200))
    format: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("network_id", "name"),)


class ImportRun(Base):
    """One import: staged in short transactions, then swapped in; the run id ties them together."""

    __tablename__ = "import_runs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    network_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("networks.id"))
    source_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("directory_sources.id"), index=True)
    format: Mapped[str] = mapped_column(String(32))
    # staging -> swapping -> completed; a failure or interruption: -> rolling_back -> failed | aborted.
    # A run whose process died is rolled back by the next import or server start (see import_undo).
    status: Mapped[str] = mapped_column(String(16), index=True)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Touched by every staging/swap transaction; a run silent for long is abandoned (its process died).
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)


class ImportUndo(Base):
    """What a swap replaced: the previous row of an updated or deactivated record, or the previous
    categories of a service. Rows the run created need none: they carry the run's id and go.
    """

    __tablename__ = "import_undo"

    run_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("import_runs.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    action: Mapped[str] = mapped_column(String(12))
    snapshot: Mapped[bytes] = mapped_column(LargeBinary)


class ImportedRecord:
    """Columns every imported HSDS row carries besides its HSDS fields."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    network_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("networks.id"))
    source_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("directory_sources.id"))
    source_record_id: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    content_hash: Mapped[str] = mapped_column(String(32))
    # The import run that last wrote the row; a rolled-back run deletes the rows it created by it.
    # Not indexed: only a rollback looks for it, and every index costs each imported row.
    last_run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @declared_attr.directive
    @classmethod
    def __table_args__(cls) -> tuple[Any, ...]:
        return (UniqueConstraint("network_id", "source_id", "source_record_id"),)


class TaxonomyRecord(ImportedRecord, Base):
    __tablename__ = "hsds_taxonomies"

    name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    uri: Mapped[str | None] = mapped_column(Text)
    version: Mapped[str | None] = mapped_column(Text)


class TaxonomyTermRecord(ImportedRecord, Base):
    __tablename__ = "hsds_taxonomy_terms"

    code: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    taxonomy: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(Text)
    taxonomy_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    term_uri: Mapped[str | None] = mapped_column(Text)


class OrganizationRecord(ImportedRecord, Base):
    __tablename__ = "hsds_organizations"

    name: Mapped[str | None] = mapped_column(Text)
    alternate_name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    website: Mapped[str | None] = mapped_column(Text)
    tax_status: Mapped[str | None] = mapped_column(Text)
    tax_id: Mapped[str | None] = mapped_column(Text)
    year_incorporated: Mapped[float | None] = mapped_column(Float)
    legal_status: Mapped[str | None] = mapped_column(Text)
    logo: Mapped[str | None] = mapped_column(Text)
    uri: Mapped[str | None] = mapped_column(Text)
    parent_organization_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)


class OrganizationIdentifierRecord(ImportedRecord, Base):
    __tablename__ = "hsds_organization_identifiers"

    organization_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    identifier_scheme: Mapped[str | None] = mapped_column(Text)
    identifier_type: Mapped[str | None] = mapped_column(Text)
    identifier: Mapped[str | None] = mapped_column(Text)


class ProgramRecord(ImportedRecord, Base):
    __tablename__ = "hsds_programs"

    organization_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    name: Mapped[str | None] = mapped_column(Text)
    alternate_name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)


class FundingRecord(ImportedRecord, Base):
    __tablename__ = "hsds_funding"

    organization_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    service_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    source: Mapped[str | None] = mapped_column(Text)


class UrlRecord(ImportedRecord, Base):
    __tablename__ = "hsds_urls"

    label: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    organization_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    service_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)


class LocationRecord(ImportedRecord, Base):
    __tablename__ = "hsds_locations"

    # Derived at import, not HSDS fields: the IANA zone (offline, from coordinates or state) and how
    # the coordinates were found ("source", "zip-centroid", a geocoder's name).
    time_zone: Mapped[str | None] = mapped_column(String(64))
    geocode_method: Mapped[str | None] = mapped_column(String(32))
    coordinates_approximate: Mapped[bool] = mapped_column(Boolean, default=False)

    location_type: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    organization_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    name: Mapped[str | None] = mapped_column(Text)
    alternate_name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    transportation: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    external_identifier: Mapped[str | None] = mapped_column(Text)
    external_identifier_type: Mapped[str | None] = mapped_column(Text)


class AddressRecord(ImportedRecord, Base):
    __tablename__ = "hsds_addresses"

    location_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    attention: Mapped[str | None] = mapped_column(Text)
    address_1: Mapped[str | None] = mapped_column(Text)
    address_2: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(Text)
    region: Mapped[str | None] = mapped_column(Text)
    state_province: Mapped[str | None] = mapped_column(Text)
    postal_code: Mapped[str | None] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(Text)
    address_type: Mapped[str | None] = mapped_column(Text)


class AccessibilityRecord(ImportedRecord, Base):
    __tablename__ = "hsds_accessibility"

    location_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    description: Mapped[str | None] = mapped_column(Text)
    details: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)


class ServiceRecord(ImportedRecord, Base):
    __tablename__ = "hsds_services"

    organization_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    program_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    name: Mapped[str | None] = mapped_column(Text)
    alternate_name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(Text)
    interpretation_services: Mapped[str | None] = mapped_column(Text)
    application_process: Mapped[str | None] = mapped_column(Text)
    fees_description: Mapped[str | None] = mapped_column(Text)
    wait_time: Mapped[str | None] = mapped_column(Text)
    fees: Mapped[str | None] = mapped_column(Text)
    accreditations: Mapped[str | None] = mapped_column(Text)
    eligibility_description: Mapped[str | None] = mapped_column(Text)
    minimum_age: Mapped[float | None] = mapped_column(Float)
    maximum_age: Mapped[float | None] = mapped_column(Float)
    assured_date: Mapped[str | None] = mapped_column(Text)
    assurer_email: Mapped[str | None] = mapped_column(Text)
    licenses: Mapped[str | None] = mapped_column(Text)
    alert: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ServiceAtLocationRecord(ImportedRecord, Base):
    __tablename__ = "hsds_service_at_locations"

    service_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    location_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    description: Mapped[str | None] = mapped_column(Text)


class ServiceAreaRecord(ImportedRecord, Base):
    __tablename__ = "hsds_service_areas"

    service_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    service_at_location_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    extent: Mapped[str | None] = mapped_column(Text)
    extent_type: Mapped[str | None] = mapped_column(Text)
    uri: Mapped[str | None] = mapped_column(Text)


class CostOptionRecord(ImportedRecord, Base):
    __tablename__ = "hsds_cost_options"

    service_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    valid_from: Mapped[str | None] = mapped_column(Text)
    valid_to: Mapped[str | None] = mapped_column(Text)
    option: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str | None] = mapped_column(Text)
    amount: Mapped[float | None] = mapped_column(Float)
    amount_description: Mapped[str | None] = mapped_column(Text)


class RequiredDocumentRecord(ImportedRecord, Base):
    __tablename__ = "hsds_required_documents"

    service_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    document: Mapped[str | None] = mapped_column(Text)
    uri: Mapped[str | None] = mapped_column(Text)


class UnitRecord(ImportedRecord, Base):
    __tablename__ = "hsds_units"

    name: Mapped[str | None] = mapped_column(Text)
    scheme: Mapped[str | None] = mapped_column(Text)
    identifier: Mapped[str | None] = mapped_column(Text)
    uri: Mapped[str | None] = mapped_column(Text)


class ServiceCapacityRecord(ImportedRecord, Base):
    __tablename__ = "hsds_service_capacities"

    service_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    unit_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    available: Mapped[float | None] = mapped_column(Float)
    maximum: Mapped[float | None] = mapped_column(Float)
    description: Mapped[str | None] = mapped_column(Text)
    updated: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ContactRecord(ImportedRecord, Base):
    __tablename__ = "hsds_contacts"

    organization_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    service_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    service_at_location_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    location_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    name: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    department: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)


class PhoneRecord(ImportedRecord, Base):
    __tablename__ = "hsds_phones"

    location_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    service_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    organization_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    contact_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    service_at_location_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    number: Mapped[str | None] = mapped_column(Text)
    extension: Mapped[float | None] = mapped_column(Float)
    type: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)


class ScheduleRecord(ImportedRecord, Base):
    __tablename__ = "hsds_schedules"

    service_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    location_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    service_at_location_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    valid_from: Mapped[str | None] = mapped_column(Text)
    valid_to: Mapped[str | None] = mapped_column(Text)
    dtstart: Mapped[str | None] = mapped_column(Text)
    timezone: Mapped[float | None] = mapped_column(Float)
    until: Mapped[str | None] = mapped_column(Text)
    count: Mapped[float | None] = mapped_column(Float)
    wkst: Mapped[str | None] = mapped_column(Text)
    freq: Mapped[str | None] = mapped_column(Text)
    interval: Mapped[float | None] = mapped_column(Float)
    byday: Mapped[str | None] = mapped_column(Text)
    byweekno: Mapped[str | None] = mapped_column(Text)
    bymonthday: Mapped[str | None] = mapped_column(Text)
    byyearday: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    opens_at: Mapped[str | None] = mapped_column(Text)
    closes_at: Mapped[str | None] = mapped_column(Text)
    schedule_link: Mapped[str | None] = mapped_column(Text)
    attending_type: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)


class LanguageRecord(ImportedRecord, Base):
    __tablename__ = "hsds_languages"

    service_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    location_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    phone_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    name: Mapped[str | None] = mapped_column(Text)
    code: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)


class AttributeRecord(ImportedRecord, Base):
    __tablename__ = "hsds_attributes"

    link_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    taxonomy_term_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    link_type: Mapped[str | None] = mapped_column(Text)
    link_entity: Mapped[str | None] = mapped_column(Text)
    value: Mapped[str | None] = mapped_column(Text)
    label: Mapped[str | None] = mapped_column(Text)


class MetadataRecord(ImportedRecord, Base):
    __tablename__ = "hsds_metadata"

    resource_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    resource_type: Mapped[str | None] = mapped_column(Text)
    last_action_date: Mapped[str | None] = mapped_column(Text)
    last_action_type: Mapped[str | None] = mapped_column(Text)
    field_name: Mapped[str | None] = mapped_column(Text)
    previous_value: Mapped[str | None] = mapped_column(Text)
    replacement_value: Mapped[str | None] = mapped_column(Text)
    updated_by: Mapped[str | None] = mapped_column(Text)


RECORD_MODELS: dict[str, type[Any]] = {
    "taxonomy": TaxonomyRecord,
    "taxonomy_term": TaxonomyTermRecord,
    "organization": OrganizationRecord,
    "organization_identifier": OrganizationIdentifierRecord,
    "program": ProgramRecord,
    "funding": FundingRecord,
    "url": UrlRecord,
    "location": LocationRecord,
    "address": AddressRecord,
    "accessibility": AccessibilityRecord,
    "service": ServiceRecord,
    "service_at_location": ServiceAtLocationRecord,
    "service_area": ServiceAreaRecord,
    "cost_option": CostOptionRecord,
    "required_document": RequiredDocumentRecord,
    "unit": UnitRecord,
    "service_capacity": ServiceCapacityRecord,
    "contact": ContactRecord,
    "phone": PhoneRecord,
    "schedule": ScheduleRecord,
    "language": LanguageRecord,
    "attribute": AttributeRecord,
    "metadata": MetadataRecord,
}


class ListingOverlay(Base):
    """What a CBO says about its own listing; imports never overwrite it, and it wins over them."""

    __tablename__ = "listing_overlays"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    network_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("networks.id"))
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("hsds_organizations.id"), unique=True
    )
    service_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("hsds_services.id"), unique=True)
    accepting_referrals: Mapped[bool | None] = mapped_column(Boolean)
    capacity_status: Mapped[str | None] = mapped_column(String(16))
    hours_note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        CheckConstraint("(organization_id IS NULL) <> (service_id IS NULL)", name="one_subject"),
        CheckConstraint(
            "capacity_status IS NULL OR capacity_status IN ('available', 'limited', 'waitlist', 'full')",
            name="capacity_status",
        ),
    )


class NeedCategory(Base):
    """Our vocabulary of needs: the Gravity SDOH categories plus legal, substance use, behavioral health."""

    __tablename__ = "need_categories"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    display: Mapped[str] = mapped_column(Text)
    system: Mapped[str] = mapped_column(Text)
    definition: Mapped[str | None] = mapped_column(Text)


class NeedCategoryTerm(Base):
    """Maps taxonomy terms (by code prefix or name) onto a need category."""

    __tablename__ = "need_category_terms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    category_code: Mapped[str] = mapped_column(String(64), ForeignKey("need_categories.code"))
    taxonomy: Mapped[str] = mapped_column(String(64))
    match: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("category_code", "taxonomy", "match", "value"),)


class ServiceCategory(Base):
    """The need categories of a service, derived from its taxonomy terms at import."""

    __tablename__ = "service_categories"

    service_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("hsds_services.id", ondelete="CASCADE"), primary_key=True
    )
    category_code: Mapped[str] = mapped_column(
        String(64), ForeignKey("need_categories.code"), primary_key=True, index=True
    )


# `modified_after` (HSDS API) filters these kinds; the others are read through them.
_FILTERED_BY_MODIFIED = (
    OrganizationRecord,
    ServiceRecord,
    ServiceAtLocationRecord,
    TaxonomyRecord,
    TaxonomyTermRecord,
)
for _model in _FILTERED_BY_MODIFIED:
    Index(f"ix_{_model.__tablename__}_updated_at", _model.updated_at)
del _model
