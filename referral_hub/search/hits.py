"""Turning an indexed document into a hit: summaries, distance and an escaped snippet."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from referral_hub.search.model import (
    LocationSummary,
    OrganizationSummary,
    SearchDocument,
    SearchHit,
    ServiceSummary,
)

SNIPPET_WORDS = 30
_WORD = re.compile(r"\w+", re.UNICODE)


def _stem(word: str) -> str:
    """A crude stem for marking: "pantries" marks "pantry", "housing" marks "house"."""
    word = word.casefold()
    for suffix in ("ies", "ing", "es", "ed", "s", "y", "e"):
        if len(word) - len(suffix) >= 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def snippet(text: str, words: Sequence[str]) -> str:
    """Up to SNIPPET_WORDS words of `text` around the first match, HTML-escaped, matches in <mark>.

    The text comes from imported data: it is escaped before any markup is added, so the only tags
    in the result are <mark> and </mark>.
    """
    stems = [_stem(w) for w in words if _WORD.fullmatch(w) or _WORD.search(w)]
    stems = [s for s in stems if s]
    tokens = list(_WORD.finditer(text))
    if not tokens:
        return ""
    matches = [i for i, t in enumerate(tokens) if any(t.group().casefold().startswith(s) for s in stems)]
    first = max(0, (matches[0] if matches else 0) - 5)
    window = tokens[first : first + SNIPPET_WORDS]
    start = window[0].start()
    out: list[str] = ["…" if first > 0 else ""]
    position = start
    for token in window:
        out.append(html.escape(text[position : token.start()]))
        word = html.escape(token.group())
        if any(token.group().casefold().startswith(s) for s in stems):
            word = f"<mark>{word}</mark>"
        out.append(word)
        position = token.end()
    if first + SNIPPET_WORDS < len(tokens):
        out.append(" …")
    return "".join(out).strip()


def hit(document: SearchDocument, *, distance_km: float | None, words: Sequence[str]) -> SearchHit:
    text = document.service_description or document.service_name
    return SearchHit(
        service=ServiceSummary(
            id=document.service_id, name=document.service_name, description=document.service_description
        ),
        organization=OrganizationSummary(id=document.organization_id, name=document.organization_name),
        location=LocationSummary(
            id=document.location_id,
            name=document.location_name,
            address=document.address,
            latitude=document.latitude,
            longitude=document.longitude,
        ),
        service_at_location_id=document.id if document.location_id else None,
        distance_km=None if distance_km is None else round(distance_km, 3),
        categories=document.categories,
        languages=document.languages,
        snippet=snippet(text, words),
    )
