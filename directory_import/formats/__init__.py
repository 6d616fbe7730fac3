"""The format readers and `open_source`: recognise a SOURCE (file, folder, zip, URL) and read it."""

from __future__ import annotations

import tempfile
from pathlib import Path

from directory_import.formats.hsds3_api import Hsds3ApiReader
from directory_import.formats.hsds3_csv import Hsds3CsvReader, package_generation
from directory_import.formats.hsds3_json import Hsds3JsonReader, json_files
from directory_import.formats.sources import (
    OpenedSource,
    describe_contents,
    extract_zip,
    is_http_url,
    is_zip,
    local_path,
)
from directory_import.records import FormatReader, SourceUnreadable

__all__ = ["FORMATS", "OpenedSource", "detect_format", "open_source", "reader_for"]

FORMATS = ("auto", "hsds3-json", "hsds3-csv", "hsds-legacy-csv", "ohana-csv")

_LABELS = {
    "hsds3-json": "HSDS 3 JSON",
    "hsds3-csv": "HSDS 3 CSV package",
    "hsds-legacy-csv": "HSDS 1.x/2.x CSV package",
    "ohana-csv": "Ohana API CSV export",
}

_EXPECTED_FOLDER = (
    "expected an HSDS 3 CSV package (service_at_location.csv, url.csv or a 3.x datapackage.json), "
    "an HSDS 1.x/2.x CSV package (services_at_location.csv, regular_schedules.csv, physical_addresses.csv), "
    "an Ohana CSV export (mail_addresses.csv and services.csv with taxonomy_ids) or HSDS 3 JSON files"
)
_EXPECTED_FILE = (
    "expected an HSDS 3 .json or .ndjson file, a .zip of an export, a folder of CSV files, "
    "or the http(s):// base URL of an HSDS 3 API"
)


class _MissingReader(Exception):
    pass


def _ohana_looks_like(folder: Path) -> bool:
    try:
        from directory_import.formats.ohana_csv import OhanaCsvReader  # noqa: PLC0415 - optional peer module
    except ImportError:
        # Without the reader, still recognise the export so that the error says what is missing.
        return (folder / "mail_addresses.csv").is_file()
    return bool(OhanaCsvReader.looks_like(folder))


def _legacy_looks_like(folder: Path) -> bool:
    try:
        from directory_import.formats.hsds_legacy_csv import LegacyHsdsCsvReader  # noqa: PLC0415
    except ImportError:
        return False
    return bool(LegacyHsdsCsvReader.looks_like(folder))


def detect_format(path: Path, *, shown: str | None = None) -> str:
    """The format of a local file or folder (never "auto"); SourceUnreadable when none fits.

    `shown` names the source in messages when `path` is a temporary folder (an extracted zip).
    """
    name = shown or str(path)
    if path.is_dir():
        if _ohana_looks_like(path):
            return "ohana-csv"
        generation = package_generation(path)
        if generation == "3":
            return "hsds3-csv"
        if generation == "legacy" or _legacy_looks_like(path):
            return "hsds-legacy-csv"
        if json_files(path):
            return "hsds3-json"
        raise SourceUnreadable(
            f"{name} is not an export this importer recognises: {_EXPECTED_FOLDER}; "
            f"found {describe_contents(path)}"
        )
    if path.name.lower() == "datapackage.json":
        return detect_format(path.parent, shown=shown)
    if Hsds3JsonReader.looks_like(path):
        return "hsds3-json"
    if path.suffix.lower() == ".csv":
        raise SourceUnreadable(
            f"{name} is a single CSV file: "
            "give the folder (or a zip) that holds all the CSV files of the export"
        )
    raise SourceUnreadable(
        f"{name} is not a format this importer reads: {_EXPECTED_FILE}; found {_sniff(path)}"
    )


