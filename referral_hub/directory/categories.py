"""Need categories (Gravity SDOH plus our additions) and their mapping onto directory taxonomy terms."""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Iterable
from importlib import resources
from typing import Final

import msgspec

OPEN_ELIGIBILITY: Final = "open-eligibility"
AIRS_211: Final = "airs-211"
ANY_TAXONOMY: Final = "any"
MATCH_KINDS: Final = frozenset({"prefix", "code", "name", "not-prefix", "not-name"})

_CATEGORIES_FILE = "need_categories.csv"
_TERMS_FILE = "need_category_terms.csv"
_CATEGORY_COLUMNS = ["code", "display", "system", "definition"]
_TERM_COLUMNS = ["category", "taxonomy", "match", "value"]

# Code shapes: Open Eligibility "101-02-06"; AIRS/211 (Inform USA) "BD", "BD-1800", "BD-1800.2000-250.10".
_CODE_SHAPES: Final = {
    OPEN_ELIGIBILITY: re.compile(r"\d{3}(?:-\d{2})*"),
    AIRS_211: re.compile(r"[A-Z]{1,2}(?:-\d{4}(?:\.\d{4}(?:-\d{3}(?:\.\d{2})?)?)?)?"),
}
_TAXONOMY_ALIASES: Final = {
    "open eligibility": OPEN_ELIGIBILITY,
    "openeligibility": OPEN_ELIGIBILITY,
    "open eligibility taxonomy": OPEN_ELIGIBILITY,
    "airs": AIRS_211,
    "airs 211": AIRS_211,
    "airs 211 taxonomy": AIRS_211,
    "211": AIRS_211,
    "211 taxonomy": AIRS_211,
    "211 la": AIRS_211,
    "211la": AIRS_211,
    "211 la county taxonomy": AIRS_211,
    "inform usa": AIRS_211,
    "informusa": AIRS_211,
}


class NeedCategory(msgspec.Struct, frozen=True):
    code: str
    display: str
    system: str
    definition: str


class TermMapping(msgspec.Struct, frozen=True):
    """One row of need_category_terms.csv.

    `prefix`: the term's code is `value` or a code below it; `code`: exactly `value`; `name`: the term's name
    holds the words of `value` (used only for terms that carry no code of a known taxonomy). `not-prefix` and
    `not-name` veto the category for the terms they match, whatever else matched.
    """

    category: str
    taxonomy: str
    match: str
    value: str


def _read_rows(file_name: str, columns: list[str]) -> list[dict[str, str]]:
    text = resources.files("referral_hub.directory").joinpath("data").joinpath(file_name).read_text("utf-8")
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames != columns:
        raise ValueError(f"{file_name}: expected the columns {','.join(columns)}, found {reader.fieldnames}")
    rows = []
    for line, row in enumerate(reader, start=2):
        empty = [column for column in columns if not (row.get(column) or "").strip()]
        if empty or None in row:
            raise ValueError(
                f"{file_name} line {line}: empty or extra columns ({', '.join(empty) or 'extra'})"
            )
        rows.append({column: row[column].strip() for column in columns})
    return rows


@functools.cache
def load_need_categories() -> list[NeedCategory]:
    """Every need category, in file order: the Gravity SDOH value set, then legal, substance-use, ..."""
    categories = [NeedCategory(**row) for row in _read_rows(_CATEGORIES_FILE, _CATEGORY_COLUMNS)]
    seen: set[str] = set()
    for category in categories:
        if category.code in seen:
            raise ValueError(f"{_CATEGORIES_FILE}: the code {category.code!r} appears twice")
        seen.add(category.code)
    return categories


@functools.cache
def load_term_mappings() -> list[TermMapping]:
    """The rows of need_category_terms.csv, checked against the categories and the taxonomies' code shapes."""
    known = {category.code for category in load_need_categories()}
    return check_term_mappings(_read_rows(_TERMS_FILE, _TERM_COLUMNS), known, source=_TERMS_FILE)


