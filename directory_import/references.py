"""Which kind of object each HSDS reference field points at."""

from __future__ import annotations

from typing import Any, Final

REFERENCE_FIELDS: Final[dict[str, str]] = {
    "organization_id": "organization",
    "parent_organization_id": "organization",
    "service_id": "service",
    "location_id": "location",
    "taxonomy_term_id": "taxonomy_term",
    "taxonomy_id": "taxonomy",
    "unit_id": "unit",
    "contact_id": "contact",
    "phone_id": "phone",
    "program_id": "program",
    "service_at_location_id": "service_at_location",
}

# `attribute.link_entity` and `metadata.resource_type` name a table (HSDS 3.1 uses the table names,
# some exports the object names).
ENTITY_KINDS: Final[dict[str, str]] = {
    alias: kind
    for kind, aliases in {
        "organization": ("organization", "organizations"),
        "service": ("service", "services"),
        "location": ("location", "locations"),
        "service_at_location": ("service_at_location", "service_at_locations", "services_at_location"),
        "taxonomy_term": ("taxonomy_term", "taxonomy_terms"),
        "taxonomy": ("taxonomy", "taxonomies"),
        "contact": ("contact", "contacts"),
        "phone": ("phone", "phones"),
        "address": ("address", "addresses"),
        "program": ("program", "programs"),
        "schedule": ("schedule", "schedules"),
        "service_area": ("service_area", "service_areas"),
        "language": ("language", "languages"),
        "funding": ("funding",),
        "cost_option": ("cost_option", "cost_options"),
        "accessibility": ("accessibility",),
        "required_document": ("required_document", "required_documents"),
        "url": ("url", "urls"),
        "unit": ("unit", "units"),
        "service_capacity": ("service_capacity", "service_capacities"),
        "organization_identifier": ("organization_identifier", "organization_identifiers"),
        "attribute": ("attribute", "attributes"),
    }.items()
    for alias in aliases
}

# Links whose target kind is named by another field of the record.
ENTITY_LINKS: Final = {("attribute", "link_id"): "link_entity", ("metadata", "resource_id"): "resource_type"}

# Links whose target may come later in the stream (same kind), checked when the stream ends.
FORWARD_LINKS: Final = frozenset({("taxonomy_term", "parent_id"), ("organization", "parent_organization_id")})

# A dangling link here is dropped and reported; the record still imports. Any other dangling link
# rejects the record, since it would hang from nothing.
SOFT_LINKS: Final = frozenset(
    {
        ("service", "organization_id"),
        ("service", "program_id"),
        ("location", "organization_id"),
        ("taxonomy_term", "taxonomy_id"),
        ("contact", "organization_id"),
        ("contact", "service_id"),
        ("contact", "location_id"),
        ("contact", "service_at_location_id"),
        ("phone", "contact_id"),
        ("schedule", "service_at_location_id"),
    }
)


def target_kind(kind: str, field: str, data: dict[str, Any]) -> str | None:
    """The kind `field` of a `kind` record points at, or None when it is not a reference."""
    if field == "parent_id":
        return kind if kind == "taxonomy_term" else None
    if field == "link_id" and kind == "attribute":
        return ENTITY_KINDS.get(str(data.get("link_entity", "")).strip().lower())
    if field == "resource_id" and kind == "metadata":
        return ENTITY_KINDS.get(str(data.get("resource_type", "")).strip().lower())
    return REFERENCE_FIELDS.get(field)
