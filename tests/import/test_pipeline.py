"""The import pipeline on real data: counts, stable ids, re-imports, dry runs, all-or-nothing."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from directory_import.pipeline import import_source
from directory_import.records import SourceUnreadable
from directory_import.stable_ids import NAMESPACE
from referral_hub.directory.models import (
    ImportRun,
    ImportUndo,
    ListingOverlay,
    ServiceCategory,
    ServiceRecord,
)
from referral_hub.networks.models import DEFAULT_NETWORK_ID

pytestmark = pytest.mark.anyio

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
BALTIMORE = SHARED / "datasets" / "baltimore-ohana-csv"
EXAMPLES = SHARED / "hsds" / "spec-3.1" / "examples"
DIRECTORY_TABLES = (
    "hsds_organizations",
    "hsds_services",
    "hsds_locations",
    "hsds_service_at_locations",
    "hsds_addresses",
    "hsds_phones",
    "hsds_attributes",
    "hsds_taxonomy_terms",
    "hsds_languages",
    "service_categories",
)


async def snapshot(engine: AsyncEngine) -> dict[str, list[tuple[Any, ...]]]:
    """Every directory row, as it stands: to prove that something changed nothing."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    async with engine.connect() as conn:
        for table in DIRECTORY_TABLES:
            rows = (await conn.execute(text(f"SELECT * FROM {table}"))).all()
            out[table] = sorted(tuple(str(v) for v in row) for row in rows)
    return out


def examples_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "examples"
    folder.mkdir()
    for name in ("service_full.json", "taxonomy.json", "taxonomy_term.json"):
        shutil.copy(EXAMPLES / name, folder / name)
    return folder


async def test_baltimore_imports_every_organization_location_and_service(engine: AsyncEngine) -> None:
    summary = await import_source(engine, str(BALTIMORE), source_name="baltimore")
    counts = {kind: c.created for kind, c in summary.by_kind.items()}
    assert counts["organization"] == 748
    assert counts["location"] == 1482
    assert counts["service"] == 1876
    assert summary.format == "ohana-csv"
    # The service whose location is missing is imported, and its missing link is reported.
    missing = [i for i in summary.issues if i.kind == "service_at_location" and i.severity == "rejected"]
    assert len(missing) == 1
    assert missing[0].field == "location_id"
    assert "services.csv" in missing[0].origin
    async with engine.connect() as conn:
        services = (await conn.execute(select(func.count()).select_from(ServiceRecord))).scalar_one()
        categorised = (
            await conn.execute(select(func.count(func.distinct(ServiceCategory.service_id))))
        ).scalar_one()
        food = (
            await conn.execute(
                text("SELECT count(*) FROM service_categories WHERE category_code = 'food-insecurity'")
            )
        ).scalar_one()
        located = (
            await conn.execute(
                text(
                    "SELECT count(*) FROM hsds_locations WHERE latitude IS NOT NULL AND time_zone IS NOT NULL"
                )
            )
        ).scalar_one()
        approximate = (
            await conn.execute(
                text(
                    "SELECT count(*) FROM hsds_locations "
                    "WHERE coordinates_approximate AND geocode_method = 'zip-centroid'"
                )
            )
        ).scalar_one()
        spanish = (
            await conn.execute(text("SELECT count(*) FROM hsds_languages WHERE code = 'es'"))
        ).scalar_one()
    assert services == 1876
    assert categorised / services > 0.75, "most services get a need category from their taxonomy terms"
    assert food > 100
    # 1,349 locations have coordinates in the source; the rest get their ZIP's centroid where it is known.
    assert located > 1349
    assert approximate == located - 1349
    assert spanish > 300, "'Spanish' in the export becomes ISO 639-1 'es'"

    again = await import_source(engine, str(BALTIMORE), source_name="baltimore")
    assert (again.created, again.updated, again.deactivated) == (0, 0, 0)
    assert again.unchanged == summary.created


