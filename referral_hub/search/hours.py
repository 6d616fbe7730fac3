"""Opening hours as 15-minute slots of the local week, so that "open now" is one lookup per zone."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SLOT_MINUTES = 15
SLOTS_PER_DAY = 24 * 60 // SLOT_MINUTES
SLOTS_PER_WEEK = 7 * SLOTS_PER_DAY
# RFC 5545 BYDAY codes, as HSDS 3.1 schedules use them; Monday is day 0.
DAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?")


def _minutes(text: str | None) -> int | None:
    match = _TIME.match(text.strip()) if text else None
    if match is None:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        return None
    return hours * 60 + minutes


@lru_cache(maxsize=4096)
def weekly_slots(
    freq: str | None, byday: str | None, opens_at: str | None, closes_at: str | None
) -> frozenset[int]:
    """The slots one HSDS schedule row keeps open; empty when its hours are not machine-readable.

    A slot counts only when the place is open for all of it (09:10-16:50 opens 09:15-16:45): erring
    towards "closed" sends nobody to a locked door. Hours past midnight run into the next day.
    """
    if (freq or "WEEKLY").upper() != "WEEKLY" or not byday:
        return frozenset()
    opens, closes = _minutes(opens_at), _minutes(closes_at)
    if opens is None or closes is None or opens == closes:
        return frozenset()
    if closes < opens:
        closes += 24 * 60
    first = -(-opens // SLOT_MINUTES)  # first slot starting at or after opening
    last = closes // SLOT_MINUTES  # slots ending at or before closing
    slots: set[int] = set()
    for code in re.split(r"[,\s]+", byday.upper()):
        day = DAYS.get(code[-2:]) if len(code) >= 2 else None
        if day is None:
            continue
        start = day * SLOTS_PER_DAY
        slots.update((start + slot) % SLOTS_PER_WEEK for slot in range(first, last))
    # Cached: directories repeat the same few opening hours thousands of times.
    return frozenset(slots)


def merge_slots(groups: Iterable[frozenset[int]]) -> list[int]:
    groups = list(groups)
    if len(groups) == 1:
        return sorted(groups[0])
    return sorted(frozenset().union(*groups))


@lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def current_slot(at: datetime, time_zone: str) -> int | None:
    """The slot of the week that `at` falls in, in `time_zone`; None for an unknown zone."""
    zone = _zone(time_zone)
    if zone is None:
        return None
    local = at.astimezone(zone)
    return local.weekday() * SLOTS_PER_DAY + (local.hour * 60 + local.minute) // SLOT_MINUTES
