"""Builds search documents from the directory tables, a chunk of services at a time."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from referral_hub.db.base import core_table
from referral_hub.directory.models import (
    AddressRecord,
    AttributeRecord,
    LanguageRecord,
    ListingOverlay,
    LocationRecord,
    OrganizationRecord,
    ScheduleRecord,
    ServiceAtLocationRecord,
    ServiceCategory,
    ServiceRecord,
    TaxonomyTermRecord,
)
from referral_hub.search.hours import merge_slots, weekly_slots
from referral_hub.search.model import SearchDocument

CHUNK = 500

services_t = core_table(ServiceRecord)
organizations_t = core_table(OrganizationRecord)
sal_t = core_table(ServiceAtLocationRecord)
locations_t = core_table(LocationRecord)
addresses_t = core_table(AddressRecord)
categories_t = core_table(ServiceCategory)
languages_t = core_table(LanguageRecord)
attributes_t = core_table(AttributeRecord)
terms_t = core_table(TaxonomyTermRecord)
schedules_t = core_table(ScheduleRecord)
overlays_t = core_table(ListingOverlay)

# HSDS `status`: only an active service is offered (inactive, defunct, temporarily closed are not).
OPEN_FOR_SERVICE = or_(services_t.c.status.is_(None), services_t.c.status == "active")
SQL_OPEN_FOR_SERVICE = "(s.status IS NULL OR s.status = 'active')"


def _address(rows: list[Any]) -> str | None:
    """One line for the place: its physical address, else its postal one."""
    ranked = sorted(rows, key=lambda r: r.address_type != "physical")
    if not ranked:
        return None
    best = ranked[0]
    parts = [best.address_1, best.city, " ".join(p for p in (best.state_province, best.postal_code) if p)]
    return ", ".join(p for p in parts if p) or None


async def documents_for(conn: AsyncConnection, service_ids: Sequence[uuid.UUID]) -> list[SearchDocument]:
    """The documents of these services as the directory stands (none for inactive services)."""
    out: list[SearchDocument] = []
    for start in range(0, len(service_ids), CHUNK):
        out.extend(await _chunk(conn, list(service_ids[start : start + CHUNK])))
    return out


async def all_service_ids(conn: AsyncConnection) -> AsyncIterator[list[uuid.UUID]]:
    result = await conn.stream(select(services_t.c.id).where(services_t.c.active).order_by(services_t.c.id))
    async for partition in result.partitions(CHUNK):
        yield [row[0] for row in partition]


async def _chunk(conn: AsyncConnection, ids: list[uuid.UUID]) -> list[SearchDocument]:
    services = (
        await conn.execute(
            select(
                services_t.c.id,
                services_t.c.network_id,
                services_t.c.name,
                services_t.c.description,
                services_t.c.organization_id,
                organizations_t.c.name.label("organization_name"),
            )
            .select_from(services_t)
            .outerjoin(
                organizations_t,
                and_(organizations_t.c.id == services_t.c.organization_id, organizations_t.c.active),
            )
            .where(services_t.c.id.in_(ids), services_t.c.active, OPEN_FOR_SERVICE)
        )
    ).all()
    if not services:
        return []
    places = (
        await conn.execute(
            select(
                sal_t.c.id,
                sal_t.c.service_id,
                locations_t.c.id.label("location_id"),
                locations_t.c.name,
                locations_t.c.latitude,
                locations_t.c.longitude,
                locations_t.c.time_zone,
            )
            .join(locations_t, and_(locations_t.c.id == sal_t.c.location_id, locations_t.c.active))
            .where(sal_t.c.service_id.in_(ids), sal_t.c.active)
        )
    ).all()
    location_ids = list({p.location_id for p in places})
    sal_ids = [p.id for p in places]
    addresses = await _grouped(
        conn,
        select(
            addresses_t.c.location_id,
            addresses_t.c.address_1,
            addresses_t.c.city,
            addresses_t.c.state_province,
            addresses_t.c.postal_code,
            addresses_t.c.address_type,
        ).where(addresses_t.c.location_id.in_(location_ids), addresses_t.c.active),
        "location_id",
    )
    categories = await _grouped(
        conn, select(categories_t).where(categories_t.c.service_id.in_(ids)), "service_id"
    )
    languages = (
        await conn.execute(
            select(languages_t.c.service_id, languages_t.c.location_id, languages_t.c.code).where(
                languages_t.c.active,
                languages_t.c.code.is_not(None),
                or_(languages_t.c.service_id.in_(ids), languages_t.c.location_id.in_(location_ids)),
            )
        )
    ).all()
    terms = await _grouped(
        conn,
        select(attributes_t.c.link_id, terms_t.c.id, terms_t.c.name)
        .join(terms_t, and_(terms_t.c.id == attributes_t.c.taxonomy_term_id, terms_t.c.active))
        .where(attributes_t.c.link_id.in_(ids), attributes_t.c.active),
        "link_id",
    )
    schedules = (
        await conn.execute(
            select(
                schedules_t.c.service_id,
                schedules_t.c.location_id,
                schedules_t.c.service_at_location_id,
                schedules_t.c.freq,
                schedules_t.c.byday,
                schedules_t.c.opens_at,
                schedules_t.c.closes_at,
            ).where(
                schedules_t.c.active,
                or_(
                    schedules_t.c.service_id.in_(ids),
                    schedules_t.c.location_id.in_(location_ids),
                    schedules_t.c.service_at_location_id.in_(sal_ids),
                ),
            )
        )
    ).all()
    org_ids = [s.organization_id for s in services if s.organization_id is not None]
    overlays = (
        await conn.execute(
            select(
                overlays_t.c.service_id, overlays_t.c.organization_id, overlays_t.c.accepting_referrals
            ).where(or_(overlays_t.c.service_id.in_(ids), overlays_t.c.organization_id.in_(org_ids)))
        )
    ).all()
    return _assemble(services, places, addresses, categories, languages, terms, schedules, overlays)


async def _grouped(conn: AsyncConnection, query: Any, key: str) -> dict[Any, list[Any]]:
    grouped: dict[Any, list[Any]] = defaultdict(list)
    for row in await conn.execute(query):
        grouped[getattr(row, key)].append(row)
    return grouped


def _assemble(  # noqa: PLR0917 - one argument per query of _chunk, in its order
    services: Iterable[Any],
    places: Iterable[Any],
    addresses: dict[Any, list[Any]],
    categories: dict[Any, list[Any]],
    languages: Iterable[Any],
    terms: dict[Any, list[Any]],
    schedules: Iterable[Any],
    overlays: Iterable[Any],
) -> list[SearchDocument]:
    places_of: dict[Any, list[Any]] = defaultdict(list)
    for place in places:
        places_of[place.service_id].append(place)
    service_languages: dict[Any, set[str]] = defaultdict(set)
    location_languages: dict[Any, set[str]] = defaultdict(set)
    for row in languages:
        if row.service_id is not None:
            service_languages[row.service_id].add(row.code)
        if row.location_id is not None:
            location_languages[row.location_id].add(row.code)
    slots: dict[tuple[str, Any], list[frozenset[int]]] = defaultdict(list)
    for row in schedules:
        row_slots = weekly_slots(row.freq, row.byday, row.opens_at, row.closes_at)
        for scope, value in (
            ("sal", row.service_at_location_id),
            ("location", row.location_id),
            ("service", row.service_id),
        ):
            if value is not None:
                slots[(scope, value)].append(row_slots)
    accepting_service = {o.service_id: o.accepting_referrals for o in overlays if o.service_id is not None}
    accepting_org = {
        o.organization_id: o.accepting_referrals for o in overlays if o.organization_id is not None
    }

    documents: list[SearchDocument] = []
    for service in services:
        accepting = accepting_service.get(service.id)
        if accepting is None:
            accepting = accepting_org.get(service.organization_id)
        base: dict[str, Any] = {
            "network_id": str(service.network_id),
            "service_id": str(service.id),
            "service_name": service.name or "",
            "service_description": service.description or "",
            "organization_id": str(service.organization_id) if service.organization_id else None,
            "organization_name": service.organization_name,
            "categories": sorted(row.category_code for row in categories.get(service.id, [])),
            "taxonomy_term_ids": sorted({str(row.id) for row in terms.get(service.id, [])}),
            "taxonomy_terms": sorted({row.name for row in terms.get(service.id, []) if row.name}),
            "accepting_referrals": bool(accepting),
        }
        own_hours = slots.get(("service", service.id), [])
        if not places_of.get(service.id):
            documents.append(
                SearchDocument(
                    id=str(service.id),
                    languages=sorted(service_languages[service.id]),
                    open_slots=merge_slots(own_hours),
                    **base,
                )
            )
            continue
        for place in places_of[service.id]:
            # The most specific schedules win: the service at this location, the location, the service.
            hours: list[frozenset[int]] = (
                slots.get(("sal", place.id)) or slots.get(("location", place.location_id)) or own_hours
            )
            documents.append(
                SearchDocument(
                    id=str(place.id),
                    location_id=str(place.location_id),
                    location_name=place.name,
                    address=_address(addresses.get(place.location_id, [])),
                    latitude=place.latitude,
                    longitude=place.longitude,
                    time_zone=place.time_zone,
                    languages=sorted(service_languages[service.id] | location_languages[place.location_id]),
                    open_slots=merge_slots(hours),
                    **base,
                )
            )
    return documents
