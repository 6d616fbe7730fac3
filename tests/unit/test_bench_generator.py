"""The benchmark generator writes a valid, deterministic, realistic HSDS 3.1 CSV package."""

from __future__ import annotations

import csv
import importlib.util
import json
import math
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data"
SPEC = DATA / "hsds" / "spec-3.1"
SERVICES = 50


def _load_generator() -> ModuleType:
    # bench/ is not an installed package, so load it from its file as the benchmarks run it.
    name = "bench_generate_directory_under_test"
    spec = importlib.util.spec_from_file_location(name, REPO / "bench" / "generate_directory.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


generator = _load_generator()


def _run_cli(out: Path, seed: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.generate_directory",
            "--services",
            str(SERVICES),
            "--out",
            str(out),
            "--seed",
            str(seed),
            "--data-dir",
            str(DATA),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def _read(package: Path, file_name: str) -> list[dict[str, str]]:
    with (package / file_name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _official_resources() -> dict[str, dict[str, Any]]:
    package = json.loads((SPEC / "datapackage.json").read_text(encoding="utf-8"))
    return {resource["name"]: resource for resource in package["resources"]}


def _typed(value: str, field_type: str) -> Any:
    if field_type == "number":
        number = float(value)
        return int(number) if number.is_integer() and "." not in value else number
    if field_type == "integer":
        return int(value)
    if field_type == "boolean":
        return value.lower() == "true"
    return value


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench") / "directory"
    result = _run_cli(out, seed=7)
    assert result.returncode == 0, result.stderr
    assert "services.csv" in result.stdout
    return out


def test_every_row_validates_against_the_hsds_schemas(package: Path) -> None:
    registry: Registry[Any] = Registry().with_resources(
        (path.name, Resource.from_contents(json.loads(path.read_text(encoding="utf-8")), DRAFT202012))
        for path in sorted((SPEC / "schema").glob("*.json"))
    )
    official = _official_resources()
    written = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    errors: list[str] = []
    checked = Counter[str]()
    for resource in written["resources"]:
        name, file_name = resource["name"], resource["path"]
        fields = {f["name"]: f["type"] for f in official[name]["schema"]["fields"]}
        validator = Draft202012Validator(
            registry.contents(f"{name}.json"), registry=registry, format_checker=FormatChecker()
        )
        with (package / file_name).open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            assert reader.fieldnames == list(fields), f"{file_name} columns differ from HSDS 3.1"
            for line, row in enumerate(reader, start=2):
                instance = {key: _typed(value, fields[key]) for key, value in row.items() if value != ""}
                errors += [
                    f"{file_name} line {line} {'/'.join(map(str, e.absolute_path))}: {e.message}"
                    for e in validator.iter_errors(instance)
                ]
                checked[file_name] += 1
    assert errors == []
    assert checked["services.csv"] == SERVICES
    assert checked["taxonomy_terms.csv"] == 517
    empty = [r["path"] for r in written["resources"] if checked[r["path"]] == 0]
    assert empty == []


def test_datapackage_lists_exactly_the_files_written_with_the_official_schemas(package: Path) -> None:
    written = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    official = _official_resources()
    assert {r["path"] for r in written["resources"]} == {p.name for p in package.glob("*.csv")}
    for resource in written["resources"]:
        assert resource == official[resource["name"]]


def test_every_reference_points_at_a_row_of_the_package(package: Path) -> None:
    ids = {
        name: {row["id"] for row in _read(package, f"{name}.csv")}
        for name in ("organizations", "services", "locations", "service_at_location", "taxonomy_terms")
    }
    services = _read(package, "services.csv")
    assert {s["organization_id"] for s in services} <= ids["organizations"]
    sals = _read(package, "service_at_location.csv")
    assert {s["service_id"] for s in sals} == ids["services"]
    assert {s["location_id"] for s in sals} == ids["locations"]
    assert {a["location_id"] for a in _read(package, "addresses.csv")} == ids["locations"]
    for phone in _read(package, "phones.csv"):
        assert (phone["location_id"] in ids["locations"]) != (phone["service_id"] in ids["services"])
    for schedule in _read(package, "schedules.csv"):
        links = [
            schedule["location_id"] in ids["locations"],
            schedule["service_id"] in ids["services"],
            schedule["service_at_location_id"] in ids["service_at_location"],
        ]
        assert links.count(True) == 1, schedule
    assert {row["service_id"] for row in _read(package, "languages.csv")} == ids["services"]
    attributes = _read(package, "attributes.csv")
    assert {a["taxonomy_term_id"] for a in attributes} <= ids["taxonomy_terms"]
    per_service = Counter(a["link_id"] for a in attributes if a["link_entity"] == "service")
    assert set(per_service) == ids["services"]
    assert set(per_service.values()) <= {1, 2, 3}


def test_same_seed_gives_the_same_bytes_and_another_seed_other_ids(package: Path, tmp_path: Path) -> None:
    again, other = tmp_path / "again", tmp_path / "other"
    assert _run_cli(again, seed=7).returncode == 0
    assert _run_cli(other, seed=8).returncode == 0
    for path in sorted(package.iterdir()):
        assert (again / path.name).read_bytes() == path.read_bytes(), path.name
    first = {row["id"] for row in _read(package, "services.csv")}
    assert first.isdisjoint(row["id"] for row in _read(other, "services.csv"))


def test_known_zip_codes_map_to_their_states() -> None:
    known = {
        "21201": "MD",
        "00601": "PR",
        "99501": "AK",
        "10001": "NY",
        "90001": "CA",
        "73301": "TX",
        "05501": "MA",
        "20001": "DC",
        "02108": "MA",
        "60601": "IL",
        "88901": "NV",
        "96813": "HI",
    }
    assert {code: generator.zip_state(code) for code in known} == known
    assert generator.zip_state("09001") is None  # military post office, no state
    assert generator.zip_state("96799") is None  # American Samoa


def test_addresses_use_real_zip_codes_with_their_state_and_nearby_coordinates(package: Path) -> None:
    with (DATA / "geo" / "us_zcta_centroids_2010.csv").open(newline="", encoding="utf-8") as handle:
        centroids = {row["zip"]: (float(row["lat"]), float(row["lng"])) for row in csv.DictReader(handle)}
    locations = {row["id"]: row for row in _read(package, "locations.csv")}
    for address in _read(package, "addresses.csv"):
        code = address["postal_code"]
        assert code in centroids, code
        assert address["state_province"] == generator.zip_state(code)
        location = locations[address["location_id"]]
        if location["latitude"]:
            lat, lng = centroids[code]
            assert _km(lat, lng, float(location["latitude"]), float(location["longitude"])) < 5


def test_taxonomy_is_the_open_eligibility_tree_of_the_baltimore_directory(package: Path) -> None:
    with (DATA / "datasets" / "baltimore-ohana-csv" / "taxonomy.csv").open(
        newline="", encoding="utf-8-sig"
    ) as h:
        source = {row["taxonomy_id"]: row for row in csv.DictReader(h)}
    (taxonomy,) = _read(package, "taxonomies.csv")
    assert taxonomy["name"] == "Open Eligibility"
    terms = _read(package, "taxonomy_terms.csv")
    code_of = {term["id"]: term["code"] for term in terms}
    assert set(code_of.values()) == set(source)
    for term in terms:
        assert term["name"] == source[term["code"]]["name"]
        assert code_of.get(term["parent_id"], "") == source[term["code"]]["parent_id"]
        assert term["taxonomy_id"] == taxonomy["id"]


def test_descriptions_say_what_the_linked_terms_say(tmp_path: Path) -> None:
    generator.generate(tmp_path, services=2000, seed=3, data_dir=DATA, progress=None)
    words = {
        "102-04": "food pantry",
        "103-01": "shelter",
        "103-08": "eviction",
        "111-01": "legal",
        "106-07": "counseling",
        "106-01-02-01-01": "opioid",
        "110-03": "job training",
    }
    code_of = {t["id"]: t["code"] for t in _read(tmp_path, "taxonomy_terms.csv")}
    text = {s["id"]: f"{s['name']} {s['description']}".lower() for s in _read(tmp_path, "services.csv")}
    seen = Counter[str]()
    for attribute in _read(tmp_path, "attributes.csv"):
        code = code_of[attribute["taxonomy_term_id"]]
        if code in words:
            assert words[code] in text[attribute["link_id"]], (code, text[attribute["link_id"]])
            seen[code] += 1
    assert set(seen) == set(words)


def _km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lng2 - lng1) / 2) ** 2
    )
    return 2 * 6371 * math.asin(math.sqrt(a))
