"""Static checks of docker-compose.yml and the Dockerfile (no Docker engine runs on our machines)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from referral_hub.settings import SETTING_NAMES, Settings

REPO = Path(__file__).resolve().parents[2]
SECRETS = {"POSTGRES_PASSWORD": "pgLocalOnly123", "MEILI_MASTER_KEY": "meiliLocalOnlyKey0123"}
_VARIABLE = re.compile(r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}")


class MissingVariable(LookupError):
    pass


def interpolate(value: str, env: Mapping[str, str]) -> str:
    """Compose's variable substitution for the forms the file may use; anything else fails the test."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name"), match.group("op"), match.group("arg")
        current = env.get(name)
        if op is None:
            return current or ""
        unset = current is None or (op.startswith(":") and current == "")
        if op.endswith("-"):
            return arg if unset else str(current)
        if op.endswith("?"):
            if unset:
                raise MissingVariable(f"{name}: {arg}")
            return str(current)
        return "" if unset else arg

    resolved = _VARIABLE.sub(replace, value)
    assert "${" not in resolved, f"unsupported interpolation left in {value!r}"
    return resolved


def resolve(node: Any, env: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [resolve(item, env) for item in node]
    if isinstance(node, dict):
        return {key: resolve(item, env) for key, item in node.items()}
    return node


def raw_compose() -> dict[str, Any]:
    document = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    resolved = resolve(raw_compose(), SECRETS)
    assert isinstance(resolved, dict)
    return resolved


def environment(service: Mapping[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(key): str(value) for key, value in env.items()}


def command_text(service: Mapping[str, Any]) -> str:
    command = service["command"]
    return command if isinstance(command, str) else " ".join(command)


def test_the_stack_has_exactly_the_app_postgres_and_meilisearch(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"app", "postgres", "meilisearch"}


def test_images_are_pinned_to_the_supported_versions(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert re.fullmatch(r"postgres:15\.\d+(-[a-z0-9]+)?", services["postgres"]["image"])
    assert re.fullmatch(r"getmeili/meilisearch:v1\.21\.\d+", services["meilisearch"]["image"])
    assert services["app"]["build"] in (".", {"context": "."})


def test_every_service_has_a_healthcheck_that_probes_it(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        test = service["healthcheck"]["test"]
        assert isinstance(test, list), name
        assert test[0] in ("CMD", "CMD-SHELL"), name
    assert services["postgres"]["healthcheck"]["test"][1] == "pg_isready"
    assert "http://127.0.0.1:8000/health" in " ".join(services["app"]["healthcheck"]["test"])
    assert "http://127.0.0.1:7700/health" in " ".join(services["meilisearch"]["healthcheck"]["test"])


@pytest.mark.parametrize(
    ("service", "data_path"),
    [("postgres", "/var/lib/postgresql/data"), ("meilisearch", "/meili_data")],
)
def test_stateful_services_keep_their_data_in_named_volumes(
    compose: dict[str, Any], service: str, data_path: str
) -> None:
    mounts = {}
    for volume in compose["services"][service]["volumes"]:
        source, target = volume.split(":")[:2]
        mounts[target] = source
    assert data_path in mounts, f"{service} keeps nothing across restarts"
    assert mounts[data_path] in compose["volumes"], "a named volume, declared at the top level"


def test_the_app_sets_only_real_settings_and_they_parse(compose: dict[str, Any]) -> None:
    env = environment(compose["services"]["app"])
    ours = {name for name in env if name.startswith("REFERRAL_HUB_")}
    assert ours <= SETTING_NAMES, f"not settings of the app: {sorted(ours - SETTING_NAMES)}"
    settings = Settings.from_env(env)
    assert settings.search.backend == "meilisearch"
    assert settings.server.base_url == "http://127.0.0.1:8000"


def test_the_app_reaches_the_postgres_service_with_its_credentials(compose: dict[str, Any]) -> None:
    services = compose["services"]
    database = environment(services["postgres"])
    url = urlsplit(environment(services["app"])["REFERRAL_HUB_DATABASE_URL"])
    assert url.scheme == "postgresql+asyncpg"
    assert (url.hostname, url.port) == ("postgres", 5432)
    assert url.username == database["POSTGRES_USER"]
    assert url.password == database["POSTGRES_PASSWORD"] == SECRETS["POSTGRES_PASSWORD"]
    assert url.path == "/" + database["POSTGRES_DB"]


def test_the_app_reaches_meilisearch_with_its_master_key(compose: dict[str, Any]) -> None:
    services = compose["services"]
    meili = environment(services["meilisearch"])
    app = environment(services["app"])
    url = urlsplit(app["REFERRAL_HUB_MEILISEARCH_URL"])
    listen_port = int(meili.get("MEILI_HTTP_ADDR", "0.0.0.0:7700").rsplit(":", 1)[1])
    assert (url.scheme, url.hostname, url.port) == ("http", "meilisearch", listen_port)
    assert app["REFERRAL_HUB_MEILISEARCH_API_KEY"] == meili["MEILI_MASTER_KEY"] == SECRETS["MEILI_MASTER_KEY"]
    assert meili["MEILI_ENV"] == "production"
    assert meili["MEILI_NO_ANALYTICS"] == "true"


def test_the_app_waits_for_healthy_backends_and_migrates_before_serving(compose: dict[str, Any]) -> None:
    app = compose["services"]["app"]
    assert app["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "meilisearch": {"condition": "service_healthy"},
    }
    command = command_text(app)
    upgrade, serve = command.find("referral-hub db upgrade"), command.find("referral-hub serve")
    assert 0 <= upgrade < serve, command
    assert "--host 0.0.0.0 --port 8000" in command
    assert any(str(port).endswith(":8000") for port in app["ports"])


@pytest.mark.parametrize("secret", sorted(SECRETS))
def test_secrets_have_no_default_and_missing_ones_are_named(secret: str) -> None:
    env = {name: value for name, value in SECRETS.items() if name != secret}
    with pytest.raises(MissingVariable, match=secret):
        resolve(raw_compose(), env)


def test_the_image_runs_the_installed_package_as_an_unprivileged_user() -> None:
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line for line in dockerfile.splitlines() if line.strip() and not line.startswith("#")]
    instructions = [line.split(None, 1) for line in lines]
    keywords = [parts[0] for parts in instructions]
    assert instructions[keywords.index("FROM")][1].strip() == "python:3.11-slim"
    copied = " ".join(parts[1] for parts in instructions if parts[0] == "COPY")
    assert not re.search(r"\b(tests|bench)\b|(^|\s)\.\s", copied), copied
    assert re.search(r"pip install (-e )?\.", dockerfile)
    # `db upgrade` needs the Alembic revisions in the image.
    assert "migrations" in copied
    users = [parts[1].strip() for parts in instructions if parts[0] == "USER"]
    assert users, "the image must not run as root"
    assert users[-1] not in ("root", "0")
    # An allow-list: everything is left out of the build context unless named.
    ignored = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert "*" in ignored
    readmitted = [line for line in ignored if line.startswith("!")]
    assert not [line for line in readmitted if re.match(r"!/?(tests|bench)\b", line)], readmitted