def _sniff(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            head = handle.read(256)
    except OSError as exc:
        return f"a file that cannot be read ({exc.strerror or exc})"
    if not head:
        return "an empty file"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return "binary data"
    first_line = text.strip().splitlines()[0] if text.strip() else ""
    return f"text starting with {first_line[:60]!r}" if first_line else "a file of blank lines"


def reader_for(path: Path, format: str) -> FormatReader:
    """A reader of `format` (not "auto") for a local file or folder; SourceUnreadable if it cannot be."""
    if format == "hsds3-json":
        if path.is_dir() and not json_files(path):
            raise SourceUnreadable(f"{path} holds no .json or .ndjson files; found {describe_contents(path)}")
        if path.is_file() and not Hsds3JsonReader.looks_like(path):
            raise SourceUnreadable(f"{path} is not JSON: found {_sniff(path)}")
        return Hsds3JsonReader(path)
    folder = path.parent if path.is_file() and path.name.lower() == "datapackage.json" else path
    if not folder.is_dir():
        raise SourceUnreadable(
            f"{path} is a file, but the {_LABELS.get(format, format)} format is a folder of CSV files: "
            "give the folder or a zip of it"
        )
    if format == "hsds3-csv":
        reader = Hsds3CsvReader(folder)
        reader.tables()
        return reader
    if format == "hsds-legacy-csv":
        try:
            from directory_import.formats.hsds_legacy_csv import LegacyHsdsCsvReader  # noqa: PLC0415
        except ImportError as exc:
            raise _MissingReader(format) from exc
        legacy: FormatReader = LegacyHsdsCsvReader(folder)
        return legacy
    if format == "ohana-csv":
        try:
            from directory_import.formats.ohana_csv import OhanaCsvReader  # noqa: PLC0415
        except ImportError as exc:
            raise _MissingReader(format) from exc
        ohana: FormatReader = OhanaCsvReader(folder)
        return ohana
    raise ValueError(f"unknown format {format!r}: expected one of {', '.join(FORMATS)}")


def _local(path: Path, format: str, shown: str) -> tuple[FormatReader, str]:
    chosen = detect_format(path, shown=shown) if format == "auto" else format
    try:
        reader = reader_for(path, chosen)
    except _MissingReader:
        raise SourceUnreadable(
            f"{shown} looks like an {_LABELS[chosen]}, but this installation has no reader for it"
        ) from None
    if chosen == "hsds3-json" and path.is_file():
        return reader, f"HSDS 3 JSON file {shown}"
    if chosen == "hsds3-json":
        return reader, f"HSDS 3 JSON files in {shown}"
    return reader, f"{_LABELS[chosen]} in {shown}"


def open_source(source: str, format: str = "auto", *, http_timeout: float = 30.0) -> OpenedSource:
    """Recognise SOURCE and return it ready to read; SourceUnreadable says what was expected and found.

    SOURCE is a file (.json, .ndjson, .zip), a folder (CSV package or JSON files), or the http(s)://
    base URL of an HSDS 3 API. Use the result as a context manager: it may own an extracted zip.
    """
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}: expected one of {', '.join(FORMATS)}")
    if is_http_url(source):
        if format not in ("auto", "hsds3-json"):
            raise SourceUnreadable(
                f"{source} is a URL: only an HSDS 3 API can be read from a URL (format auto or hsds3-json), "
                f"not {format}; download the export and give the file or folder"
            )
        api = Hsds3ApiReader(source, timeout=http_timeout)
        api.probe()
        return OpenedSource(api, f"HSDS 3 API at {api.base_url}")
    path = local_path(source)
    if is_zip(path):
        workdir = tempfile.TemporaryDirectory(prefix="referral-hub-import-")
        try:
            root = extract_zip(path, Path(workdir.name))
            reader, description = _local(root, format, f"zip {path}")
        except BaseException:
            workdir.cleanup()
            raise
        return OpenedSource(reader, description, workdir=workdir)
    shown = f"folder {path}" if path.is_dir() else str(path)
    reader, description = _local(path, format, shown)
    return OpenedSource(reader, description)
