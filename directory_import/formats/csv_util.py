"""Shared helpers of the CSV format readers: streaming rows, cleaning values, ordering the output."""

from __future__ import annotations

import codecs
import csv
import datetime
import hashlib
import html
import math
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from directory_import.records import KIND_ORDER, ObjectKind, RejectedRecord, SourceRecord, SourceUnreadable

Output = SourceRecord | RejectedRecord
T = TypeVar("T")

# KIND_ORDER puts funding and url before service, yet both may point at a service: they are moved
# right after it so that every reference points backwards.
_LATE_KINDS: tuple[ObjectKind, ...] = ("funding", "url")
OUTPUT_ORDER: tuple[ObjectKind, ...] = tuple(
    kind
    for base in KIND_ORDER
    if base not in _LATE_KINDS
    for kind in ((base, *_LATE_KINDS) if base == "service" else (base,))
)

_CHUNK = 1 << 20


# --- reading -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """One data row of a CSV file: trimmed values, empty cells left out."""

    file: str
    number: int  # as a spreadsheet shows it: the header is row 1, the first data row is row 2
    values: dict[str, str]

    @property
    def origin(self) -> str:
        return f"{self.file} row {self.number}"

    def get(self, column: str) -> str | None:
        return self.values.get(column)

    def reject(
        self, kind: str, reason: str, *, field: str | None = None, source_id: str | None = None
    ) -> RejectedRecord:
        return RejectedRecord(
            origin=self.origin,
            kind=kind,
            source_id=source_id if source_id is not None else self.values.get("id"),
            field=field,
            reason=reason,
        )


def _clean_header(name: str | None) -> str:
    return (name or "").replace("\ufeff", "").strip().lower()


def check_utf8(path: Path) -> None:
    """Raise SourceUnreadable naming the file and line when it is not UTF-8 text."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    bad = chunk[exc.start : exc.start + 1].hex()
                    where = line + chunk.count(b"\n", 0, exc.start)
                    raise SourceUnreadable(
                        f"{path.name} is not UTF-8 text: byte 0x{bad} on line {where}"
                        " (re-export the file as UTF-8)"
                    ) from None
                line += chunk.count(b"\n")
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise SourceUnreadable(
            f"{path.name} is not UTF-8 text: it ends in the middle of a character"
        ) from None
    except OSError as exc:
        raise SourceUnreadable(f"cannot read {path.name}: {exc.strerror or exc}") from exc


def read_header(path: Path) -> list[str]:
    """The lower-cased column names of a CSV file; SourceUnreadable when it has none or is not text."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            first = next(csv.reader(handle), None)
    except UnicodeDecodeError:
        raise SourceUnreadable(f"{path.name} is not UTF-8 text (re-export the file as UTF-8)") from None
    except csv.Error as exc:
        raise SourceUnreadable(f"{path.name} row 1: not valid CSV ({exc})") from exc
    except OSError as exc:
        raise SourceUnreadable(f"cannot read {path.name}: {exc.strerror or exc}") from exc
    if not first or not any(cell.strip() for cell in first):
        raise SourceUnreadable(f"{path.name} is empty: a CSV file needs a header row")
    return [_clean_header(cell) for cell in first]


def peek_header(path: Path) -> list[str] | None:
    """Like read_header, but None instead of an error: for cheap format detection."""
    try:
        return read_header(path)
    except SourceUnreadable:
        return None


def iter_rows(path: Path) -> Iterator[Row]:
    """Stream the data rows of a UTF-8 CSV file (a leading BOM is ignored); blank rows are skipped."""
    number = 1
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                return
            columns = [_clean_header(cell) for cell in header]
            for cells in reader:
                number += 1
                values: dict[str, str] = {}
                for column, cell in zip(columns, cells, strict=False):
                    value = cell.strip()
                    if value and column and column not in values:
                        values[column] = value
                if values:
                    yield Row(path.name, number, values)
    except UnicodeDecodeError:
        raise SourceUnreadable(f"{path.name} is not UTF-8 text (after row {number})") from None
    except csv.Error as exc:
        raise SourceUnreadable(f"{path.name} row {number + 1}: not valid CSV ({exc})") from exc
    except OSError as exc:
        raise SourceUnreadable(f"cannot read {path.name}: {exc.strerror or exc}") from exc


