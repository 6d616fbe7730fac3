"""What every format reader yields: HSDS 3.1 objects still keyed by their ids in the source."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal, Protocol, get_args

import msgspec

# Parents come before children: a reader yields records in this order (within one document a
# parent before the objects that point at it), so that the pipeline can check references as it streams.
ObjectKind = Literal[
    "taxonomy",
    "taxonomy_term",
    "organization",
    "organization_identifier",
    "program",
    "location",
    "address",
    "accessibility",
    "service",
    "service_at_location",
    "url",
    "funding",
    "service_area",
    "cost_option",
    "required_document",
    "unit",
    "service_capacity",
    "contact",
    "phone",
    "schedule",
    "language",
    "attribute",
    "metadata",
]

KIND_ORDER: tuple[ObjectKind, ...] = get_args(ObjectKind)


class SourceRecord(msgspec.Struct, frozen=True, gc=False):
    """One HSDS 3.1 object as a reader mapped it.

    `fields` uses HSDS 3.1 field names with JSON values (str, int, float, bool); it never holds
    nested objects. `id` is not among them: the record's id in its source is `source_id`. Every
    reference field (`organization_id`, `service_id`, `location_id`, `taxonomy_term_id`, `link_id`,
    `parent_id`, `taxonomy_id`, `unit_id`, `resource_id`, `contact_id`, `phone_id`, `program_id`,
    `service_at_location_id`, `parent_organization_id`) holds the *source* id of the object it points
    at; the pipeline turns it into the stable directory id. Empty strings are left out.
    """

    kind: ObjectKind
    source_id: str
    fields: dict[str, Any]
    origin: str  # where the record came from, for the rejection report: "services.csv row 12"


class RejectedRecord(msgspec.Struct, frozen=True):
    """A row a reader could not map at all; the import reports it and goes on."""

    origin: str
    kind: str
    source_id: str | None
    field: str | None
    reason: str


class SourceUnreadable(Exception):
    """The source cannot be read at all (not this format, corrupt, unreachable): nothing is imported."""


class FormatReader(Protocol):
    """A readable source in one format."""

    format_name: str

    def records(self) -> Iterator[SourceRecord | RejectedRecord]:
        """Stream the source's objects, parents first (see KIND_ORDER); raise SourceUnreadable."""
        ...
