"""What the importer adds to mapped records: coordinates, time zones, language codes, need categories."""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from directory_import.records import SourceRecord
from referral_hub.directory.categories import CategoryMatcher, TermMapping
from referral_hub.directory.languages import normalize_language, split_languages
from referral_hub.directory.models import NeedCategoryTerm
from referral_hub.geo.geocoder import Geocoder, ZipCentroidGeocoder
from referral_hub.geo.timezones import timezone_for
from referral_hub.geo.zip_centroids import normalize_zip

Issue = tuple[str | None, str]


def taxonomy_key(name: str | None) -> str | None:
    """ "Open Eligibility" and "open-eligibility" name the same taxonomy."""
    if not name:
        return None
    return re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-") or None


class Enricher:
    """Fills in derived fields; built once per import."""

    def __init__(self, geocoder: Geocoder, category_matcher: CategoryMatcher) -> None:
        self.geocoder = geocoder
        self.category_matcher = category_matcher

    @classmethod
    async def build(cls, engine: AsyncEngine, geocoder: Geocoder | None) -> Enricher:
        async with engine.connect() as conn:
            table = NeedCategoryTerm.__table__
            rows = await conn.execute(
                select(table.c.category_code, table.c.taxonomy, table.c.match, table.c.value)
            )
            mappings = [
                TermMapping(category=code, taxonomy=taxonomy, match=match, value=value)
                for code, taxonomy, match, value in rows
            ]
        return cls(geocoder or ZipCentroidGeocoder(), CategoryMatcher(mappings))

    def locate(self, location: dict[str, Any], address: dict[str, Any] | None) -> list[Issue]:
        """Coordinates (from the source, else geocoded from the address) and the IANA time zone."""
        issues: list[Issue] = []
        state = address.get("state_province") if address else None
        location["coordinates_approximate"] = False
        location["geocode_method"] = None
        if location.get("latitude") is not None and location.get("longitude") is not None:
            location["geocode_method"] = "source"
        elif location.get("location_type") == "virtual":
            pass
        elif address is None:
            issues.append(("latitude", "no coordinates and no address to find them from"))
        else:
            postal_code = address.get("postal_code")
            result = self.geocoder.geocode(
                address_1=address.get("address_1"),
                city=address.get("city"),
                state=state,
                postal_code=postal_code,
                country=address.get("country"),
            )
            if result is None:
                shown = normalize_zip(postal_code) or postal_code
                issues.append(
                    (
                        "latitude",
                        f"no coordinates, and postal code {shown!r} is not in the ZIP table; left unlocated",
                    )
                )
            else:
                location["latitude"] = result.latitude
                location["longitude"] = result.longitude
                location["coordinates_approximate"] = result.approximate
                location["geocode_method"] = result.method
        location["time_zone"] = timezone_for(location.get("latitude"), location.get("longitude"), state)
        return issues

    def split_language(self, record: SourceRecord) -> tuple[list[SourceRecord], list[Issue]]:
        """One record per language of a list ("English, Spanish"), each with its ISO 639-1 code.

        Words that name no language ("Accommodations possible.", "ASL") are kept as the `note` of the
        first language; text with no language at all stays one record without a code, and is reported.
        """
        fields = record.fields
        name = str(fields.get("name") or "").strip()
        parts = split_languages(name) if name else []
        given_code = normalize_language(str(fields["code"])) if fields.get("code") else None
        recognised = [(part, code) for part in parts if (code := normalize_language(part)) is not None]
        if given_code is not None and not recognised:
            recognised = [(name or given_code, given_code)]
        if not recognised:
            kept = {key: value for key, value in fields.items() if key != "code"}
            return [SourceRecord(record.kind, record.source_id, kept, record.origin)], [
                ("code", f"language {name or fields.get('code')!r} not recognised; kept without a code")
            ]
        leftovers = [part for part in parts if normalize_language(part) is None]
        base = {key: value for key, value in fields.items() if key not in ("name", "code", "note")}
        notes = [str(fields["note"])] if fields.get("note") else []
        records: list[SourceRecord] = []
        seen_codes: set[str] = set()
        for index, (part, code) in enumerate(recognised):
            if code in seen_codes:
                continue
            seen_codes.add(code)
            extra = {"note": "; ".join(notes + leftovers)} if index == 0 and (notes or leftovers) else {}
            source_id = record.source_id if len(recognised) == 1 else f"{record.source_id}#{code}"
            records.append(
                SourceRecord(
                    record.kind, source_id, {**base, "name": part, "code": code, **extra}, record.origin
                )
            )
        return records, []


class CategoryIndex:
    """Collects, over one import, the need categories of each service from its taxonomy terms."""

    def __init__(self, matcher: CategoryMatcher) -> None:
        self.matcher = matcher
        self.taxonomy_names: dict[str, str | None] = {}
        self.term_categories: dict[str, frozenset[str]] = {}
        self.service_terms: dict[str, set[str]] = defaultdict(set)
        self.services: set[str] = set()

    def observe(self, kind: str, data: dict[str, Any]) -> None:
        handler = self._handlers.get(kind)
        if handler is not None:
            handler(self, data)

    def _taxonomy(self, data: dict[str, Any]) -> None:
        self.taxonomy_names[data["id"]] = taxonomy_key(data.get("name"))

    def _term(self, data: dict[str, Any]) -> None:
        taxonomy = taxonomy_key(data.get("taxonomy")) or self.taxonomy_names.get(
            data.get("taxonomy_id") or ""
        )
        codes = self.matcher.categories_for_term(taxonomy, data.get("code"), data.get("name"))
        if codes:
            self.term_categories[data["id"]] = codes

    def _attribute(self, data: dict[str, Any]) -> None:
        term = data.get("taxonomy_term_id")
        # By the id, not `link_entity`: exports misname the table (see ImportJob._entity_target).
        if term and data.get("link_id") in self.services:
            self.service_terms[data["link_id"]].add(term)

    def _service(self, data: dict[str, Any]) -> None:
        self.services.add(data["id"])

    _handlers: dict[str, Callable[[CategoryIndex, dict[str, Any]], None]] = {
        "taxonomy": _taxonomy,
        "taxonomy_term": _term,
        "attribute": _attribute,
        "service": _service,
    }

    def service_categories(self) -> dict[uuid.UUID, frozenset[str]]:
        out: dict[uuid.UUID, frozenset[str]] = {}
        for service in self.services:
            terms: Iterable[str] = self.service_terms.get(service, ())
            out[uuid.UUID(service)] = frozenset().union(
                *(self.term_categories.get(t, frozenset()) for t in terms)
            )
        return out
