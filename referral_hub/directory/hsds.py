"""HSDS 3.1 objects as msgspec Structs: the constraints of the official JSON Schemas, checked fast.

Generated once from `schema/*.json` of the HSDS 3.1 specification and reviewed by hand: required
fields, enums, and the uuid/email/uri/date-time formats. Full JSON Schema validation stays available
for `--strict` imports and the tests, which prove that both agree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final, Literal

import msgspec
from msgspec import Meta

UUID_PATTERN: Final = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"

UuidStr = Annotated[str, Meta(pattern=UUID_PATTERN)]
# jsonschema's own email check only wants an "@"; this also refuses spaces and a missing side.
EmailStr = Annotated[str, Meta(pattern=r"^[^@\s]+@[^@\s]+$")]
# RFC 3986: a scheme, a colon, then no whitespace.
UriStr = Annotated[str, Meta(pattern=r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]*$")]
DateTimeTz = Annotated[datetime, Meta(tz=True)]


class HsdsObject(msgspec.Struct, omit_defaults=True, kw_only=True):
    """Base of every HSDS object: absent optional fields are left out of the JSON, as HSDS expects."""


class Taxonomy(HsdsObject, kw_only=True):
    """HSDS 3.1 `taxonomy`."""

    id: UuidStr
    name: str
    description: str
    uri: UriStr | None = None
    version: str | None = None
    metadata: list[Metadata] | None = None


class TaxonomyTerm(HsdsObject, kw_only=True):
    """HSDS 3.1 `taxonomy_term`."""

    id: UuidStr
    code: str | None = None
    name: str
    description: str
    parent_id: UuidStr | None = None
    taxonomy: str | None = None
    language: str | None = None
    taxonomy_id: UuidStr | None = None
    term_uri: UriStr | None = None
    taxonomy_detail: Taxonomy | None = None
    metadata: list[Metadata] | None = None


class Organization(HsdsObject, kw_only=True):
    """HSDS 3.1 `organization`."""

    id: UuidStr
    name: str
    alternate_name: str | None = None
    description: str
    email: EmailStr | None = None
    website: UriStr | None = None
    tax_status: str | None = None
    tax_id: str | None = None
    year_incorporated: float | None = None
    legal_status: str | None = None
    logo: str | None = None
    uri: UriStr | None = None
    parent_organization_id: UuidStr | None = None
    additional_websites: list[Url] | None = None
    funding: list[Funding] | None = None
    contacts: list[Contact] | None = None
    phones: list[Phone] | None = None
    locations: list[Location] | None = None
    programs: list[Program] | None = None
    organization_identifiers: list[OrganizationIdentifier] | None = None
    attributes: list[Attribute] | None = None
    metadata: list[Metadata] | None = None
    # Not in organization.json, but `/organizations/{id}` answers it (openapi.json, organization_full).
    services: list[Service] | None = None


class OrganizationIdentifier(HsdsObject, kw_only=True):
    """HSDS 3.1 `organization_identifier`."""

    id: UuidStr
    organization_id: UuidStr | None = None
    identifier_scheme: str | None = None
    identifier_type: str
    identifier: str
    attributes: list[Attribute] | None = None
    metadata: list[Metadata] | None = None


class Program(HsdsObject, kw_only=True):
    """HSDS 3.1 `program`."""

    id: UuidStr
    organization_id: UuidStr | None = None
    name: str
    alternate_name: str | None = None
    description: str
    attributes: list[Attribute] | None = None
    metadata: list[Metadata] | None = None


class Funding(HsdsObject, kw_only=True):
    """HSDS 3.1 `funding`."""

    id: UuidStr
    organization_id: UuidStr | None = None
    service_id: UuidStr | None = None
    source: str | None = None
    attributes: list[Attribute] | None = None
    metadata: list[Metadata] | None = None


class Url(HsdsObject, kw_only=True):
    """HSDS 3.1 `url`."""

    id: UuidStr
    label: str | None = None
    url: UriStr
    organization_id: UuidStr | None = None
    service_id: UuidStr | None = None
    attributes: list[Attribute] | None = None
    metadata: list[Metadata] | None = None


class Location(HsdsObject, kw_only=True):
    """HSDS 3.1 `location`."""

    id: UuidStr
    location_type: Literal["physical", "postal", "virtual"]
    url: UriStr | None = None
    organization_id: UuidStr | None = None
    name: str | None = None
    alternate_name: str | None = None
    description: str | None = None
    transportation: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    external_identifier: str | None = None
    external_identifier_type: str | None = None
    languages: list[Language] | None = None
    addresses: list[Address] | None = None
    contacts: list[Contact] | None = None
    accessibility: list[Accessibility] | None = None
    phones: list[Phone] | None = None
    schedules: list[Schedule] | None = None
    attributes: list[Attribute] | None = None
    metadata: list[Metadata] | None = None


class Address(HsdsObject, kw_only=True):
    """HSDS 3.1 `address`."""

    id: UuidStr
    location_id: UuidStr | None = None
    attention: str | None = None
    address_1: str
    address_2: str | None = None
    city: str
    region: str | None = None
    state_province: str
    postal_code: str
    country: str
    address_type: Literal["physical", "postal", "virtual"]
    attributes: list[Attribute] | None = None
    metadata: list[Metadata] | None = None


class Accessibility(HsdsObject, kw_only=True):
    """HSDS 3.1 `accessibility`."""

    id: UuidStr
    location_id: UuidStr | None = None
    description: str | None = None
    details: str | None = None
    url: UriStr | None = None
    attributes: list[Attribute] | None = None
    metadata: list[Metadata] | None = None


class Service(HsdsObject, kw_only=True):
    """HSDS 3.1 `service`."""

    id: UuidStr
    organization_id: UuidStr | None = None
    program_id: UuidStr | None = None
    name: str
    alternate_name: str | None = None
    description: str | None = None
    url: UriStr | None = None
    email: EmailStr | None = None
    status: Literal["active", "inactive", "defunct", "temporarily closed"]
    interpretation_services: str | None = None
    application_process: str | None = None
    fees_description: str | None = None
    wait_time: str | None = None
    fees: str | None = None
    accreditations: str | None = None
    eligibility_description: str | None = None
    minimum_age: float | None = None
    maximum_age: float | None = None
    assured_date: str | None = None
    assurer_email: EmailStr | None = None
    licenses: str | None = None
    alert: str | None = None
    last_modified: DateTimeTz | None = None
    additional_urls: list[Url] | None = None
    phones: list[Phone] | None = None
    schedules: list[Schedule] | None = None
    service_areas: list[ServiceArea] | None = None
    service_at_locations: list[ServiceAtLocation] | None = None
    languages: list[Language] | None = None
    organization: Organization | None = None
    funding: list[Funding] | None = None
    cost_options: list[CostOption] | None = None
    program: Program | None = None
    required_documents: list[RequiredDocument] | None = None
    contacts: list[Contact] | None = None
    capacities: list[ServiceCapacity] | None = None
    attributes: list[Attribute] | None = None
    metadata: list[Metadata] | None = None


class ServiceAtLocation(HsdsObject, kw_only=True):
    """HSDS 3.1 `service_at_location`."""

    id: UuidStr
    service_id: UuidStr | None = None
    location_id: UuidStr | None = None
    description: str | None = None
    service_areas: list[ServiceArea] | None = None
    contacts: list[Contact] | None = None
    phones: list[Phone] | None = None
    schedules: list[Schedule] | None = None
    location: Location | None = None
    attributes: list[Attribute] | None = None
    metadata: list[Metadata] | None = None
    # As in service_at_location_full: the compiled list schema carries the service too.
    service: Service | None = None


class ServiceArea(HsdsObject, kw_only=True):
    """HSDS 3.1 `service_area`."""

    id: UuidStr
    service_id: UuidStr | None = None
    service_at_location_id: UuidStr | None = None
    name: str | None = None
    description: str | None = None
    extent: str | None = None
    extent_type: str | None = None
    uri: str | None = None
    attributes: list[Attribute] | None = None
    metadata: list[Metadata] | None = None


class CostOption(HsdsObject, kw_only=True):
    """HSDS 3.1 `cost_option`."""

    id: UuidStr
    service_id: UuidStr | None = None
    valid_from: str | None = None
    valid_to: str | None = None
    option: str | None = None
    currency: str | None = None
    amount: float | None = None
    amount_description: str | None = None
    attributes: list[Attribute] | None = None
    metadata: list[Metadata] | None = None


class RequiredDocument(HsdsObject, kw_only=True):
    """HSDS 3.1 `required_document`."""

    id: UuidStr
    service_id: UuidStr | None = None
    document: str | None = None
    uri: UriStr | None = None
    attributes: list[Attribute] | None = None
    metadata: list[Metadata] | None = None


class Unit(HsdsObject, kw_only=True):
    """HSDS 3.1 `unit`."""

    id: UuidStr
    name: str
    scheme: str | None = None
    identifier: str | None = None
    uri: UriStr | None = None
    attributes: list[Attribute] | None = None
    metadata: list[Metadata] | None = None


class ServiceCapacity(HsdsObject, kw_only=True):
    """HSDS 3.1 `service_capacity`."""

    id: UuidStr
    service_id: UuidStr | None = None
    unit_id: UuidStr | None = None
    available: float
    maximum: float | None = None
    description: str | None = None
    updated: DateTimeTz
    unit: Unit | None = None
    attributes: list[Attribute] | None = None
    metadata: list[Metadata] | None = None


class Contact(HsdsObject, kw_only=True):
    """HSDS 3.1 `contact`."""

    id: UuidStr
    organization_id: UuidStr | None = None
    service_id: UuidStr | None = None
    service_at_location_id: UuidStr | None = None
    location_id: UuidStr | None = None
    name: str | None = None
    title: str | None = None
    department: str | None = None
    email: EmailStr | None = None
    phones: list[Phone] | None = None
    attributes: list[Attribute] | None = None
    metadata: list[Metadata] | None = None


class Phone(HsdsObject, kw_only=True):
    """HSDS 3.1 `phone`."""

    id: UuidStr
    location_id: UuidStr | None = None
    service_id: UuidStr | None = None
    organization_id: UuidStr | None = None
    contact_id: UuidStr | None = None
    service_at_location_id: UuidStr | None = None
    number: str
    extension: float | None = None
    type: str | None = None
    description: str | None = None
    languages: list[Language] | None = None
    attributes: list[Attribute] | None = None
    metadata: list[Metadata] | None = None


class Schedule(HsdsObject, kw_only=True):
    """HSDS 3.1 `schedule`."""

    id: UuidStr
    service_id: UuidStr | None = None
    location_id: UuidStr | None = None
    service_at_location_id: UuidStr | None = None
    valid_from: str | None = None
    valid_to: str | None = None
    dtstart: str | None = None
    timezone: float | None = None
    until: str | None = None
    count: float | None = None
    wkst: Literal["MO", "TU", "WE", "TH", "FR", "SA", "SU"] | None = None
    freq: Literal["WEEKLY", "MONTHLY"] | None = None
    interval: float | None = None
    byday: str | None = None
    byweekno: str | None = None
    bymonthday: str | None = None
    byyearday: str | None = None
    description: str | None = None
    opens_at: str | None = None
    closes_at: str | None = None
    schedule_link: UriStr | None = None
    attending_type: str | None = None
    notes: str | None = None
    attributes: list[Attribute] | None = None
    metadata: list[Metadata] | None = None


class Language(HsdsObject, kw_only=True):
    """HSDS 3.1 `language`."""

    id: UuidStr
    service_id: UuidStr | None = None
    location_id: UuidStr | None = None
    phone_id: UuidStr | None = None
    name: str | None = None
    code: str | None = None
    note: str | None = None
    attributes: list[Attribute] | None = None
    metadata: list[Metadata] | None = None


class Attribute(HsdsObject, kw_only=True):
    """HSDS 3.1 `attribute`."""

    id: UuidStr
    link_id: UuidStr | None = None
    taxonomy_term_id: UuidStr | None = None
    link_type: str | None = None
    link_entity: str | None = None
    value: str | None = None
    label: str | None = None
    taxonomy_term: TaxonomyTerm | None = None
    metadata: list[Metadata] | None = None


class Metadata(HsdsObject, kw_only=True):
    """HSDS 3.1 `metadata`."""

    id: UuidStr
    resource_id: UuidStr | None = None
    resource_type: str | None = None
    last_action_date: str
    last_action_type: str
    field_name: str
    previous_value: str
    replacement_value: str
    updated_by: str


HSDS_TYPES: Final[dict[str, type[HsdsObject]]] = {
    "taxonomy": Taxonomy,
    "taxonomy_term": TaxonomyTerm,
    "organization": Organization,
    "organization_identifier": OrganizationIdentifier,
    "program": Program,
    "funding": Funding,
    "url": Url,
    "location": Location,
    "address": Address,
    "accessibility": Accessibility,
    "service": Service,
    "service_at_location": ServiceAtLocation,
    "service_area": ServiceArea,
    "cost_option": CostOption,
    "required_document": RequiredDocument,
    "unit": Unit,
    "service_capacity": ServiceCapacity,
    "contact": Contact,
    "phone": Phone,
    "schedule": Schedule,
    "language": Language,
    "attribute": Attribute,
    "metadata": Metadata,
}

# Numbers that HSDS types as `number` but that are whole by nature; shown without a fraction.
WHOLE_NUMBER_FIELDS: Final = frozenset(
    {"year_incorporated", "minimum_age", "maximum_age", "extension", "count", "interval"}
)


def validate(kind: str, data: dict[str, Any]) -> HsdsObject:
    """Check one flat object against its HSDS 3.1 constraints; raises msgspec.ValidationError."""
    return msgspec.convert(data, HSDS_TYPES[kind], strict=True)
