"""The `referral-hub` command: demo, serve, db upgrade, import."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import msgspec

from referral_hub.settings import Settings, SettingsError, get_settings

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def _print_err(message: str) -> None:
    print(f"referral-hub: {message}", file=sys.stderr)  # noqa: T201 - the command's own output


def _out(message: str) -> None:
    print(message)  # noqa: T201 - the command's own output


# -- db -------------------------------------------------------------------------------------------


def db_upgrade(settings: Settings) -> None:
    from referral_hub.schema import upgrade_database  # noqa: PLC0415 - keep `--help` fast

    upgrade_database(settings.database.url)


def _cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    db_upgrade(settings)
    _out("database is up to date")
    return EXIT_OK


# -- import ---------------------------------------------------------------------------------------


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str, int, int | None], None] | None]:
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn  # noqa: PLC0415

    labels = {"read": "reading and checking", "swap": "applying"}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
        console=None,
    ) as bar:
        tasks: dict[str, Any] = {}

        def update(phase: str, done: int, total: int | None) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(labels.get(phase, phase), total=total)
            bar.update(tasks[phase], completed=done, total=total)

        yield update


def _cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from directory_import.pipeline import import_source  # noqa: PLC0415
    from directory_import.records import SourceUnreadable  # noqa: PLC0415
    from directory_import.store import ImportBusy  # noqa: PLC0415
    from referral_hub.db.engine import create_engine  # noqa: PLC0415
    from referral_hub.db.migrate import DatabaseBehind, ensure_current  # noqa: PLC0415
    from referral_hub.geo.geocoder import build_geocoder  # noqa: PLC0415
    from referral_hub.search.backends import build_search_backend  # noqa: PLC0415
    from referral_hub.search.indexing import refresh_services  # noqa: PLC0415

    try:
        geocoder = build_geocoder(settings.imports.geocoder)
    except ValueError as exc:
        _print_err(str(exc))
        return EXIT_USAGE

    async def run(progress: Callable[[str, int, int | None], None] | None) -> Any:
        engine = create_engine(settings.database.url)
        backend = build_search_backend(settings, engine)
        try:
            await ensure_current(engine, settings.database.url)

            async def reindex(service_ids: list[Any]) -> None:
                await refresh_services(backend, engine, service_ids)

            return await import_source(
                engine,
                args.source,
                format=args.format,
                source_name=args.source_name,
                dry_run=args.dry_run,
                strict=args.strict,
                geocoder=geocoder,
                batch_size=settings.imports.batch_size,
                progress=progress,
                on_committed=reindex,
            )
        finally:
            await backend.close()
            await engine.dispose()

    show_bar = not args.json and sys.stderr.isatty()
    try:
        with _progress(show_bar) as progress:
            summary = asyncio.run(run(progress))
    except (SourceUnreadable, DatabaseBehind, ImportBusy) as exc:
        _print_err(f"nothing imported: {exc}")
        return EXIT_FAILED
    except KeyboardInterrupt:
        _print_err("interrupted: nothing imported, the directory is as it was")
        return 130
    if args.json:
        _out(msgspec.json.encode(summary).decode())
    else:
        _print_summary(summary)
    return EXIT_OK if not (args.strict and summary.rejected) else EXIT_FAILED


def _print_summary(summary: Any) -> None:
    verb = "would import" if summary.dry_run else "imported"
    _out(f"{verb} {summary.source_name} ({summary.format}) in {summary.seconds:.1f} s")
    _out(f"{'':24}{'created':>9}{'updated':>9}{'unchanged':>11}{'deactivated':>13}{'rejected':>10}")
    for kind, c in sorted(summary.by_kind.items()):
        _out(f"{kind:24}{c.created:>9}{c.updated:>9}{c.unchanged:>11}{c.deactivated:>13}{c.rejected:>10}")
    if summary.issues:
        _out(
            f"\n{summary.rejected} rejected, {summary.dropped_fields} values dropped, "
            f"{summary.warnings} warnings:"
        )
        for issue in summary.issues[:50]:
            where = f"{issue.origin}" + (f" ({issue.kind} {issue.source_id})" if issue.source_id else "")
            field = f" {issue.field}:" if issue.field else ""
            _out(f"  {issue.severity:8} {where}{field} {issue.reason}")
        hidden = len(summary.issues) - 50 + summary.issues_not_listed
        if hidden > 0:
            _out(f"  ... and {hidden} more (use --json for the full list)")


def _cmd_search_reindex(args: argparse.Namespace, settings: Settings) -> int:
    from referral_hub.db.engine import create_engine  # noqa: PLC0415
    from referral_hub.db.migrate import DatabaseBehind, ensure_current  # noqa: PLC0415
    from referral_hub.search.backends import build_search_backend  # noqa: PLC0415

    async def run() -> int:
        engine = create_engine(settings.database.url)
        backend = build_search_backend(settings, engine)
        try:
            await ensure_current(engine, settings.database.url)
            return await backend.rebuild()
        finally:
            await backend.close()
            await engine.dispose()

    try:
        count = asyncio.run(run())
    except DatabaseBehind as exc:
        _print_err(str(exc))
        return EXIT_FAILED
    _out(f"search index ({settings.search.backend}) rebuilt: {count} documents")
    return EXIT_OK


# -- serve and demo -------------------------------------------------------------------------------


def _check_schema(settings: Settings) -> bool:
    from directory_import.store import recover_interrupted  # noqa: PLC0415
    from referral_hub.db.engine import create_engine  # noqa: PLC0415
    from referral_hub.db.migrate import DatabaseBehind, ensure_current  # noqa: PLC0415

    async def check() -> None:
        engine = create_engine(settings.database.url)
        try:
            await ensure_current(engine, settings.database.url)
            # An import whose process died left a half-applied swap: put the directory back first.
            await recover_interrupted(engine)
        finally:
            await engine.dispose()

    try:
        asyncio.run(check())
    except DatabaseBehind as exc:
        _print_err(str(exc))
        return False
    return True


def serve(settings: Settings, host: str, port: int, workers: int) -> int:
    import uvicorn  # noqa: PLC0415

    if not _check_schema(settings):
        return EXIT_FAILED
    uvicorn.run(
        "referral_hub.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log.level.lower(),
        proxy_headers=True,
    )
    return EXIT_OK


def _cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    return serve(settings, args.host, args.port, args.workers)


def _cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from referral_hub.demo import load_demo  # noqa: PLC0415

    db_upgrade(settings)
    for line in asyncio.run(load_demo(settings)):
        _out(line)
    _out(f"serving on http://{args.host}:{args.port}  (HSDS API: /hsds/, OpenAPI: /schema)")
    return serve(settings, args.host, args.port, 1)


# -- parser ---------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    from directory_import.formats import FORMATS  # noqa: PLC0415

    parser = argparse.ArgumentParser(prog="referral-hub", description="Community referral network platform.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="create the embedded database, load a demo network, serve it")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.set_defaults(handler=_cmd_demo)

    serve_cmd = commands.add_parser("serve", help="serve the HTTP API")
    serve_cmd.add_argument("--host", default="127.0.0.1")
    serve_cmd.add_argument("--port", type=int, default=8000)
    serve_cmd.add_argument("--workers", type=int, default=1)
    serve_cmd.set_defaults(handler=_cmd_serve)

    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser("upgrade", help="apply the migrations").set_defaults(handler=_cmd_db_upgrade)

    imp = commands.add_parser(
        "import", help="import directory data (HSDS 3 JSON/CSV/API, HSDS 1.x/2.x CSV, Ohana CSV)"
    )
    imp.add_argument(
        "source", metavar="SOURCE", help="a file, a folder, a zip, or the base URL of an HSDS 3 API"
    )
    imp.add_argument("--format", choices=FORMATS, default="auto")
    imp.add_argument("--source-name", help="name of the source (default: the file, folder or URL)")
    imp.add_argument("--dry-run", action="store_true", help="check and count, change nothing")
    imp.add_argument("--strict", action="store_true", help="full JSON Schema validation; any problem rejects")
    imp.add_argument("--json", action="store_true", help="print only a JSON summary")
    imp.set_defaults(handler=_cmd_import)

    search = commands.add_parser("search", help="the search index")
    search_commands = search.add_subparsers(dest="search_command", required=True, metavar="ACTION")
    search_commands.add_parser("reindex", help="rebuild the search index from the directory").set_defaults(
        handler=_cmd_search_reindex
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = get_settings()
    except SettingsError as exc:
        _print_err(str(exc))
        return EXIT_USAGE
    handler: Callable[[argparse.Namespace, Settings], int] = args.handler
    return handler(args, settings)


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["build_parser", "main"]
