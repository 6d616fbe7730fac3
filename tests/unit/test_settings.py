"""Settings come from REFERRAL_HUB_* variables, and bad values are refused by name."""

from __future__ import annotations

import pytest

from referral_hub.settings import DEFAULT_DATABASE_URL, SETTING_NAMES, Settings, SettingsError


def test_defaults_run_the_embedded_platform_on_loopback() -> None:
    settings = Settings.from_env({})
    assert settings.database.url == DEFAULT_DATABASE_URL
    assert settings.database.is_sqlite
    assert settings.search.backend == "embedded"
    assert settings.server.base_url == "http://127.0.0.1:8000"
    assert settings.server.directory_public is True


def test_environment_values_are_read_and_trimmed() -> None:
    settings = Settings.from_env(
        {
            "REFERRAL_HUB_DATABASE_URL": " postgresql+asyncpg://u@127.0.0.1/db ",
            "REFERRAL_HUB_SEARCH_BACKEND": "meilisearch",
            "REFERRAL_HUB_MEILISEARCH_URL": "http://127.0.0.1:7700",
            "REFERRAL_HUB_BASE_URL": "https://referrals.example.org/",
            "REFERRAL_HUB_DIRECTORY_PUBLIC": "false",
            "REFERRAL_HUB_IMPORT_BATCH_SIZE": "500",
        }
    )
    assert settings.database.url == "postgresql+asyncpg://u@127.0.0.1/db"
    assert not settings.database.is_sqlite
    assert settings.search.backend == "meilisearch"
    assert settings.server.base_url == "https://referrals.example.org"
    assert settings.server.directory_public is False
    assert settings.imports.batch_size == 500


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SEARCH_BACKEND", "elastic"),
        ("LOG_FORMAT", "xml"),
        ("BASE_URL", "referrals.example.org"),
        ("DIRECTORY_PUBLIC", "maybe"),
        ("IMPORT_BATCH_SIZE", "0"),
    ],
)
def test_a_bad_value_names_its_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=f"REFERRAL_HUB_{name}"):
        Settings.from_env({f"REFERRAL_HUB_{name}": value})


def test_the_api_key_never_shows_in_the_settings_repr() -> None:
    settings = Settings.from_env({"REFERRAL_HUB_MEILISEARCH_API_KEY": "s3cret-key"})
    assert "s3cret-key" not in repr(settings)
    assert "REFERRAL_HUB_MEILISEARCH_API_KEY" in SETTING_NAMES
