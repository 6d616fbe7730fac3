"""Opening a SOURCE string: a local file or folder, a zip extracted safely, or an http(s) URL."""

from __future__ import annotations

import stat
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from types import TracebackType
from urllib.parse import urlsplit

from directory_import.records import FormatReader, SourceUnreadable

__all__ = [
    "MAX_ZIP_BYTES",
    "MAX_ZIP_MEMBERS",
    "OpenedSource",
    "describe_contents",
    "extract_zip",
    "is_http_url",
    "is_zip",
    "local_path",
]

# An export of a large 211 (50,000 services, every table) is a few hundred MB of CSV.
MAX_ZIP_BYTES = 4 * 1024**3
MAX_ZIP_MEMBERS = 10_000
# Real CSV/JSON compresses 5-20x; a member far beyond that is a decompression bomb.
MAX_ZIP_RATIO = 1_000
_RATIO_FLOOR_BYTES = 16 * 1024**2
_CHUNK = 1024 * 1024
_IGNORED_NAMES = ("__MACOSX", ".DS_Store", "Thumbs.db")


class OpenedSource:
    """A source ready to read; closing it removes what opening it created (an extracted zip)."""

    def __init__(
        self,
        reader: FormatReader,
        description: str,
        *,
        workdir: tempfile.TemporaryDirectory[str] | None = None,
    ) -> None:
        self.reader = reader
        self.description = description
        self._workdir = workdir

    @property
    def format_name(self) -> str:
        """The format the source is read as ("hsds3-csv", "hsds3-api", ...)."""
        return self.reader.format_name

    def close(self) -> None:
        """Remove the temporary folder of an extracted zip; safe to call twice."""
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None

    def __enter__(self) -> OpenedSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"OpenedSource({self.description!r})"


def is_http_url(source: str) -> bool:
    """True for an http:// or https:// URL with a host."""
    parts = urlsplit(source.strip())
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def local_path(source: str) -> Path:
    """The existing file or folder SOURCE names; SourceUnreadable when there is none."""
    if not source.strip():
        raise SourceUnreadable("no source given: expected a file, a folder, a zip or an http(s):// URL")
    path = Path(source).expanduser()
    if not path.exists():
        raise SourceUnreadable(
            f"{source}: no such file or folder "
            "(expected a file, a folder, a zip, or the http(s):// base URL of an HSDS 3 API)"
        )
    return path


def is_zip(path: Path) -> bool:
    """A zip archive, by name or by content."""
    return path.is_file() and (path.suffix.lower() == ".zip" or zipfile.is_zipfile(path))


def _member_problem(info: zipfile.ZipInfo) -> str | None:
    name = info.filename.replace("\\", "/")
    parts = PurePosixPath(name).parts
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "has an absolute path"
    if ".." in parts:
        return "points outside the archive (..)"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "is a symbolic link"
    if info.flag_bits & 0x1:
        return "is encrypted"
    if (
        info.file_size > _RATIO_FLOOR_BYTES
        and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1)
    ):
        return f"expands {info.file_size // max(info.compress_size, 1)}x (a decompression bomb?)"
    return None


def extract_zip(
    archive: Path,
    destination: Path,
    *,
    max_bytes: int = MAX_ZIP_BYTES,
    max_members: int = MAX_ZIP_MEMBERS,
) -> Path:
    """Extract `archive` into `destination` after checking every member; return the data folder.

    Nothing is written when a member would land outside `destination` (absolute paths, `..`,
    symbolic links), is encrypted, or when the archive is larger than the limits. The data folder
    is the single top folder when the archive wraps everything in one.
    """
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = [info for info in bundle.infolist() if not info.is_dir()]
            if len(members) > max_members:
                raise SourceUnreadable(
                    f"{archive.name} holds {len(members)} files; an import zip may hold at most {max_members}"
                )
            for info in members:
                problem = _member_problem(info)
                if problem is not None:
                    raise SourceUnreadable(
                        f"{archive.name} is refused: the member {info.filename!r} {problem}"
                    )
            declared = sum(info.file_size for info in members)
            if declared > max_bytes:
                raise SourceUnreadable(
                    f"{archive.name} expands to {declared:,} bytes; the limit is {max_bytes:,} bytes"
                )
            root = destination.resolve()
            written = 0
            for info in members:
                target = (root / info.filename.replace("\\", "/")).resolve()
                if not target.is_relative_to(root):
                    raise SourceUnreadable(f"{archive.name} is refused: {info.filename!r} points outside it")
                target.parent.mkdir(parents=True, exist_ok=True)
                # Sizes in the directory can lie: count what really comes out.
                with bundle.open(info) as source, target.open("wb") as sink:
                    while chunk := source.read(_CHUNK):
                        written += len(chunk)
                        if written > max_bytes:
                            raise SourceUnreadable(
                                f"{archive.name} expands beyond the limit of {max_bytes:,} bytes"
                            )
                        sink.write(chunk)
    except zipfile.BadZipFile as exc:
        raise SourceUnreadable(f"{archive.name} is not a readable zip archive: {exc}") from exc
    except (OSError, EOFError, RuntimeError, NotImplementedError) as exc:
        raise SourceUnreadable(f"{archive.name} cannot be extracted: {exc}") from exc
    return data_root(destination)


def data_root(folder: Path) -> Path:
    """`folder`, or the one folder inside it when it holds nothing else (a zipped export folder)."""
    current = folder
    while True:
        entries = [entry for entry in current.iterdir() if entry.name not in _IGNORED_NAMES]
        if len(entries) == 1 and entries[0].is_dir():
            current = entries[0]
            continue
        return current


def describe_contents(folder: Path, *, limit: int = 8) -> str:
    """What a folder holds, for error messages: "nothing" or the first file names."""
    names = sorted(
        entry.name + ("/" if entry.is_dir() else "")
        for entry in folder.iterdir()
        if entry.name not in _IGNORED_NAMES
    )
    if not names:
        return "nothing (it is empty)"
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