def require_columns(path: Path, header: Collection[str], needed: Iterable[str]) -> None:
    missing = [name for name in needed if name not in header]
    if missing:
        raise SourceUnreadable(
            f"{path.name} has no {', '.join(repr(name) for name in missing)} column"
            f" (its columns: {', '.join(header)})"
        )


# --- cleaning values -----------------------------------------------------------------------------

_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
_SPACES = re.compile(r"\s+")
_BLANK_LINES = re.compile(r"\n{3,}")


def _unescape(value: str) -> str:
    # Only real entities: html.unescape would also turn a bare "&copy" or "&lt" inside text into symbols.
    return html.unescape(value) if _ENTITY.search(value) else value


def clean_line(value: str | None) -> str | None:
    """A one-line value (a name, a title): entities decoded, runs of white space made one space."""
    if value is None:
        return None
    cleaned = _SPACES.sub(" ", _unescape(value)).strip()
    return cleaned or None


def clean_text(value: str | None) -> str | None:
    """Free text: entities decoded, line ends unified, trailing blanks and padding lines removed."""
    if value is None:
        return None
    text = _unescape(value).replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    text = _BLANK_LINES.sub("\n\n", text).strip()
    return text or None


def split_list(value: str | None) -> list[str]:
    """Comma-separated items (as Ohana and HSDS 1.x write lists), keeping commas inside parentheses."""
    if value is None:
        return []
    items: list[str] = []
    depth = 0
    current: list[str] = []
    for char in value:
        if char in "([":
            depth += 1
        elif char in ")]" and depth:
            depth -= 1
        if char in ",;" and depth == 0:
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    cleaned = (clean_line(item) for item in items)
    return list(dict.fromkeys(item for item in cleaned if item is not None))


_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})


def parse_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{value!r} is not true or false")


def parse_number(value: str) -> float:
    try:
        number = float(value.replace(",", ""))
    except ValueError:
        raise ValueError(f"{value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a number")
    return number


def parse_int(value: str) -> int:
    number = parse_number(value)
    if not number.is_integer():
        raise ValueError(f"{value!r} is not a whole number")
    return int(number)


def parse_coordinate(value: str, *, limit: float, name: str) -> float:
    number = parse_number(value)
    if not -limit <= number <= limit:
        raise ValueError(f"{name} {value!r} is outside -{limit:g}..{limit:g}")
    return number


def parse_year(value: str) -> int:
    """The year of a date (1.x `year_incorporated` is typed date; Ohana writes `date_incorporated`)."""
    match = re.search(r"\b(1[6-9]\d\d|20\d\d)\b", value)
    if match is None:
        raise ValueError(f"{value!r} holds no year")
    return int(match.group(1))


_ZIP9 = re.compile(r"(\d{5})[\s-]?(\d{4})")


def clean_postal_code(value: str | None, country: str | None) -> str | None:
    """US ZIP+4 written as nine digits or with a space becomes 12345-6789; anything else is kept as given."""
    code = clean_line(value)
    if code is None or (country or "US").upper() != "US":
        return code
    match = _ZIP9.fullmatch(code)
    return f"{match.group(1)}-{match.group(2)}" if match else code


_WEEKDAYS = {
    "monday": "MO",
    "tuesday": "TU",
    "wednesday": "WE",
    "thursday": "TH",
    "friday": "FR",
    "saturday": "SA",
    "sunday": "SU",
}
_WEEKDAY_NUMBERS = {str(n): code for n, code in enumerate(_WEEKDAYS.values(), start=1)}


