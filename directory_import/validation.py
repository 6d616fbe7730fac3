"""Checking mapped records against HSDS 3.1: msgspec in the hot path, full JSON Schema for --strict."""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

import msgspec

from referral_hub.directory.hsds import HSDS_TYPES

_AT_FIELD = re.compile(r"at `\$\.([A-Za-z_]+)[^`]*`")
_FRIENDLY = (
    ("regex '^[^@", "not an e-mail address"),
    ("regex '^[A-Za-z][A-Za-z0-9+.", "not an absolute URI (such as https://example.org)"),
    ("regex '^[0-9a-fA-F]{8}", "not a UUID"),
    ("Expected `datetime`", "not an RFC 3339 date-time with a time zone"),
)


class RecordInvalid(Exception):
    def __init__(self, field: str | None, reason: str) -> None:
        super().__init__(f"{field}: {reason}" if field else reason)
        self.field = field
        self.reason = reason


@cache
def _required_fields(kind: str) -> frozenset[str]:
    info = msgspec.inspect.type_info(HSDS_TYPES[kind])
    assert isinstance(info, msgspec.inspect.StructType)
    return frozenset(f.name for f in info.fields if f.required)


def check_record(kind: str, data: dict[str, Any], *, repair: bool) -> list[tuple[str, str]]:
    """Validate `data` (with its `id`) in place.

    With `repair`, an optional field with a bad value is removed from `data` and reported as
    (field, reason); a problem with a required field raises RecordInvalid. Without `repair`,
    the first problem raises.
    """
    dropped: list[tuple[str, str]] = []
    struct_type = HSDS_TYPES[kind]
    for _ in range(len(data) + 1):
        try:
            msgspec.convert(data, struct_type, strict=True)
        except msgspec.ValidationError as exc:
            message = str(exc)
            match = _AT_FIELD.search(message)
            field = match.group(1) if match else None
            if field is None and message.startswith("Object missing required field"):
                field = message.split("`")[1]
                message = "required by HSDS 3.1, missing"
            reason = _AT_FIELD.sub("", message).strip(" -") or message
            reason = next((text for marker, text in _FRIENDLY if marker in reason), reason)
            if not repair or field is None or field in _required_fields(kind) or field not in data:
                raise RecordInvalid(field, reason) from None
            del data[field]
            dropped.append((field, reason))
        else:
            return dropped
    raise RecordInvalid(None, "the record could not be repaired")


class StrictValidator:
    """Full JSON Schema validation against the HSDS 3.1 schemas shipped in the package."""

    def __init__(self) -> None:
        # jsonschema is needed only here; imported lazily so ordinary imports do not pay for it.
        import jsonschema  # noqa: PLC0415
        from referencing import Registry, Resource  # noqa: PLC0415
        from referencing.jsonschema import DRAFT202012  # noqa: PLC0415

        folder = resources.files("referral_hub.directory") / "data" / "hsds-3.1-schema"
        schemas: dict[str, Any] = {}
        for entry in folder.iterdir():
            if entry.name.endswith(".json"):
                schemas[entry.name] = json.loads(entry.read_text(encoding="utf-8"))
        registry: Registry[Any] = Registry().with_resources(
            (name, Resource.from_contents(body, default_specification=DRAFT202012))
            for name, body in schemas.items()
        )
        self._validators = {
            kind: jsonschema.Draft202012Validator(
                {"$ref": f"{kind}.json"}, registry=registry, format_checker=jsonschema.FormatChecker()
            )
            for kind in HSDS_TYPES
        }

    def check(self, kind: str, data: dict[str, Any]) -> None:
        error = next(iter(self._validators[kind].iter_errors(data)), None)
        if error is not None:
            field = next((str(p) for p in error.absolute_path), None)
            if field is None and error.validator == "required":
                field = str(error.message).split("'")[1] if "'" in error.message else None
            raise RecordInvalid(field, error.message)
