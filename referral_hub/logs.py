"""Structured logging: key=value on a terminal, one JSON object per line in production."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

# Attributes every LogRecord has; anything else was passed through `extra=` and is structured data.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat().replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
            **_fields(record),
        }
        if record.exc_info and record.exc_info[0] is not None:
            entry["error_type"] = record.exc_info[0].__name__
        return json.dumps(entry, default=str)


class ConsoleFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        extra = " ".join(f"{k}={v}" for k, v in _fields(record).items())
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%H:%M:%S")
        return f"{stamp} {record.levelname.lower():7} {record.name}: {record.getMessage()} {extra}".rstrip()


def configure_logging(level: str = "INFO", fmt: str = "console") -> None:
    """Add one structured handler on stderr to the root logger (once), and set our loggers' level.

    Other handlers on the root logger (a test's log capture, a host's own) are left in place.
    """
    root = logging.getLogger()
    handler = next((h for h in root.handlers if isinstance(h, _OurHandler)), None)
    if handler is None:
        handler = _OurHandler(sys.stderr)
        root.addHandler(handler)
    handler.setFormatter(JsonFormatter() if fmt == "json" else ConsoleFormatter())
    for name in ("referral_hub", "directory_import"):
        logging.getLogger(name).setLevel(level)


class _OurHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler configure_logging installed, so that a second call reuses it."""