def weekday_to_byday(value: str) -> str:
    """An RFC 5545 day code from a day name, a 3-letter name, or a number (1.x: 1 = Monday, 7 = Sunday)."""
    lowered = value.strip().lower().rstrip(".")
    if lowered in _WEEKDAY_NUMBERS:
        return _WEEKDAY_NUMBERS[lowered]
    if lowered.upper() in _WEEKDAYS.values():
        return lowered.upper()
    for name, code in _WEEKDAYS.items():
        if len(lowered) >= 3 and name.startswith(lowered):
            return code
    raise ValueError(f"{value!r} is not a day of the week (a name, or 1 = Monday to 7 = Sunday)")


_TIME = re.compile(
    r"(?P<h>\d{1,2})(?::(?P<m>\d{2}))?(?::(?P<s>\d{2}))?\s*(?P<ampm>[ap]\.?m\.?)?\s*"
    r"(?P<tz>Z|[+-]\d{2}(?::?\d{2})?)?",
    re.IGNORECASE,
)


def normalise_time(value: str) -> str:
    """HH:MM (with seconds only when they are not zero, and the source's UTC offset if any)."""
    match = _TIME.fullmatch(value.strip())
    if match is None or (match.group("m") is None and match.group("ampm") is None):
        raise ValueError(f"{value!r} is not a time of day (HH:MM)")
    hour = int(match.group("h"))
    minute = int(match.group("m") or 0)
    second = int(match.group("s") or 0)
    ampm = (match.group("ampm") or "").lower().replace(".", "")
    if ampm:
        if not 1 <= hour <= 12:
            raise ValueError(f"{value!r} is not a time of day")
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour == 24 and minute == 0 and second == 0:
        # "24:00" closes at midnight; most time parsers refuse it, so the last minute of the day stands in.
        hour, minute = 23, 59
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"{value!r} is not a time of day")
    text = f"{hour:02d}:{minute:02d}" + (f":{second:02d}" if second else "")
    return text + (match.group("tz") or "").upper()


@dataclass(frozen=True, slots=True)
class PhoneParts:
    """A phone cell split into the numbers it holds; `note` keeps text that is no number or extension."""

    numbers: list[str]
    extension: int | None = None
    note: str | None = None


# "x" only as a word of its own or after a digit, so that "1-800-BOX 1234" keeps its letters.
_EXTENSION = re.compile(r"\s*,?\s*(?<![a-z])(?:ext\.?|extension|x)\s*[:.]?\s*(\d+)\s*$", re.IGNORECASE)
_EXTENSION_CELL = re.compile(r"(?:ext\.?|extension|x|#)?\s*[:.]?\s*(\d+)", re.IGNORECASE)
_SEPARATORS = re.compile(r"\s*(?:;|\bor\b)\s*", re.IGNORECASE)
_DIAL_CODE = re.compile(r"[2-9]11")
_PLACEHOLDER = re.compile(r"[()\s.-]+")


def split_phone(value: str | None) -> PhoneParts:
    """Numbers, extension and stray text of a phone cell, as exports write them by hand."""
    text = clean_line(value)
    if text is None:
        return PhoneParts([])
    parts = [part for part in _SEPARATORS.split(text) if part.strip()]
    numbers: list[str] = []
    notes: list[str] = []
    extension: int | None = None
    for raw in parts:
        part = raw
        found = _EXTENSION.search(part)
        if found is not None and extension is None and not numbers:
            extension = int(found.group(1))
            part = part[: found.start()]
        # Directory software prints an empty template "(   )    -" around short dial codes such as
        # 211, 311 or 711; anything else shorter than a local number is a fragment, kept as a note.
        compact = _PLACEHOLDER.sub("", part)
        if _DIAL_CODE.fullmatch(compact):
            numbers.append(compact)
        elif any(char.isdigit() for char in compact) and len(compact) >= 7:
            numbers.append(_SPACES.sub(" ", part.strip()).strip(" -"))
        elif compact:
            notes.append(_SPACES.sub(" ", part.strip()))
    return PhoneParts(numbers, extension, "; ".join(notes) or None)


