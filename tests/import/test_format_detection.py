"""open_source: which format each real export is recognised as, and clear refusals of what is not one."""

from __future__ import annotations

import shutil
import stat
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from directory_import.formats import FORMATS, detect_format, open_source
from directory_import.formats.hsds3_csv import Hsds3CsvReader, package_generation
from directory_import.formats.sources import extract_zip
from directory_import.records import SourceRecord, SourceUnreadable

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
EXAMPLES = DATA / "hsds" / "spec-3.1" / "examples"
CSV_EXAMPLE = EXAMPLES / "csv"
BALTIMORE = DATA / "datasets" / "baltimore-ohana-csv"
ILAO = DATA / "datasets" / "ilao-legal-aid-hsds-1.1"
SAMPLE = DATA / "datasets" / "openreferral-sample-hsds-1.1"


@pytest.fixture(scope="module", autouse=True)
def _reference_data() -> None:
    if not DATA.is_dir():
        pytest.fail(f"the reference data is missing: expected {DATA}")


@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        (BALTIMORE, "ohana-csv"),
        (ILAO / "output", "hsds-legacy-csv"),
        # It has a service_at_location.csv like HSDS 3, but its datapackage.json says 1.0.
        (ILAO / "output-full-tmp", "hsds-legacy-csv"),
        (SAMPLE / "simple", "hsds-legacy-csv"),
        (SAMPLE / "all_resources", "hsds-legacy-csv"),
        (CSV_EXAMPLE, "hsds3-csv"),
        (EXAMPLES, "hsds3-json"),
    ],
    ids=lambda value: value.name if isinstance(value, Path) else value,
)
def test_each_real_export_is_recognised(folder: Path, expected: str) -> None:
    assert detect_format(folder) == expected
    assert expected in FORMATS


def test_hsds_generation_comes_from_the_datapackage_before_the_file_names() -> None:
    assert package_generation(CSV_EXAMPLE) == "3"
    assert package_generation(ILAO / "output-full-tmp") == "legacy"
    assert package_generation(SAMPLE / "simple") == "legacy"
    assert package_generation(BALTIMORE) is None


def test_the_hsds3_csv_folder_opens_and_reads() -> None:
    with open_source(str(CSV_EXAMPLE)) as source:
        assert source.format_name == "hsds3-csv"
        assert source.description == f"HSDS 3 CSV package in folder {CSV_EXAMPLE}"
        kinds = Counter(item.kind for item in source.reader.records() if isinstance(item, SourceRecord))
    assert kinds["service"] == 1
    assert kinds["service_at_location"] == 1


def test_a_datapackage_json_path_means_its_folder() -> None:
    with open_source(str(CSV_EXAMPLE / "datapackage.json")) as source:
        assert source.format_name == "hsds3-csv"


def zip_folder(folder: Path, archive: Path, *, prefix: str = "") -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(folder.iterdir()):
            if path.is_file():
                bundle.write(path, prefix + path.name)
    return archive


@pytest.mark.parametrize("prefix", ["", "hsds-export/"])
def test_a_zip_of_the_csv_package_is_extracted_and_removed_on_close(tmp_path: Path, prefix: str) -> None:
    archive = zip_folder(CSV_EXAMPLE, tmp_path / "export.zip", prefix=prefix)

    with open_source(str(archive)) as source:
        assert source.format_name == "hsds3-csv"
        assert source.description == f"HSDS 3 CSV package in zip {archive}"
        records = [item for item in source.reader.records() if isinstance(item, SourceRecord)]
        assert isinstance(source.reader, Hsds3CsvReader)
        extracted = source.reader.folder
        assert (extracted / "services.csv").is_file()
    assert len(records) == 23
    assert not extracted.exists()


def test_json_and_ndjson_files_are_hsds3_json(tmp_path: Path) -> None:
    ndjson = tmp_path / "services.ndjson"
    names = ("taxonomy.json", "service_list.json")
    lines = [(EXAMPLES / name).read_text().replace("\n", "") for name in names]
    ndjson.write_text("\n".join(lines) + "\n")

    with open_source(str(EXAMPLES / "service_full.json")) as source:
        assert source.format_name == "hsds3-json"
        assert source.description == f"HSDS 3 JSON file {EXAMPLES / 'service_full.json'}"
    with open_source(str(ndjson)) as source:
        assert source.format_name == "hsds3-json"
        kinds = Counter(item.kind for item in source.reader.records() if isinstance(item, SourceRecord))
    assert kinds == Counter({"taxonomy": 1, "organization": 1, "program": 1, "service": 1})


