"""Need categories and their mapping onto real taxonomy terms (Baltimore's Open Eligibility and AIRS)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from referral_hub.directory.categories import (
    CategoryMatcher,
    check_term_mappings,
    load_need_categories,
    load_term_mappings,
    taxonomy_key,
)

OURS = "https://referral-hub.org/fhir/CodeSystem/need-category"


@pytest.fixture(scope="module")
def matcher() -> CategoryMatcher:
    return CategoryMatcher()


class Baltimore:
    """Each service's categories from its Open Eligibility terms and from its AIRS/211 (iCarol) codes."""

    def __init__(self, folder: Path, matcher: CategoryMatcher) -> None:
        with (folder / "services.csv").open(newline="", encoding="utf-8") as source:
            self.services = {row["id"]: row["name"] for row in csv.DictReader(source)}
        with (folder / "taxonomy.csv").open(newline="", encoding="utf-8") as source:
            terms = {row["id"]: (row["taxonomy_id"], row["name"]) for row in csv.DictReader(source)}
        # services.csv has a taxonomy_ids column, but it is empty in this export; the links are in the JSON.
        open_eligibility = json.loads((folder / "service_categories.json").read_text(encoding="utf-8"))
        airs = json.loads((folder / "service_icarol_categories.json").read_text(encoding="utf-8"))
        self.by_open_eligibility: dict[str, frozenset[str]] = {}
        self.by_airs: dict[str, frozenset[str]] = {}
        for service_id in self.services:
            found: set[str] = set()
            for term_id in open_eligibility.get(service_id, []):
                found |= matcher.categories_for_term("Open Eligibility", *terms[term_id])
            self.by_open_eligibility[service_id] = frozenset(found)
            found = set()
            for code in airs.get(service_id, []):
                found |= matcher.categories_for_term("AIRS", code, None)
            self.by_airs[service_id] = frozenset(found)

    def categories(self, service_id: str) -> frozenset[str]:
        return self.by_open_eligibility[service_id] | self.by_airs[service_id]

    def named(self, name: str) -> str:
        return next(service_id for service_id, service_name in self.services.items() if service_name == name)


@pytest.fixture(scope="module")
def baltimore(shared_data: Path, matcher: CategoryMatcher) -> Baltimore:
    return Baltimore(shared_data / "datasets" / "baltimore-ohana-csv", matcher)


def test_categories_hold_the_gravity_value_set_and_our_additions(shared_data: Path) -> None:
    value_set = json.loads(
        (
            shared_data / "fhir-sdoh" / "conformance-2.x" / "ValueSet-SDOHCC-ValueSetSDOHCategory.json"
        ).read_text()
    )
    gravity = {
        concept["code"]: (include["system"], concept["display"])
        for include in value_set["compose"]["include"]
        for concept in include["concept"]
    }
    categories = {category.code: category for category in load_need_categories()}
    for code, (system, display) in gravity.items():
        assert (categories[code].system, categories[code].display) == (system, display), code
    additions = set(categories) - set(gravity)
    assert additions == {"legal", "substance-use", "behavioral-health"}
    for code in additions:
        assert categories[code].system == OURS
        assert "Added by referral_hub" in categories[code].definition
    assert all(category.definition for category in categories.values())


def test_every_mapping_row_is_valid_and_every_category_but_two_is_mapped() -> None:
    mappings = load_term_mappings()
    assert len(mappings) > 300
    mapped = {mapping.category for mapping in mappings}
    unmapped = {category.code for category in load_need_categories()} - mapped
    assert unmapped == {"sdoh-category-unspecified"}


def test_bad_mapping_rows_name_their_line() -> None:
    known = {"food-insecurity"}
    row = {"category": "food-insecurity", "taxonomy": "open-eligibility", "match": "prefix", "value": "102"}
    assert len(check_term_mappings([row], known, source="terms.csv")) == 1
    cases = [
        ({**row, "category": "hunger"}, "line 3: unknown category 'hunger'"),
        ({**row, "match": "startswith"}, "line 3: match must be one of"),
        ({**row, "value": "BD-1800"}, "line 3: 'BD-1800' is not a code of taxonomy 'open-eligibility'"),
        ({**row, "taxonomy": "ntee", "match": "name", "value": "food"}, "line 3: unknown taxonomy 'ntee'"),
        (row, "line 3: duplicate row"),
    ]
    for bad, message in cases:
        with pytest.raises(ValueError, match=message):
            check_term_mappings([row, bad], known, source="terms.csv")


