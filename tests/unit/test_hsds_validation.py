"""The fast msgspec checks agree with full HSDS 3.1 JSON Schema validation."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from directory_import.validation import RecordInvalid, StrictValidator, check_record
from referral_hub.directory.hsds import HSDS_TYPES

EXAMPLES = Path(__file__).resolve().parents[3] / "shared" / "data" / "hsds" / "spec-3.1" / "examples"
EXAMPLE_KINDS = {
    "service_full.json": "service",
    "organization_full.json": "organization",
    "service_at_location_full.json": "service_at_location",
    "location.json": "location",
    "taxonomy.json": "taxonomy",
    "taxonomy_term.json": "taxonomy_term",
}


@pytest.fixture(scope="module")
def strict() -> StrictValidator:
    return StrictValidator()


def example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / name).read_text())
    return data


def fast_accepts(kind: str, data: dict[str, Any]) -> bool:
    try:
        msgspec.convert(data, HSDS_TYPES[kind], strict=True)
    except msgspec.ValidationError:
        return False
    return True


def strict_accepts(validator: StrictValidator, kind: str, data: dict[str, Any]) -> bool:
    try:
        validator.check(kind, data)
    except RecordInvalid:
        return False
    return True


@pytest.mark.parametrize(("name", "kind"), sorted(EXAMPLE_KINDS.items()))
def test_both_accept_every_official_example(name: str, kind: str, strict: StrictValidator) -> None:
    data = example(name)
    assert strict_accepts(strict, kind, data)
    assert fast_accepts(kind, data)


def _set(path: list[Any], value: Any) -> Any:
    def mutate(data: dict[str, Any]) -> None:
        target: Any = data
        for step in path[:-1]:
            target = target[step]
        if value is _DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return mutate


_DELETE = object()

BROKEN = {
    "service without name": ("service_full.json", "service", _set(["name"], _DELETE)),
    "service without status": ("service_full.json", "service", _set(["status"], _DELETE)),
    "unknown service status": ("service_full.json", "service", _set(["status"], "open")),
    "service id not a uuid": ("service_full.json", "service", _set(["id"], "143903")),
    "e-mail without @": ("service_full.json", "service", _set(["email"], "not-an-email")),
    "url without scheme": ("service_full.json", "service", _set(["url"], "www.example.org")),
    "minimum age as text": ("service_full.json", "service", _set(["minimum_age"], "12")),
    "last_modified not a date-time": ("service_full.json", "service", _set(["last_modified"], "2023-13-45")),
    "nested phone without number": ("service_full.json", "service", _set(["phones", 0, "number"], _DELETE)),
    "nested address type unknown": (
        "location.json",
        "location",
        _set(["addresses", 0, "address_type"], "home"),
    ),
    "schedule freq unknown": ("service_full.json", "service", _set(["schedules", 0, "freq"], "DAILY")),
    "organization without description": (
        "organization_full.json",
        "organization",
        _set(["description"], _DELETE),
    ),
    "location without location_type": ("location.json", "location", _set(["location_type"], _DELETE)),
    "latitude as text": ("location.json", "location", _set(["latitude"], "39.3")),
    "taxonomy term without name": ("taxonomy_term.json", "taxonomy_term", _set(["name"], _DELETE)),
    "name as a number": ("taxonomy.json", "taxonomy", _set(["name"], 12)),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_both_reject_broken_records(case: str, strict: StrictValidator) -> None:
    name, kind, mutate = BROKEN[case]
    data = copy.deepcopy(example(name))
    mutate(data)
    assert not strict_accepts(strict, kind, data), "the JSON Schema accepts it: the case is not broken"
    assert not fast_accepts(kind, data)


def test_a_bad_optional_value_is_dropped_and_named_while_the_record_survives() -> None:
    data = {
        "id": "ac148810-d857-441c-9679-408f346de14b",
        "name": "Food pantry",
        "status": "active",
        "email": "not-an-email",
        "url": "www.example.org",
    }
    dropped = check_record("service", data, repair=True)
    assert dict(dropped) == {
        "email": "not an e-mail address",
        "url": "not an absolute URI (such as https://example.org)",
    }
    assert data == {"id": "ac148810-d857-441c-9679-408f346de14b", "name": "Food pantry", "status": "active"}


def test_a_missing_required_field_rejects_the_record_and_names_the_field() -> None:
    with pytest.raises(RecordInvalid) as caught:
        check_record("service", {"id": "ac148810-d857-441c-9679-408f346de14b", "name": "x"}, repair=True)
    assert caught.value.field == "status"


def test_without_repair_the_first_bad_value_rejects() -> None:
    data = {"id": "ac148810-d857-441c-9679-408f346de14b", "name": "x", "status": "active", "email": "nope"}
    with pytest.raises(RecordInvalid) as caught:
        check_record("service", data, repair=False)
    assert caught.value.field == "email"