def test_the_ohana_and_legacy_folders_open_with_their_readers() -> None:
    pytest.importorskip("directory_import.formats.ohana_csv")
    pytest.importorskip("directory_import.formats.hsds_legacy_csv")

    with open_source(str(BALTIMORE)) as source:
        assert source.format_name == "ohana-csv"
        assert source.description == f"Ohana API CSV export in folder {BALTIMORE}"
    with open_source(str(ILAO / "output")) as source:
        assert source.format_name == "hsds-legacy-csv"
        assert source.description == f"HSDS 1.x/2.x CSV package in folder {ILAO / 'output'}"


def test_an_explicit_format_overrides_detection() -> None:
    with open_source(str(CSV_EXAMPLE), "hsds3-csv") as source:
        assert source.format_name == "hsds3-csv"
    with pytest.raises(SourceUnreadable, match="holds none of the HSDS 3 CSV files"):
        open_source(str(SAMPLE), "hsds3-csv")
    with pytest.raises(SourceUnreadable, match=r"holds no \.json or \.ndjson files"):
        open_source(str(CSV_EXAMPLE), "hsds3-json")
    with pytest.raises(SourceUnreadable, match="only an HSDS 3 API can be read from a URL"):
        open_source("https://example.org/hsds", "hsds3-csv")
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        open_source(str(CSV_EXAMPLE), "xml")


# --- refusals --------------------------------------------------------------------------------------


def test_an_empty_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceUnreadable, match="is not an export this importer recognises") as refused:
        open_source(str(tmp_path))
    message = str(refused.value)
    assert "expected an HSDS 3 CSV package" in message
    assert message.endswith("found nothing (it is empty)")


def test_a_folder_of_unrelated_files_names_what_it_found(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "people.csv").write_text("name,age\nAda,36\n")

    with pytest.raises(SourceUnreadable, match=r"found notes\.txt, people\.csv$"):
        open_source(str(tmp_path))


def test_a_random_text_file_is_refused(tmp_path: Path) -> None:
    text = tmp_path / "readme.txt"
    text.write_text("Call 211 for help with food, housing and bills.\n")

    with pytest.raises(SourceUnreadable) as refused:
        open_source(str(text))
    message = str(refused.value)
    assert "is not a format this importer reads" in message
    assert "expected an HSDS 3 .json or .ndjson file, a .zip" in message
    assert "found text starting with 'Call 211 for help" in message


def test_a_single_csv_file_asks_for_its_folder() -> None:
    with pytest.raises(SourceUnreadable, match="is a single CSV file: give the folder"):
        open_source(str(CSV_EXAMPLE / "services.csv"))


def test_a_missing_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceUnreadable, match="no such file or folder"):
        open_source(str(tmp_path / "nowhere.zip"))


def test_a_zip_with_a_parent_directory_member_is_refused_before_writing(tmp_path: Path) -> None:
    archive = tmp_path / "inside" / "evil.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("services.csv", "id,name\ns-1,Food bank\n")
        bundle.writestr("../escaped.csv", "id\nx\n")

    with pytest.raises(SourceUnreadable) as refused:
        open_source(str(archive))
    assert str(refused.value) == (
        "evil.zip is refused: the member '../escaped.csv' points outside the archive (..)"
    )
    assert not (tmp_path / "escaped.csv").exists()


def test_zip_members_that_are_absolute_or_symbolic_links_are_refused(tmp_path: Path) -> None:
    absolute = tmp_path / "absolute.zip"
    with zipfile.ZipFile(absolute, "w") as bundle:
        bundle.writestr("/etc/cron.d/job", "x")
    link = tmp_path / "link.zip"
    with zipfile.ZipFile(link, "w") as bundle:
        info = zipfile.ZipInfo("services.csv")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        bundle.writestr(info, "/etc/passwd")

    with pytest.raises(SourceUnreadable, match=r"'/etc/cron\.d/job' has an absolute path"):
        open_source(str(absolute))
    with pytest.raises(SourceUnreadable, match=r"'services\.csv' is a symbolic link"):
        open_source(str(link))


def test_a_zip_larger_than_the_limit_is_refused(tmp_path: Path) -> None:
    archive = zip_folder(CSV_EXAMPLE, tmp_path / "export.zip")
    target = tmp_path / "out"
    target.mkdir()

    with pytest.raises(SourceUnreadable, match=r"expands to .* bytes; the limit is 10,000 bytes"):
        extract_zip(archive, target, max_bytes=10_000)
    assert list(target.iterdir()) == []


def test_a_file_named_zip_that_is_not_one_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "export.zip"
    shutil.copy(CSV_EXAMPLE / "services.csv", fake)

    with pytest.raises(SourceUnreadable, match=r"export\.zip is not a readable zip archive"):
        open_source(str(fake))