async def test_ids_follow_the_stable_id_rule(engine: AsyncEngine, tmp_path: Path) -> None:
    folder = examples_folder(tmp_path)
    await import_source(engine, str(folder), source_name="examples")
    await import_source(engine, str(folder), source_name="copy of examples")
    service_id = json.loads((EXAMPLES / "service_full.json").read_text())["id"]
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(ServiceRecord.id, ServiceRecord.source_record_id).where(
                    ServiceRecord.source_record_id == service_id
                )
            )
        ).all()
    ids = {row.id for row in rows}
    # The first source keeps its own UUID; the second cannot, so it gets the UUID5 of the rule.
    expected = uuid.uuid5(NAMESPACE, f"{DEFAULT_NETWORK_ID}/copy of examples/service/{service_id}")
    assert ids == {uuid.UUID(service_id), expected}


async def test_reimport_updates_in_place_and_deactivates_what_left_the_source(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    folder = examples_folder(tmp_path)
    first = await import_source(engine, str(folder), source_name="examples")
    assert first.by_kind["service"].created == 1
    service = json.loads((folder / "service_full.json").read_text())
    service["name"] = "Community Counselling (renamed)"
    gone = service["required_documents"].pop(0)["id"]
    (folder / "service_full.json").write_text(json.dumps(service))
    second = await import_source(engine, str(folder), source_name="examples")
    assert second.by_kind["service"].updated == 1
    assert second.created == 0
    assert second.deactivated >= 1
    async with engine.connect() as conn:
        name = (
            await conn.execute(select(ServiceRecord.name).where(ServiceRecord.id == uuid.UUID(service["id"])))
        ).scalar_one()
        document = (
            await conn.execute(
                text("SELECT active FROM hsds_required_documents WHERE source_record_id = :id"), {"id": gone}
            )
        ).one()
    assert name == "Community Counselling (renamed)"
    assert not document.active, "a record gone from the source stays, marked inactive"


async def test_a_dry_run_reports_and_changes_nothing(engine: AsyncEngine) -> None:
    before = await snapshot(engine)
    summary = await import_source(engine, str(BALTIMORE), source_name="baltimore", dry_run=True)
    assert summary.dry_run
    assert summary.by_kind["service"].created == 1876
    assert await snapshot(engine) == before
    async with engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(ImportRun))).scalar_one() == 0