_PHONE_TYPES = {
    "voice": "voice",
    "phone": "voice",
    "main": "voice",
    "hotline": "voice",
    "fax": "fax",
    "cell": "cell",
    "mobile": "cell",
    "text": "text",
    "sms": "text",
    "video": "video",
    "pager": "pager",
    "textphone": "textphone",
    "tty": "textphone",
    "tdd": "textphone",
}


def phone_type(value: str | None) -> str | None:
    """RFC 6350 type names, which HSDS 3.1 `phone.type` draws from; unknown words are kept."""
    if value is None:
        return None
    lowered = value.strip().lower()
    return _PHONE_TYPES.get(lowered, lowered)


_STATUSES = {"active", "inactive", "defunct", "temporarily closed"}


def service_status(value: str | None) -> str:
    """HSDS 3.1 service status; an export that leaves it blank lists the service, so it is active."""
    if value is None:
        return "active"
    lowered = _SPACES.sub(" ", value.replace("_", " ")).strip().lower()
    return lowered if lowered in _STATUSES else value


def country_code(value: str | None) -> str:
    """ISO 3166-1 alpha-2 in upper case; "US" when the source leaves it blank.

    HSDS 3.1 requires `country`, which 1.x exports and Ohana often leave blank. The importer serves US
    referral networks (ZIP codes, 211 taxonomies), so a blank country is the United States.
    """
    code = clean_line(value)
    if code is None:
        return "US"
    upper = code.upper()
    if upper in {"USA", "UNITED STATES", "UNITED STATES OF AMERICA", "U.S.", "U.S.A."}:
        return "US"
    return upper


def derived_id(table: str, row: Row, exclude: Collection[str] = ("id",)) -> str:
    """A source id for a row that has none (hsds-transformer leaves child ids blank).

    It is built from the row's content rather than its position, so it stays the same across re-imports
    of unchanged data; an edited row gets a new id, and the old record is deactivated.
    """
    digest = hashlib.sha256()
    for column in sorted(row.values):
        if column not in exclude:
            digest.update(f"{column}\x1f{row.values[column]}\x1e".encode())
    return f"{table}:{digest.hexdigest()[:20]}"