def test_baltimore_coverage(baltimore: Baltimore) -> None:
    total = len(baltimore.services)
    covered = sum(1 for service_id in baltimore.services if baltimore.categories(service_id))
    by_open_eligibility = sum(1 for found in baltimore.by_open_eligibility.values() if found)
    by_airs = sum(1 for found in baltimore.by_airs.values() if found)
    # Measured: 1,476 of 1,876 (78.7 %); Open Eligibility alone 64.3 %, AIRS alone 76.8 %. The rest are
    # medical care, disability, child care, recreation and general advocacy: no need category fits them.
    assert covered / total >= 0.78, (covered, total)
    assert by_open_eligibility / total >= 0.64, by_open_eligibility
    assert by_airs / total >= 0.76, by_airs


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Carter Memorial Church of God In Christ Pantry", {"food-insecurity"}),
        ("Meals On Wheels, Anne Arundel County", {"food-insecurity"}),
        ("Legal Aid Bureau, Inc,  Baltimore City Office", {"legal", "housing-instability"}),
        ("Office of the Public Defender, Baltimore County", {"legal"}),
        ("Sarah's House", {"homelessness"}),
        ("Glass Methadone Maintenance Program", {"substance-use"}),
        ("House of Ruth, Counseling Program", {"intimate-partner-violence", "behavioral-health"}),
        ("University of Maryland School of Law Tax Program", {"financial-insecurity"}),
        ("Baltimore City Health Dept., Prescription Discount Program", {"medical-cost-burden"}),
    ],
)
def test_real_services_get_their_categories(baltimore: Baltimore, name: str, expected: set[str]) -> None:
    assert expected <= baltimore.categories(baltimore.named(name))


@pytest.mark.parametrize(
    ("name", "not_expected"),
    [
        ("Baltimore Animal Rescue & Care Shelter, Inc", "homelessness"),
        ("Baltimore City Police Department, Eastern District", "legal"),
        ("Office of Child Care, Baltimore City", "legal"),
        ("PFLAG, Metropolitan Washington Chapter", "legal"),
        ("Maryland Cooperative Extension, Baltimore City", "food-insecurity"),
        ("Community Crisis Center", "legal"),
    ],
)
def test_real_services_do_not_get_wrong_categories(
    baltimore: Baltimore, name: str, not_expected: str
) -> None:
    assert not_expected not in baltimore.categories(baltimore.named(name))


