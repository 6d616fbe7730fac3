"""IANA time zones derived offline: from coordinates (timezonefinder), else from the US state or territory."""

from __future__ import annotations

import atexit
import functools
import math
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from timezonefinder import TimezoneFinder

# The zone where most of each state's people live. States split between zones (FL, IN, KY, MI, ND, NE,
# OR, SD, TN, TX, ID, KS) get their majority zone; coordinates, when known, always win over this table.
# FM (Chuuk and Pohnpei differ) and UM (scattered islands) are left out on purpose: no single answer.
_STATE_ZONES: dict[str, tuple[str, str]] = {
    "AL": ("Alabama", "America/Chicago"),
    "AK": ("Alaska", "America/Anchorage"),
    "AZ": ("Arizona", "America/Phoenix"),
    "AR": ("Arkansas", "America/Chicago"),
    "CA": ("California", "America/Los_Angeles"),
    "CO": ("Colorado", "America/Denver"),
    "CT": ("Connecticut", "America/New_York"),
    "DE": ("Delaware", "America/New_York"),
    "DC": ("District of Columbia", "America/New_York"),
    "FL": ("Florida", "America/New_York"),
    "GA": ("Georgia", "America/New_York"),
    "HI": ("Hawaii", "Pacific/Honolulu"),
    "ID": ("Idaho", "America/Boise"),
    "IL": ("Illinois", "America/Chicago"),
    "IN": ("Indiana", "America/Indiana/Indianapolis"),
    "IA": ("Iowa", "America/Chicago"),
    "KS": ("Kansas", "America/Chicago"),
    "KY": ("Kentucky", "America/New_York"),
    "LA": ("Louisiana", "America/Chicago"),
    "ME": ("Maine", "America/New_York"),
    "MD": ("Maryland", "America/New_York"),
    "MA": ("Massachusetts", "America/New_York"),
    "MI": ("Michigan", "America/Detroit"),
    "MN": ("Minnesota", "America/Chicago"),
    "MS": ("Mississippi", "America/Chicago"),
    "MO": ("Missouri", "America/Chicago"),
    "MT": ("Montana", "America/Denver"),
    "NE": ("Nebraska", "America/Chicago"),
    "NV": ("Nevada", "America/Los_Angeles"),
    "NH": ("New Hampshire", "America/New_York"),
    "NJ": ("New Jersey", "America/New_York"),
    "NM": ("New Mexico", "America/Denver"),
    "NY": ("New York", "America/New_York"),
    "NC": ("North Carolina", "America/New_York"),
    "ND": ("North Dakota", "America/Chicago"),
    "OH": ("Ohio", "America/New_York"),
    "OK": ("Oklahoma", "America/Chicago"),
    "OR": ("Oregon", "America/Los_Angeles"),
    "PA": ("Pennsylvania", "America/New_York"),
    "RI": ("Rhode Island", "America/New_York"),
    "SC": ("South Carolina", "America/New_York"),
    "SD": ("South Dakota", "America/Chicago"),
    "TN": ("Tennessee", "America/Chicago"),
    "TX": ("Texas", "America/Chicago"),
    "UT": ("Utah", "America/Denver"),
    "VT": ("Vermont", "America/New_York"),
    "VA": ("Virginia", "America/New_York"),
    "WA": ("Washington", "America/Los_Angeles"),
    "WV": ("West Virginia", "America/New_York"),
    "WI": ("Wisconsin", "America/Chicago"),
    "WY": ("Wyoming", "America/Denver"),
    "PR": ("Puerto Rico", "America/Puerto_Rico"),
    "VI": ("U.S. Virgin Islands", "America/St_Thomas"),
    "GU": ("Guam", "Pacific/Guam"),
    "AS": ("American Samoa", "Pacific/Pago_Pago"),
    "MP": ("Northern Mariana Islands", "Pacific/Saipan"),
    "MH": ("Marshall Islands", "Pacific/Majuro"),
    "PW": ("Palau", "Pacific/Palau"),
}

_EXTRA_NAMES: dict[str, str] = {
    "washington dc": "DC",
    "washington d c": "DC",
    "virgin islands": "VI",
    "us virgin islands": "VI",
    "united states virgin islands": "VI",
    "commonwealth of the northern mariana islands": "MP",
    "commonwealth of puerto rico": "PR",
}


def _key(text: str) -> str:
    return " ".join(re.sub(r"[^a-z]+", " ", text.casefold().replace(".", "")).split())


_STATE_LOOKUP: dict[str, str] = {
    **{_key(code): zone for code, (_, zone) in _STATE_ZONES.items()},
    **{_key(name): zone for _, (name, zone) in _STATE_ZONES.items()},
    **{name: _STATE_ZONES[code][1] for name, code in _EXTRA_NAMES.items()},
}


def state_timezone(state: str | None) -> str | None:
    """The predominant IANA zone of a US state or territory given by two-letter code or full name."""
    if not state:
        return None
    return _STATE_LOOKUP.get(_key(state))


def timezone_for(latitude: float | None, longitude: float | None, state: str | None = None) -> str | None:
    """The IANA zone at the coordinates (on land), else the state's predominant zone, else None."""
    if latitude is not None and longitude is not None and _valid_coordinates(latitude, longitude):
        # At sea timezonefinder answers nautical Etc/GMT zones; a service location there is a bad geocode,
        # so only a land answer counts and the state decides otherwise.
        zone = _finder().timezone_at_land(lat=latitude, lng=longitude)
        if zone:
            return str(zone)
    return state_timezone(state)


def _valid_coordinates(latitude: float, longitude: float) -> bool:
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        return False
    return -90.0 <= latitude <= 90.0 and -180.0 <= longitude <= 180.0


@functools.cache
def _finder() -> TimezoneFinder:
    # Built on first use: importing and opening the bundled polygons takes about 0.1 s and 25 MB of RSS,
    # then a lookup costs about 2 microseconds. The data ships with the package; no network is used.
    from timezonefinder import TimezoneFinder  # noqa: PLC0415

    finder = TimezoneFinder()
    # Unmap the polygon files before interpreter shutdown, where a late release warns about open files.
    atexit.register(finder.cleanup)
    return finder
