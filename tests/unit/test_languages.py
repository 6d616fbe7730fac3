"""Language normalisation, checked against every languages value of the real directory exports."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from referral_hub.directory.languages import normalize_language, parse_languages, split_languages


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("es", "es"),
        ("ES", "es"),
        ("spa", "es"),
        ("es-MX", "es"),
        ("zh_Hant_TW", "zh"),
        ("Spanish", "es"),
        ("spanish ", "es"),
        ("Chinese (Mandarin)", "zh"),
        ("Mandarin", "zh"),
        ("Cantonese", "zh"),
        ("cmn", "zh"),
        ("Farsi", "fa"),
        ("Persian", "fa"),
        ("Dari", "fa"),
        ("Haitian Creole", "ht"),
        ("Creole", "ht"),
        ("Kreyòl Ayisyen", "ht"),
        ("Tagalog", "tl"),
        ("Filipino", "tl"),
        ("fil", "tl"),
        ("Swahili", "sw"),
        ("Amharic", "am"),
        ("Korean", "ko"),
        ("Vietnamese", "vi"),
        ("Russian", "ru"),
        ("French", "fr"),
        ("Arabic", "ar"),
        ("Portuguese", "pt"),
        ("Italian", "it"),
        ("German", "de"),
        ("Polish", "pl"),
        ("Greek", "el"),
        ("Modern Greek", "el"),
        ("Hindi", "hi"),
        ("Urdu", "ur"),
        ("Yoruba", "yo"),
        ("Igbo", "ig"),
        ("Twi", "tw"),
        ("Burmese", "my"),
        ("Nepali", "ne"),
        ("Tigrinya", "ti"),
        ("Somali", "so"),
        ("Punjabi", "pa"),
        ("Pashto", "ps"),
        ("Hebrew", "he"),
        ("Spanish (Castilian)", "es"),
        ("Limited Spanish", "es"),
        ("Mai Mai (Somali language)", "so"),
        ("ger", "de"),
    ],
)
def test_normalize_language(text: str, code: str) -> None:
    assert normalize_language(text) == code


@pytest.mark.parametrize(
    "text",
    [
        "ASL",
        "A.S.L.",
        "American Sign Language",
        "Sign Language",
        "Klingon",
        "",
        "   ",
        "Language Line",
        "nan",
        "2",
    ],
)
def test_normalize_language_refuses_what_is_not_a_language(text: str) -> None:
    # Sign languages have no ISO 639-1 code; pandas' "nan" must not become Min Nan Chinese.
    assert normalize_language(text) is None


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("English, Spanish", ["English", "Spanish"]),
        ("English; Spanish", ["English", "Spanish"]),
        ("English and Spanish", ["English", "Spanish"]),
        ("English/Spanish", ["English", "Spanish"]),
        ("English & Spanish | French", ["English", "Spanish", "French"]),
        ("English\nSpanish", ["English", "Spanish"]),
        ("Spanish and/or Korean.", ["Spanish", "Korean"]),
        ("en, es", ["en", "es"]),
        ("Chinese (Mandarin), Vietnamese", ["Chinese (Mandarin)", "Vietnamese"]),
        ("", []),
        (None, []),
    ],
)
def test_split_languages(text: str | None, parts: list[str]) -> None:
    assert split_languages(text) == parts


def test_parse_languages_reads_lists_and_prose() -> None:
    assert parse_languages("English, Spanish") == ["en", "es"]
    assert parse_languages("Spanish, spanish; ES") == ["es"]
    assert parse_languages("Translator from JHBMC used for non-English speaking patients.") == []
    assert parse_languages("Spanish-speaking officers are usually available 24/7.") == ["es"]
    assert parse_languages(None) == []


# Every distinct `languages` value of Baltimore's locations.csv and services.csv, and what it means.
# Deliberately empty: sign languages, interpreter lines, "all languages" (no language a patient can search
# for), and names without an ISO 639-1 code or too garbled to trust: "Lakota", "Manclingo", "Russia",
# "Uvdu Ejesman".
BALTIMORE: dict[str, list[str]] = {
    "A.S.L.": [],
    "ASL": [],
    "ASL (with 48 hours notice).": [],
    "ASL and Spanish.": ["es"],
    "ASL and a Language line.": [],
    "ASL interpreter.": [],
    "ASL with one week's advance notice.": [],
    "ASL, Korean, French and Spanish.  Interpreters available for other languages.": ["ko", "fr", "es"],
    "ASL, Spanish and a variety of other languages.": ["es"],
    "ASL, Spanish, Russian & French.": ["es", "ru", "fr"],
    "ASL, Spanish.": ["es"],
    "ASL.": [],
    "ASL. Accommodations possible for other languages.": [],
    "ASL. Spanish interpreter available on Wed.": ["es"],
    "Access to Language Line.  Russian.": ["ru"],
    "Accommodates all patients through Language Line or translators.": [],
    "Accommodation possible.": [],
    "AccommodationS possible.": [],
    "Accommodations Possible - limited.": [],
    "Accommodations Possible.": [],
    "Accommodations available.": [],
    "Accommodations can be made, depending on need.": [],
    "Accommodations can be made.": [],
    "Accommodations made with advance notice.": [],
    "Accommodations made with advanced notice.": [],
    "Accommodations possible": [],
    "Accommodations possible (with advance notice).": [],
    "Accommodations possible for all languages.": [],
    "Accommodations possible, advanced notice required.": [],
    "Accommodations possible, if necessary.": [],
    "Accommodations possible.": [],
    "Accommodations possible.  Spanish & ASL.": ["es"],
    "Accommodations possible. Advance notice requested.": [],
    "Accommodations possible. Also, see notes.": [],
    "Accommodations possible. Call appropriate phone number for interpreter information.": [],
    "Accommodations possible. Call for information.": [],
    "Accommodations possible. Spanish": ["es"],
    "Accommodations with advance notice.": [],
    "All languages": [],
    "All languages.": [],
    "All.": [],
    "American Sign Language": [],
    "American Sign Language or Interpreter available.": [],
    "American Sign Language, Spanish.": ["es"],
    "American Sign Language.": [],
    "Arrangements can be made.": [],
    "Arrangements possible.": [],
    "Basic Spanish.": ["es"],
    "Bilingual services are available.": [],
    "Can interpret 14 different languages. Call for details.": [],
    "Can obtain interpreter for non English speaking clients.": [],
    "Chinese :1 location only, call for information.": ["zh"],
    "Efforts will be made to obtain interpreters/translators for persons in need.": [],
    "English and Spanish.": ["en", "es"],
    "English with possibility of Spanish Interpretation.": ["en", "es"],
    "English.": ["en"],
    "Foreign language books are often available, and are sorted into a special section.": [],
    "Free Literature available in Spanish, Russian and Chinese.": ["es", "ru", "zh"],
    "French and Spanish.": ["fr", "es"],
    "French and limited Spanish.": ["fr", "es"],
    "French, Dutch.": ["fr", "nl"],
    "French, German and  Spanish.": ["fr", "de", "es"],
    "French, Lakota.": ["fr"],
    "French, Russian and Hebrew.": ["fr", "ru", "he"],
    "French, some Finnish and minimal Spanish.": ["fr", "fi", "es"],
    "French.": ["fr"],
    "German and limited Spanish.": ["de", "es"],
    "German, Spanish.": ["de", "es"],
    "Greek & Persian.": ["el", "fa"],
    "Gujurati, Hindi, Greek.": ["gu", "hi", "el"],
    "Interpreter can be provided.": [],
    "Interpreter for 30 languages.": [],
    "Interpreter is available upon request.": [],
    "Interpreter service for Spanish, French, Russian and Vietnamese.": ["es", "fr", "ru", "vi"],
    "Interpreter service.": [],
    "Interpreter services available.": [],
    "Interpreter services.": [],
    "Interpreters are available be request.": [],
    "Interpreters available": [],
    "Interpreters available as needed.": [],
    "Interpreters available through the hospital.": [],
    "Interpreters available.": [],
    "Interpreters provided.": [],
    "Italian.": ["it"],
    "Korean & Spanish.": ["ko", "es"],
    "Korean, English.": ["ko", "en"],
    "Korean, Spanish.": ["ko", "es"],
    "Language Bank available.": [],
    "Language Line": [],
    "Language Line and Spanish (In-house.)": ["es"],
    "Language Line available. Bilingual members on staff.": [],
    "Language Line.": [],
    "Language line": [],
    "Language line available. Bilingual members on staff": [],
    "Language line.": [],
    "Language line.  Accommodations possible.": [],
    "Languages Lines": [],
    "Limited Spanish.": ["es"],
    "Materials available many various languages.": [],
    "Materials in Spanish. Accommodations possible.": ["es"],
    "May be able to accommodate.": [],
    "May make arrangements for interpreter.": [],
    "Medical Spanish -- can communicate enough to treat Spanish speakers.": ["es"],
    "Most African languages, including but not limited to: Arabic, Amharic, French, Kiswhali and Manclingo.": [  # noqa: E501
        "ar",
        "am",
        "fr",
        "sw",
    ],
    "Multi-Lingual staff.": [],
    "None.": [],
    "Numerous. Call for information.": [],
    "Offers brochures in Spanish.": ["es"],
    "Other languages  accommodated with advance notice.": [],
    "Polish.": ["pl"],
    "Publications available in Spanish.": ["es"],
    "Russian and Spanish": ["ru", "es"],
    "Russian and Spanish. Accommodations available for other languages.": ["ru", "es"],
    "Russian and Yiddish.  All other languages, contact 410-601-9000 for Language Line.": ["ru", "yi"],
    "Russian, Hebrew, and Spanish.": ["ru", "he", "es"],
    "Russian, Spanish, and Amharic. Interpreter line for other languages.": ["ru", "es", "am"],
    "Russian, Yiddish and Hebrew.": ["ru", "yi", "he"],
    "Russian.": ["ru"],
    "See notes.  Spanish (410) 396-1337.": ["es"],
    "Services may be available. Call for details.": [],
    "Sign Language": [],
    "Sign Language and Spanish.": ["es"],
    "Sign Language interpreters available.": [],
    "Sign Language.": [],
    "Sign language interpreter available.": [],
    "Signing services for deaf patients available.": [],
    "Some Spanish.": ["es"],
    "Spanish": ["es"],
    "Spanish & Korean Interpreters; Language Line.": ["es", "ko"],
    "Spanish & Vietnamese.": ["es", "vi"],
    "Spanish (Castilian).": ["es"],
    "Spanish (Limited).": ["es"],
    "Spanish (Mon only).": ["es"],
    "Spanish (application form only).": ["es"],
    "Spanish (call ahead to schedule this service).": ["es"],
    "Spanish (if arrangements are made in advance).": ["es"],
    "Spanish (limited).": ["es"],
    "Spanish (teaching materials).": ["es"],
    "Spanish -Tuesday & Thursday evenings.": ["es"],
    "Spanish Interpreters available.": ["es"],
    "Spanish and ASL depending on the clinic and day of the week. Call the specific clinic for information.": [  # noqa: E501
        "es"
    ],
    "Spanish and ASL.": ["es"],
    "Spanish and Chinese.": ["es", "zh"],
    "Spanish and Filipino.": ["es", "tl"],
    "Spanish and French.": ["es", "fr"],
    "Spanish and German.": ["es", "de"],
    "Spanish and Haitian Creole.": ["es", "ht"],
    "Spanish and Italian.": ["es", "it"],
    "Spanish and Korean brochures.": ["es", "ko"],
    "Spanish and Korean.": ["es", "ko"],
    "Spanish and Mandarin, with access to others.": ["es", "zh"],
    "Spanish and Russian.": ["es", "ru"],
    "Spanish and Vietnamese.": ["es", "vi"],
    "Spanish and other accommodations are possible.": ["es"],
    "Spanish applications and brochures": ["es"],
    "Spanish available at Eastern Health District site.": ["es"],
    "Spanish available with advanced notice.": ["es"],
    "Spanish groups and services available.": ["es"],
    "Spanish on-site for Domestic Violence unit.": ["es"],
    "Spanish speaker available Friday's only.": ["es"],
    "Spanish speaking housing counselors available": ["es"],
    "Spanish translator available by appointment. Accommodations are possible for other languages.": ["es"],
    "Spanish translators available for Tax Assistance. Callers should request to speak to Ms. Lopez.": ["es"],
    "Spanish translators available.": ["es"],
    "Spanish,": ["es"],
    "Spanish, ASL.": ["es"],
    "Spanish, American Sign Language.": ["es"],
    "Spanish, Arabic, Japanese and others.": ["es", "ar", "ja"],
    "Spanish, Arabic, and a variety of other languages.": ["es", "ar"],
    "Spanish, Cantonese, French, Portugese.": ["es", "zh", "fr", "pt"],
    "Spanish, Chinese, and accommodations possible for other languages.": ["es", "zh"],
    "Spanish, Creole.": ["es", "ht"],
    "Spanish, French": ["es", "fr"],
    "Spanish, French and Quechua": ["es", "fr", "qu"],
    "Spanish, French, German, and Italian.": ["es", "fr", "de", "it"],
    "Spanish, French, German.": ["es", "fr", "de"],
    "Spanish, French, Russia, and  Korean. hindi, Uvdu Ejesman,": ["es", "fr", "ko", "hi"],
    "Spanish, French, Russian.": ["es", "fr", "ru"],
    "Spanish, French, and Indonesian.": ["es", "fr", "id"],
    "Spanish, French.": ["es", "fr"],
    "Spanish, German, French, Japanese and Swahili. Will arrange for American Sign Language.": [
        "es",
        "de",
        "fr",
        "ja",
        "sw",
    ],
    "Spanish, German, Russian, Polish, French and Hebrew.": ["es", "de", "ru", "pl", "fr", "he"],
    "Spanish, Greek, Filipino, ASL, French, Kannada": ["es", "el", "tl", "fr", "kn"],
    "Spanish, Italian, German, French, Hindi, Urdu, Malayalam.": ["es", "it", "de", "fr", "hi", "ur", "ml"],
    "Spanish, Japanese & Polish.": ["es", "ja", "pl"],
    "Spanish, Japanese, French.": ["es", "ja", "fr"],
    "Spanish, Korean, Chinese, French.": ["es", "ko", "zh", "fr"],
    "Spanish, Language Line.": ["es"],
    "Spanish, Language line, ASL with prior arrangements.": ["es"],
    "Spanish, Mai Mai (Somali language)": ["es", "so"],
    "Spanish, Phillipino and French.": ["es", "tl", "fr"],
    "Spanish, Portuguese and French.  Other accommodations possible.": ["es", "pt", "fr"],
    "Spanish, Russian.": ["es", "ru"],
    "Spanish, all others available through use of the language line.": ["es"],
    "Spanish, other accommodations possible.": ["es"],
    "Spanish-speaking officers are usually available 24/7.": ["es"],
    "Spanish.": ["es"],
    "Spanish.   Other accommodations possible.": ["es"],
    "Spanish.  Accommodations possible for other languages.": ["es"],
    "Spanish.  Accommodations possible-other languages with advance notice of one work day.": ["es"],
    "Spanish.  By advance arrangement.": ["es"],
    "Spanish.  Language Link for other languages.": ["es"],
    "Spanish.  Other accommodations possible.": ["es"],
    "Spanish.  Other language accommodations possible.": ["es"],
    "Spanish.  Provides information in alternative formats, including Braille.": ["es"],
    "Spanish.  See notes for ESOL.": ["es"],
    "Spanish. Accommodations possible for other languages.": ["es"],
    "Spanish. Accommodations possible.": ["es"],
    "Spanish. Other accommodations possible.": ["es"],
    "Spanish. Sign Language interpreters available.": ["es"],
    "Special arrangements for hearing impaired.": [],
    "Special arrangements possible.": [],
    "Tele-Interpreter Service.": [],
    "Telephone interpreter service providing interpreters for approximately 150 languages available at FCFH.": [],  # noqa: E501
    "Trained sign language interpreter on staff.": [],
    "Translation services available upon request.": [],
    "Translator from JHBMC used for non-English speaking patients.": [],
    "Translator on staff for assistance.": [],
    "Translators available based on patient needs.": [],
    "Translators available with 24 hour notice thru language link.": [],
    "Use Language Line.": [],
    "Varies with Program": [],
    "Various languages and use of AT&T language line.": [],
    "Vary according to office.": [],
    "Vietnamese, Chinese and Korean. (ethnic sites)": ["vi", "zh", "ko"],
    "Will try to make accommodations for Russian, Hebrew, and Yiddish.": ["ru", "he", "yi"],
    "Yoruba.": ["yo"],
    "language lines available": [],
}


def test_every_baltimore_languages_value(shared_data: Path) -> None:
    folder = shared_data / "datasets" / "baltimore-ohana-csv"
    seen: set[str] = set()
    for name in ("locations.csv", "services.csv"):
        with (folder / name).open(newline="", encoding="utf-8") as source:
            seen.update(row["languages"] for row in csv.DictReader(source) if row["languages"])
    assert seen == set(BALTIMORE), "the export changed: review the values added or gone"
    wrong = {
        text: parse_languages(text) for text, codes in BALTIMORE.items() if parse_languages(text) != codes
    }
    assert wrong == {}


def test_sample_hsds_language_values(shared_data: Path) -> None:
    folder = shared_data / "datasets" / "openreferral-sample-hsds-1.1" / "all_resources"
    with (folder / "phones.csv").open(newline="", encoding="utf-8") as source:
        phones = {row["language"] for row in csv.DictReader(source)}
    assert {text: parse_languages(text) for text in phones} == {"en, es": ["en", "es"], "en": ["en"], "": []}
    with (folder / "languages.csv").open(newline="", encoding="utf-8") as source:
        names = [row["language"] for row in csv.DictReader(source)]
    assert [normalize_language(name) for name in names] == ["en", "es"]
    hsds3 = shared_data / "hsds" / "spec-3.1" / "examples" / "csv" / "languages.csv"
    with hsds3.open(newline="", encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    assert [(normalize_language(row["name"]), normalize_language(row["code"])) for row in rows] == [
        ("ur", "ur")
    ]
