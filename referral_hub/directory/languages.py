"""Language names and codes from directory exports, normalised to ISO 639-1."""

from __future__ import annotations

import functools
import re
import unicodedata

# Names and codes pycountry does not carry under the ISO 639-1 language they belong to: varieties and
# individual ISO 639-3 languages of a macrolanguage, exonyms, and the misspellings that real exports hold
# (Baltimore's 211 data has "Portugese", "Phillipino", "Gujurati", "Kiswhali").
_ALIASES: dict[str, str] = {
    "mandarin": "zh",
    "cantonese": "zh",
    "taiwanese": "zh",
    "toishanese": "zh",
    "farsi": "fa",
    "dari": "fa",
    "haitian creole": "ht",
    "haitian": "ht",
    "creole": "ht",
    "kreyol": "ht",
    "kreyol ayisyen": "ht",
    "filipino": "tl",
    "pilipino": "tl",
    "phillipino": "tl",
    "philipino": "tl",
    "greek": "el",
    "swahili": "sw",
    "kiswahili": "sw",
    "kiswhali": "sw",
    "nepali": "ne",
    "nepalese": "ne",
    "malay": "ms",
    "punjabi": "pa",
    "pashto": "ps",
    "pushtu": "ps",
    "cambodian": "km",
    "laotian": "lo",
    "castilian": "es",
    "portugese": "pt",
    "brazilian portuguese": "pt",
    "gujurati": "gu",
    "flemish": "nl",
    "moldovan": "ro",
    "ibo": "ig",
    "fula": "ff",
    "fulani": "ff",
    "chichewa": "ny",
    "kirundi": "rn",
    "kyrgyz": "ky",
    "uyghur": "ug",
    "bangla": "bn",
    "sinhalese": "si",
    "oriya": "or",
    "odia": "or",
    "tongan": "to",
    "ganda": "lg",
    "luganda": "lg",
    "slovene": "sl",
    "hebrew": "he",
    "yiddish": "yi",
    # ISO 639-3 individual languages that users and HSDS 3 exports (`language.code`) use.
    "cmn": "zh",
    "yue": "zh",
    "wuu": "zh",
    "hak": "zh",
    "arb": "ar",
    "arz": "ar",
    "apc": "ar",
    "ajp": "ar",
    "acm": "ar",
    "ary": "ar",
    "pes": "fa",
    "prs": "fa",
    "swh": "sw",
    "fil": "tl",
    "npi": "ne",
    "zsm": "ms",
    "ydd": "yi",
    "pbt": "ps",
    "ekk": "et",
    "lvs": "lv",
    "uzn": "uz",
    "khk": "mn",
    "gaz": "om",
    "plt": "mg",
    "quz": "qu",
    # ISO 639-1 codes withdrawn or replaced by a newer one.
    "iw": "he",
    "ji": "yi",
}

# Sign languages have no ISO 639-1 code; patients who sign need an interpreter flag, not a language code.
_SIGN = re.compile(r"\b(?:sign(?:ing|ed)?|asl|a s l|bsl)\b")
# Names that are also everyday English words or places, and "creole" (Haitian only when it stands alone in
# a list): trusted as a whole value, never picked out of prose.
_NOT_IN_PROSE = frozenset({"afar", "ewe", "ido", "latin", "tonga", "creole"})
_TAG = re.compile(r"([a-z]{2,3})(?:[-_][a-z0-9]{1,8})*")
_PARENS = re.compile(r"\(([^)]*)\)")
_QUALIFIERS = frozenset(
    {"limited", "some", "basic", "minimal", "medical", "conversational", "fluent", "native", "modern"}
)
_TRAILERS = frozenset({"language", "languages", "speaking", "speaker", "speakers", "only"})
_SEPARATORS = re.compile(r"\s*(?:[,;/|&+\n\r\t]|\band\b|\bor\b|\.(?=\s|$)|\s-{2,}\s)\s*", re.IGNORECASE)


