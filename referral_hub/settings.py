"""Settings read from REFERRAL_HUB_* environment variables, grouped and cached."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal
from urllib.parse import urlsplit

PREFIX = "REFERRAL_HUB_"

SETTING_NAMES: frozenset[str] = frozenset(
    PREFIX + name
    for name in (
        "DATABASE_URL",
        "SEARCH_BACKEND",
        "MEILISEARCH_URL",
        "MEILISEARCH_API_KEY",
        "GEOCODER",
        "BASE_URL",
        "LOG_LEVEL",
        "LOG_FORMAT",
        "DIRECTORY_PUBLIC",
        "IMPORT_BATCH_SIZE",
    )
)

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///referral_hub.db"


class SettingsError(ValueError):
    """A setting has a value the platform cannot use; the message names the variable."""


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = DEFAULT_DATABASE_URL

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")


@dataclass(frozen=True)
class SearchSettings:
    backend: Literal["embedded", "meilisearch"] = "embedded"
    meilisearch_url: str | None = None
    meilisearch_api_key: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class ServerSettings:
    base_url: str = "http://127.0.0.1:8000"
    directory_public: bool = True


@dataclass(frozen=True)
class LogSettings:
    level: str = "INFO"
    format: Literal["console", "json"] = "console"


@dataclass(frozen=True)
class ImportSettings:
    geocoder: str | None = None
    # Rows per staging/swap transaction: about 0.1 s of SQLite write lock each (measured in bench/).
    batch_size: int = 2000


@dataclass(frozen=True)
class Settings:
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    search: SearchSettings = field(default_factory=SearchSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    log: LogSettings = field(default_factory=LogSettings)
    imports: ImportSettings = field(default_factory=ImportSettings)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(PREFIX + name)
            return value.strip() if value is not None and value.strip() != "" else None

        backend = get("SEARCH_BACKEND") or "embedded"
        if backend not in ("embedded", "meilisearch"):
            raise SettingsError(
                f"{PREFIX}SEARCH_BACKEND must be 'embedded' or 'meilisearch', not {backend!r}"
            )
        log_format = get("LOG_FORMAT") or "console"
        if log_format not in ("console", "json"):
            raise SettingsError(f"{PREFIX}LOG_FORMAT must be 'console' or 'json', not {log_format!r}")
        base_url = (get("BASE_URL") or ServerSettings.base_url).rstrip("/")
        if urlsplit(base_url).scheme not in ("http", "https") or not urlsplit(base_url).netloc:
            raise SettingsError(f"{PREFIX}BASE_URL must be an absolute http(s) URL, not {base_url!r}")
        batch = get("IMPORT_BATCH_SIZE") or str(ImportSettings.batch_size)
        if not batch.isdigit() or int(batch) < 1:
            raise SettingsError(f"{PREFIX}IMPORT_BATCH_SIZE must be a positive integer, not {batch!r}")
        return cls(
            database=DatabaseSettings(url=get("DATABASE_URL") or DEFAULT_DATABASE_URL),
            search=SearchSettings(
                backend=backend,  # type: ignore[arg-type]
                meilisearch_url=get("MEILISEARCH_URL"),
                meilisearch_api_key=get("MEILISEARCH_API_KEY"),
            ),
            server=ServerSettings(
                base_url=base_url,
                directory_public=_flag(get("DIRECTORY_PUBLIC"), default=True, name="DIRECTORY_PUBLIC"),
            ),
            log=LogSettings(level=(get("LOG_LEVEL") or "INFO").upper(), format=log_format),  # type: ignore[arg-type]
            imports=ImportSettings(geocoder=get("GEOCODER"), batch_size=int(batch)),
        )


def _flag(value: str | None, *, default: bool, name: str) -> bool:
    if value is None:
        return default
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{PREFIX}{name} must be true or false, not {value!r}")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings; tests build their own `Settings` instead of calling this."""
    return Settings.from_env()