@pytest.mark.parametrize(
    ("taxonomy", "code", "expected"),
    [
        ("open-eligibility", "101-03", {"food-insecurity"}),
        ("open-eligibility", "102-04", {"food-insecurity"}),
        ("open-eligibility", "106-04-04", set()),  # nutrition education is not food
        ("open-eligibility", "1020", set()),  # not under 102
        ("open-eligibility", "103-01", {"homelessness"}),
        ("open-eligibility", "103-07", {"intimate-partner-violence"}),  # a DV shelter, not a homeless one
        ("open-eligibility", "103-09-02", {"substance-use"}),  # sober living
        ("open-eligibility", "103-06-01-03", set()),  # a nursing home
        ("open-eligibility", "111-01", set()),  # "Advocacy & Legal Aid" mostly tags general advocacy
        ("open-eligibility", "111-01-09", {"legal", "housing-instability"}),
        ("open-eligibility", "106-01-02-01-03-01", set()),  # nicotine: not recovery services
        ("open-eligibility", "106-01-02-01-01-01", {"substance-use"}),  # methadone
        ("open-eligibility", "123-02", set()),  # situations qualify a service; they are not what it does
        ("AIRS", "BD", {"food-insecurity"}),
        ("AIRS", "BD-1800.2000", {"food-insecurity"}),
        ("AIRS", "bd-1800.2000*", {"food-insecurity"}),
        ("AIRS", "BH-1800.8500", {"homelessness"}),
        ("AIRS", "BH-1800.1500-100", {"intimate-partner-violence"}),
        ("AIRS", "BH-3800.7000", {"housing-instability"}),
        ("AIRS", "FT-4500", {"legal", "housing-instability"}),
        ("AIRS", "FT-4500.1800", {"financial-insecurity", "housing-instability"}),
        ("AIRS", "FL-2000", set()),  # law enforcement agencies
        ("AIRS", "FP-0500", set()),  # general advocacy
        ("AIRS", "RX-8450.5000", {"substance-use"}),
        ("AIRS", "RX-8450.7900", set()),  # smoking cessation
        ("AIRS", "PN-8100.0500-180", {"substance-use"}),  # not social connection: a recovery group
        ("AIRS", "PN-8100.0500-250", {"behavioral-health"}),  # gambling: not substance use
        ("AIRS", "RP-1500.1400-200", {"behavioral-health", "intimate-partner-violence"}),
        ("AIRS", "RM-6500", {"behavioral-health"}),
        ("AIRS", "YV-3000", set()),  # "Homeless People" is a target population
        ("211 LA", "ND-3500", {"employment-status"}),
        (None, "BT-4500.6500-500", {"transportation-insecurity"}),  # taxonomy guessed from the code's shape
        (None, "105-01-01", {"transportation-insecurity"}),
    ],
)
def test_codes(matcher: CategoryMatcher, taxonomy: str | None, code: str, expected: set[str]) -> None:
    assert matcher.categories_for_term(taxonomy, code, "ignored when the code is known") == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # The ILAO legal aid export's service types.
        ("Direct representation", {"legal"}),
        ("Legal self-help center", {"legal"}),
        ("Lawyer referral service", {"legal"}),
        ("Legal information and education (not a legal self-help center)", {"legal"}),
        ("Policy, impact litigation, support or other", set()),
        # Names from other taxonomies.
        ("Food Pantries", {"food-insecurity"}),
        ("Homeless Shelter", {"homelessness"}),
        ("Animal Shelters", set()),
        ("Domestic Violence Shelters", {"intimate-partner-violence"}),
        ("Food Safety Inspection", set()),
        ("Sober Living", {"substance-use"}),
        ("Smoking Cessation", set()),
        ("Gambling Addiction Support Groups", {"behavioral-health"}),
        ("Alcoholics Anonymous Support Groups", {"substance-use"}),
        ("Mental Health Drop In Centers", {"behavioral-health"}),
        ("Physical Therapy", set()),
        ("Taxonomy A", set()),
    ],
)
def test_names_when_there_is_no_code(matcher: CategoryMatcher, name: str, expected: set[str]) -> None:
    assert matcher.categories_for_term(None, None, name) == expected


def test_names_are_the_last_resort(matcher: CategoryMatcher) -> None:
    # A known taxonomy's code decides, even when it maps to nothing and the name sounds like a need.
    assert matcher.categories_for_term("open-eligibility", "123-02", "Homeless") == frozenset()
    # A taxonomy we do not map by code falls back to the name.
    assert matcher.categories_for_term("NTEE", "K31", "Food Banks") == {"food-insecurity"}
    assert matcher.categories_for_term("AIRS", None, "Food Pantries") == {"food-insecurity"}
    assert matcher.categories_for_term(None, None, None) == frozenset()


@pytest.mark.parametrize(
    ("taxonomy", "code", "key"),
    [
        ("Open Eligibility", None, "open-eligibility"),
        ("open_eligibility", None, "open-eligibility"),
        ("AIRS/211", None, "airs-211"),
        ("Inform USA", None, "airs-211"),
        ("NTEE", "B20", None),
        (None, "BD-1800.2000", "airs-211"),
        (None, "101-02-06", "open-eligibility"),
        (None, "K31", None),
        (None, None, None),
    ],
)
def test_taxonomy_key(taxonomy: str | None, code: str | None, key: str | None) -> None:
    assert taxonomy_key(taxonomy, code) == key