def _fold(text: str) -> str:
    """Lower case, accents and punctuation gone, single spaces: "Kreyòl  Ayisyen." -> "kreyol ayisyen"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", letters).split())


@functools.cache
def _indexes() -> tuple[dict[str, str], dict[str, str]]:
    """(codes, names) -> ISO 639-1, built once from pycountry (its own lookup scans ~8,000 entries a call)."""
    import pycountry  # noqa: PLC0415 - about 50 ms, paid on first use only

    codes: dict[str, str] = {}
    names: dict[str, str] = {}
    for language in pycountry.languages:
        alpha_2 = getattr(language, "alpha_2", None)
        if alpha_2 is None:
            continue
        for attribute in ("alpha_2", "alpha_3", "bibliographic"):
            value = getattr(language, attribute, None)
            if value:
                codes[value.casefold()] = alpha_2
        for attribute in ("name", "common_name", "inverted_name"):
            value = getattr(language, attribute, None)
            if value:
                names.setdefault(_fold(_PARENS.sub(" ", value)), alpha_2)
    for alias, code in _ALIASES.items():
        (codes if len(alias) <= 3 and alias.isalpha() and " " not in alias else names)[alias] = code
    return codes, names


def _name_to_code(folded: str) -> str | None:
    _, names = _indexes()
    words = [word for word in folded.split() if word not in _TRAILERS]
    while words and words[0] in _QUALIFIERS:
        words = words[1:]
    return names.get(" ".join(words)) if words else None


@functools.lru_cache(maxsize=8192)
def normalize_language(text: str) -> str | None:
    """The ISO 639-1 code of one language given by code ("es", "spa", "es-MX") or English name ("Spanish").

    None for sign languages, for words that name no language, and for languages without a 639-1 code.
    """
    stripped = text.strip()
    if not stripped:
        return None
    lowered = stripped.casefold()
    if _SIGN.search(_fold(stripped)):
        return None
    codes, _ = _indexes()
    tag = _TAG.fullmatch(lowered)
    if tag and tag.group(1) in codes:
        return codes[tag.group(1)]
    outside = _fold(_PARENS.sub(" ", stripped))
    found = _name_to_code(outside) if outside else None
    if found:
        return found
    # "Mandarin (Chinese)" and "Mai Mai (Somali language)": the qualifier may be the language.
    for inner in _PARENS.findall(stripped):
        found = _name_to_code(_fold(inner))
        if found:
            return found
    return None


def split_languages(text: str | None) -> list[str]:
    """The parts of an exported list: "English, Spanish", "English; Spanish", "English and Spanish", ..."""
    if not text:
        return []
    return [part.strip() for part in _SEPARATORS.split(text) if part and part.strip(" .-")]


def parse_languages(text: str | None) -> list[str]:
    """ISO 639-1 codes named in a free-text languages field, in order, without duplicates.

    Each listed part is normalised whole; a part that is prose ("Spanish translators available") yields the
    languages it names. Sign languages, "Language Line", "All languages" and negations ("non-English
    speaking patients") yield nothing: they name no language a patient could search for.
    """
    if not text:
        return []
    return list(_parse(text))


@functools.lru_cache(maxsize=8192)
def _parse(text: str) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for part in split_languages(text):
        code = normalize_language(part)
        if code is not None:
            found.setdefault(code, None)
            continue
        for code in _languages_in_prose(part):
            found.setdefault(code, None)
    return tuple(found)


def _languages_in_prose(text: str) -> list[str]:
    _, names = _indexes()
    words = _fold(_SIGN.sub(" ", _fold(text))).split()
    found: list[str] = []
    index = 0
    while index < len(words):
        if words[index] == "non":
            index += 2
            continue
        pair = " ".join(words[index : index + 2])
        if len(words) > index + 1 and pair in names:
            found.append(names[pair])
            index += 2
            continue
        word = words[index]
        if word in names and word not in _NOT_IN_PROSE:
            found.append(names[word])
        index += 1
    return found