async def test_an_unreadable_source_fails_clearly_and_changes_nothing(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    before = await snapshot(engine)
    with pytest.raises(SourceUnreadable):
        await import_source(engine, str(tmp_path / "does-not-exist"))
    (tmp_path / "notes.txt").write_text("not a directory export")
    with pytest.raises(SourceUnreadable):
        await import_source(engine, str(tmp_path / "notes.txt"))
    assert await snapshot(engine) == before


class Interrupt(KeyboardInterrupt):
    """Ctrl-C, raised from inside the import at a chosen moment."""


def interrupt_at(phase: str, after_calls: int) -> Any:
    calls = {"n": 0}

    def progress(current: str, done: int, total: int | None) -> None:
        if current == phase:
            calls["n"] += 1
            if calls["n"] == after_calls:
                raise Interrupt

    return progress


@pytest.mark.parametrize("phase", ["read", "swap"])
async def test_an_interrupted_first_import_leaves_the_directory_empty(
    engine: AsyncEngine, phase: str
) -> None:
    before = await snapshot(engine)
    with pytest.raises(Interrupt):
        await import_source(
            engine, str(BALTIMORE), source_name="baltimore", batch_size=500, progress=interrupt_at(phase, 5)
        )
    assert await snapshot(engine) == before
    async with engine.connect() as conn:
        statuses = (await conn.execute(select(ImportRun.status))).scalars().all()
        undo = (await conn.execute(select(func.count()).select_from(ImportUndo))).scalar_one()
    assert statuses == ["aborted"]
    assert undo == 0


async def test_an_interrupted_reimport_restores_the_previous_directory_exactly(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    folder = tmp_path / "baltimore"
    shutil.copytree(BALTIMORE, folder)
    await import_source(engine, str(folder), source_name="baltimore")
    before = await snapshot(engine)
    # Reword most services and locations, then interrupt the re-import halfway through its swap.
    for name in ("services.csv", "locations.csv"):
        content = (folder / name).read_text(encoding="utf-8")
        (folder / name).write_text(content.replace("Provides", "Offers"), encoding="utf-8")
    with pytest.raises(Interrupt):
        await import_source(
            engine, str(folder), source_name="baltimore", batch_size=50, progress=interrupt_at("swap", 3)
        )
    assert await snapshot(engine) == before


@pytest.mark.parametrize(
    ("folder", "services", "locations"),
    [
        ("ilao-legal-aid-hsds-1.1/output", 429, 520),
        ("ilao-legal-aid-hsds-1.1/output-full-tmp", 429, 520),
        ("openreferral-sample-hsds-1.1/all_resources", 13, 10),
    ],
)
async def test_legacy_hsds_packages_import(
    engine: AsyncEngine, folder: str, services: int, locations: int
) -> None:
    summary = await import_source(engine, str(SHARED / "datasets" / folder), source_name=folder)
    assert summary.format == "hsds-legacy-csv"
    assert summary.by_kind["service"].created == services
    assert summary.by_kind["location"].created == locations
    async with engine.connect() as conn:
        hours = (
            await conn.execute(
                text("SELECT count(*) FROM hsds_schedules WHERE opens_at IS NOT NULL AND byday IS NOT NULL")
            )
        ).scalar_one()
    if folder.startswith("ilao"):
        assert hours > 1000, "ILAO's regular schedules arrive with days and times"
    again = await import_source(engine, str(SHARED / "datasets" / folder), source_name=folder)
    assert (again.created, again.updated, again.deactivated) == (0, 0, 0)


async def test_strict_rejects_what_the_default_repairs(engine: AsyncEngine, tmp_path: Path) -> None:
    service = json.loads((EXAMPLES / "service_full.json").read_text())
    service["email"] = "not-an-email"
    (tmp_path / "service.json").write_text(json.dumps(service))
    strict = await import_source(
        engine, str(tmp_path / "service.json"), source_name="s", strict=True, dry_run=True
    )
    assert strict.by_kind["service"].rejected == 1
    assert any(i.kind == "service" and i.field == "email" and i.severity == "rejected" for i in strict.issues)
    lenient = await import_source(engine, str(tmp_path / "service.json"), source_name="s", dry_run=True)
    assert lenient.by_kind["service"].created == 1
    assert any(i.field == "email" and i.severity == "dropped" for i in lenient.issues)


async def test_imports_never_touch_what_a_cbo_says_about_its_listing(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    folder = examples_folder(tmp_path)
    await import_source(engine, str(folder), source_name="examples")
    service = json.loads((folder / "service_full.json").read_text())
    async with engine.begin() as conn:
        await conn.execute(
            insert(ListingOverlay).values(
                network_id=DEFAULT_NETWORK_ID,
                service_id=uuid.UUID(service["id"]),
                accepting_referrals=False,
                capacity_status="waitlist",
                hours_note="Closed on the 3rd Friday",
            )
        )
    service["name"] = "Community Counselling (new name)"
    service["description"] = "Imported text changes; the overlay stays."
    (folder / "service_full.json").write_text(json.dumps(service))
    summary = await import_source(engine, str(folder), source_name="examples")
    assert summary.by_kind["service"].updated == 1
    async with engine.connect() as conn:
        overlay = (
            await conn.execute(
                select(ListingOverlay.accepting_referrals, ListingOverlay.capacity_status)
                .add_columns(ListingOverlay.hours_note)
            )
        ).one()
    assert tuple(overlay) == (False, "waitlist", "Closed on the 3rd Friday")
