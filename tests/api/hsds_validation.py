"""Validate API output against the official HSDS 3.1 JSON Schemas (Draft 2020-12, formats enforced)."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC = Path(__file__).resolve().parents[3] / "shared" / "data" / "hsds" / "spec-3.1"
SCHEMA_DIR = SPEC / "schema"
EXAMPLES_DIR = SPEC / "examples"

PAGE_FIELDS = (
    "total_items",
    "total_pages",
    "page_number",
    "size",
    "first_page",
    "last_page",
    "empty",
    "contents",
)

# jsonschema checks "uri" only when an optional package is installed; RFC 3986 asks at least for a
# scheme, a colon and no whitespace, which is what a relative or bare "www.example.org" lacks.
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s]*")


def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or _URI.fullmatch(value) is not None


def _format_checker() -> jsonschema.FormatChecker:
    checker = jsonschema.FormatChecker()
    checker.checks("uri")(_is_uri)
    return checker


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def example(name: str) -> Any:
    return load_json(EXAMPLES_DIR / name)


@functools.cache
def registry() -> Registry[Any]:
    """Every schema file, under its path relative to schema/ (the relative `$ref`s resolve against it)."""
    resources = [
        (path.relative_to(SCHEMA_DIR).as_posix(), Resource.from_contents(load_json(path), DRAFT202012))
        for path in sorted(SCHEMA_DIR.rglob("*.json"))
    ]
    return Registry().with_resources(resources)


@functools.cache
def validator(schema: str) -> jsonschema.Draft202012Validator:
    """A validator for one schema file, e.g. "service.json" or "compiled/service_list.json"."""
    return jsonschema.Draft202012Validator(
        {"$ref": schema}, registry=registry(), format_checker=_format_checker()
    )


@functools.cache
def openapi() -> Any:
    return load_json(SCHEMA_DIR / "openapi.json")


def api_info_validator() -> jsonschema.Draft202012Validator:
    schema = openapi()["paths"]["/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    return jsonschema.Draft202012Validator(schema, format_checker=_format_checker())


def schema_errors(schema: str, instance: Any) -> list[str]:
    """Every violation, as "path: message"; empty when the instance is valid."""
    return [
        f"{'/'.join(str(part) for part in error.absolute_path) or '<root>'}: {error.message}"
        for error in validator(schema).iter_errors(instance)
    ]


def assert_valid(schema: str, instance: Any) -> None:
    errors = schema_errors(schema, instance)
    assert not errors, f"not valid against {schema} (id {instance.get('id')}): {errors[:10]}"


def assert_valid_page(body: Any, item_schema: str) -> None:
    """The HSDS page envelope (components/schemas/Page, every field present) and every item in it."""
    assert list(body) == list(PAGE_FIELDS), f"page envelope fields: {list(body)}"
    page_schema = openapi()["components"]["schemas"]["Page"]
    errors = [error.message for error in jsonschema.Draft202012Validator(page_schema).iter_errors(body)]
    assert not errors, errors
    assert body["size"] == len(body["contents"])
    for item in body["contents"]:
        assert_valid(item_schema, item)