class FieldError(ValueError):
    """A value that cannot be read, with the column it came from."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?")
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def parse_date(value: str) -> str:
    """YYYY-MM-DD, which HSDS 3.1 asks for, from ISO dates (a time part is dropped) or US M/D/YYYY."""
    text = value.strip()
    iso = _ISO_DATE.fullmatch(text)
    us = _US_DATE.fullmatch(text)
    if iso is not None:
        year, month, day = (int(part) for part in iso.groups())
    elif us is not None:
        month, day, year = (int(part) for part in us.groups())
    else:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)")
    try:
        return datetime.date(year, month, day).isoformat()
    except ValueError:
        raise ValueError(f"{value!r} is not a date") from None


def _time_field(row: Row, column: str) -> str | None:
    value = row.get(column)
    if value is None:
        return None
    try:
        return normalise_time(value)
    except ValueError as exc:
        raise FieldError(column, str(exc)) from None


_SCHEDULE_LINKS = ("service_id", "location_id", "service_at_location_id")


def weekly_schedule_fields(row: Row) -> dict[str, Any]:
    """A 1.x / Ohana regular_schedules row (one weekday, one opening) as an HSDS 3.1 weekly RRULE."""
    weekday = row.get("weekday")
    if weekday is None:
        raise FieldError("weekday", "no weekday: a regular schedule row is one day of the week")
    try:
        byday = weekday_to_byday(weekday)
    except ValueError as exc:
        raise FieldError("weekday", str(exc)) from None
    fields: dict[str, Any] = {link: row.get(link) for link in _SCHEDULE_LINKS}
    fields.update(
        freq="WEEKLY",
        byday=byday,
        opens_at=_time_field(row, "opens_at"),
        closes_at=_time_field(row, "closes_at"),
    )
    return fields


def holiday_schedule_fields(row: Row) -> dict[str, Any]:
    """A holiday_schedules row as an HSDS 3.1 schedule valid over the holiday's dates.

    HSDS 3.1 dropped the holiday table: an exception to the weekly hours is a schedule limited to
    the dates, with its hours, or the description "Closed" when the place is closed.
    """
    fields: dict[str, Any] = {link: row.get(link) for link in _SCHEDULE_LINKS}
    for column, target in (("start_date", "valid_from"), ("end_date", "valid_to")):
        value = row.get(column)
        if value is not None:
            try:
                fields[target] = parse_date(value)
            except ValueError as exc:
                raise FieldError(column, str(exc)) from None
    closed_text = row.get("closed")
    try:
        closed = parse_bool(closed_text) if closed_text is not None else False
    except ValueError as exc:
        raise FieldError("closed", str(exc)) from None
    if closed:
        fields["description"] = "Closed"
    else:
        fields["opens_at"] = _time_field(row, "opens_at")
        fields["closes_at"] = _time_field(row, "closes_at")
    return fields


def coordinates(row: Row) -> tuple[float | None, float | None, list[RejectedRecord]]:
    """Latitude and longitude of a location row, or neither, with a rejection naming a broken value."""
    lat_text, lng_text = row.get("latitude"), row.get("longitude")
    if lat_text is None and lng_text is None:
        return None, None, []  # many directories are not geocoded; the import geocodes the address
    try:
        if lat_text is None or lng_text is None:
            missing = "latitude" if lat_text is None else "longitude"
            raise FieldError(missing, f"{missing} is missing while the other coordinate is given")
        try:
            lat = parse_coordinate(lat_text, limit=90, name="latitude")
        except ValueError as exc:
            raise FieldError("latitude", str(exc)) from None
        try:
            lng = parse_coordinate(lng_text, limit=180, name="longitude")
        except ValueError as exc:
            raise FieldError("longitude", str(exc)) from None
        if lat == 0 and lng == 0:
            raise FieldError("latitude", "0, 0 is a placeholder, not a place")
    except FieldError as exc:
        return (
            None,
            None,
            [row.reject("location", f"{exc}: the location is kept without coordinates", field=exc.field)],
        )
    return lat, lng, []


def phone_records(
    row: Row,
    source_id: str,
    links: Mapping[str, str | None],
    *,
    number: str | None,
    extension: str | None,
    phone_kind: str | None,
    notes: Iterable[str | None] = (),
) -> list[SourceRecord]:
    """HSDS 3.1 phones from one phone cell; a cell listing several numbers gives one phone each.

    `extension` is a number in 3.1: an extension that is not one goes into the description, not lost.
    """
    parts = split_phone(number)
    described = [note for note in notes if note]
    ext_number = parts.extension
    if extension is not None:
        digits = _EXTENSION_CELL.fullmatch(extension.strip())
        if digits is not None:
            ext_number = int(digits.group(1))
        else:
            described.append(f"extension {extension}")
    if parts.note:
        described.append(parts.note)
    base = {**links, "type": phone_type(phone_kind), "description": "; ".join(described) or None}
    if not parts.numbers:
        # HSDS 3.1 requires a number: the validator rejects this phone and names the field.
        return [record("phone", source_id, {**base, "extension": ext_number}, row.origin)]
    return [
        record(
            "phone",
            source_id if index == 0 else f"{source_id}/{index + 1}",
            {**base, "number": value, "extension": ext_number if index == 0 else None},
            row.origin,
        )
        for index, value in enumerate(parts.numbers)
    ]


# --- building records ----------------------------------------------------------------------------


def record(kind: ObjectKind, source_id: str, fields: Mapping[str, Any], origin: str) -> SourceRecord:
    """A SourceRecord with empty values left out, as the contract asks."""
    kept = {name: value for name, value in fields.items() if value is not None and value != ""}
    return SourceRecord(kind=kind, source_id=source_id, fields=kept, origin=origin)


def parents_first(
    items: Sequence[T], key: Callable[[T], str], parent: Callable[[T], str | None]
) -> list[tuple[T, bool]]:
    """Order a small hierarchical table so that every parent comes before its children.

    Returns each item with False when its parent is absent or the item sits in a cycle; the caller
    reports those and drops the parent link.
    """
    known = {key(item) for item in items}
    children: dict[str, list[T]] = {}
    roots: list[tuple[T, bool]] = []
    for item in items:
        up = parent(item)
        if up is None:
            roots.append((item, True))
        elif up not in known or up == key(item):
            roots.append((item, False))
        else:
            children.setdefault(up, []).append(item)
    ordered: list[tuple[T, bool]] = []
    placed: set[str] = set()
    stack = list(reversed(roots))
    while stack:
        item, ok = stack.pop()
        if key(item) in placed:
            continue
        placed.add(key(item))
        ordered.append((item, ok))
        stack.extend((child, True) for child in reversed(children.get(key(item), [])))
    ordered.extend((item, False) for item in items if key(item) not in placed)
    return ordered


@dataclass(slots=True)
class Source:
    """A table of the export and the kinds of record its rows become."""

    kinds: frozenset[str]
    rows: Callable[[], Iterable[Output]]
    # Another table already yields this kind with ids of its own: colliding ids get this prefix.
    id_prefix: str | None = None


@dataclass(slots=True)
class _IdClaims:
    taken: dict[str, set[str]] = field(default_factory=dict)

    def claim(self, kind: str, source_id: str, prefix: str) -> str:
        ids = self.taken.setdefault(kind, set())
        chosen = source_id if source_id not in ids else f"{prefix}:{source_id}"
        ids.add(chosen)
        return chosen


def emit_in_order(sources: Sequence[Source]) -> Iterator[Output]:
    """Yield every record kind by kind (OUTPUT_ORDER), re-reading a table once per kind it produces.

    Reading a file again costs far less than holding a big export in memory, and it keeps the promise
    that a reference always points at a record already yielded. Rejections go out with their kind.
    """
    shared = {kind for kind in OUTPUT_ORDER if sum(kind in source.kinds for source in sources) > 1}
    guarded = {kind for source in sources if source.id_prefix is not None for kind in source.kinds & shared}
    claims = _IdClaims()
    for kind in OUTPUT_ORDER:
        for source in sources:
            if kind not in source.kinds:
                continue
            for produced in source.rows():
                output = produced
                if output.kind not in source.kinds:
                    raise ValueError(
                        f"a {output.kind} record came from a table declared for {sorted(source.kinds)}"
                    )
                if output.kind != kind:
                    continue
                if isinstance(output, SourceRecord) and kind in guarded:
                    if source.id_prefix is None:
                        claims.taken.setdefault(kind, set()).add(output.source_id)
                    else:
                        chosen = claims.claim(kind, output.source_id, source.id_prefix)
                        if chosen != output.source_id:
                            output = SourceRecord(output.kind, chosen, output.fields, output.origin)
                yield output


def program_records(rows: Iterable[Row]) -> Iterator[Output]:
    """Programs as Ohana and HSDS 1.x/2.x export them (id, organization_id, name, ...)."""
    for row in rows:
        program_id = row.get("id")
        if program_id is None:
            yield row.reject("program", "no id: nothing could point at this program", field="id")
            continue
        name = clean_line(row.get("name"))
        yield record(
            "program",
            program_id,
            {
                "organization_id": row.get("organization_id"),
                "name": name,
                "alternate_name": clean_line(row.get("alternate_name")),
                # HSDS 3.1 requires a description, which neither format has for programs: the name stands in.
                "description": clean_text(row.get("description")) or name,
            },
            row.origin,
        )