def check_term_mappings(rows: Iterable[dict[str, str]], known: set[str], *, source: str) -> list[TermMapping]:
    """Term mappings from CSV rows (line 2 onwards); ValueError naming the line of the first bad row."""
    mappings: list[TermMapping] = []
    seen: set[TermMapping] = set()
    for line, row in enumerate(rows, start=2):
        mapping = TermMapping(**row)
        where = f"{source} line {line}"
        if mapping.category not in known:
            raise ValueError(f"{where}: unknown category {mapping.category!r}")
        if mapping.match not in MATCH_KINDS:
            raise ValueError(f"{where}: match must be one of {sorted(MATCH_KINDS)}, not {mapping.match!r}")
        if mapping.match.endswith(("prefix", "code")):
            shape = _CODE_SHAPES.get(mapping.taxonomy)
            if shape is None or not shape.fullmatch(mapping.value):
                raise ValueError(f"{where}: {mapping.value!r} is not a code of taxonomy {mapping.taxonomy!r}")
        elif mapping.taxonomy not in (ANY_TAXONOMY, *_CODE_SHAPES):
            raise ValueError(f"{where}: unknown taxonomy {mapping.taxonomy!r}")
        if mapping in seen:
            raise ValueError(f"{where}: duplicate row")
        seen.add(mapping)
        mappings.append(mapping)
    return mappings


def taxonomy_key(taxonomy: str | None, code: str | None = None) -> str | None:
    """Our key for a taxonomy name ("Open Eligibility", "AIRS", "211 LA"); guessed from the code's shape
    only when the source names no taxonomy. None when the taxonomy is not one we map by code."""
    if taxonomy and taxonomy.strip():
        folded = " ".join(re.sub(r"[^a-z0-9]+", " ", taxonomy.casefold()).split())
        if folded.replace(" ", "-") in _CODE_SHAPES:
            return folded.replace(" ", "-")
        return _TAXONOMY_ALIASES.get(folded)
    if code:
        cleaned = _clean_code(code)
        for key, shape in _CODE_SHAPES.items():
            if shape.fullmatch(cleaned):
                return key
    return None


def _clean_code(code: str) -> str:
    # Exports append "*" to codes that were renamed (Baltimore's taxonomy_mapping.csv does).
    return code.strip().rstrip("*").upper()


def _code_under(code: str, prefix: str) -> bool:
    if not code.startswith(prefix):
        return False
    if len(code) == len(prefix):
        return True
    following = code[len(prefix)]
    # AIRS level 1 is one letter and level 2 appends a letter ("B" -> "BD"); deeper levels use "-" or ".".
    return following in "-." or (len(prefix) == 1 and prefix.isalpha() and following.isalpha())


def _words(text: str) -> str:
    """ " food pantry " for "Food-Pantry": padded so that a phrase matches whole words only."""
    return " " + " ".join(re.sub(r"[^a-z0-9]+", " ", text.casefold()).split()) + " "


class CategoryMatcher:
    """Maps a taxonomy term (taxonomy, code, name) onto the need categories it serves; thread-safe."""

    _CACHE_LIMIT = 65536

    def __init__(self, mappings: Iterable[TermMapping] | None = None) -> None:
        rows = list(load_term_mappings() if mappings is None else mappings)
        self._by_code: dict[str, list[TermMapping]] = {}
        self._by_name: list[tuple[TermMapping, str]] = []
        for row in rows:
            if row.match in ("name", "not-name"):
                self._by_name.append((row, _words(row.value)))
            else:
                self._by_code.setdefault(row.taxonomy, []).append(row)
        self._cache: dict[tuple[str | None, str | None, str | None], frozenset[str]] = {}

    def categories_for_term(self, taxonomy: str | None, code: str | None, name: str | None) -> frozenset[str]:
        """The categories of a term: by its code when the taxonomy is one we map by code, else by its name."""
        cache_key = (taxonomy, code, name)
        found = self._cache.get(cache_key)
        if found is None:
            found = self._categories(taxonomy, code, name)
            if len(self._cache) < self._CACHE_LIMIT:
                self._cache[cache_key] = found
        return found

    def _categories(self, taxonomy: str | None, code: str | None, name: str | None) -> frozenset[str]:
        key = taxonomy_key(taxonomy, code)
        if key in self._by_code and code and code.strip():
            return self._from_code(self._by_code[key], _clean_code(code))
        if name and name.strip():
            return self._from_name(key, _words(name))
        return frozenset()

    @staticmethod
    def _from_code(rows: list[TermMapping], code: str) -> frozenset[str]:
        included: set[str] = set()
        vetoed: set[str] = set()
        for row in rows:
            hit = code == row.value if row.match == "code" else _code_under(code, row.value)
            if hit:
                (vetoed if row.match == "not-prefix" else included).add(row.category)
        return frozenset(included - vetoed)

    def _from_name(self, key: str | None, words: str) -> frozenset[str]:
        included: set[str] = set()
        vetoed: set[str] = set()
        for row, phrase in self._by_name:
            if row.taxonomy in (ANY_TAXONOMY, key) and phrase in words:
                (vetoed if row.match == "not-name" else included).add(row.category)
        return frozenset(included - vetoed)
