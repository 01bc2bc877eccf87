"""The deployment files: docker-compose.yml is valid under the Compose Specification's JSON schema (the copy the
check-jsonschema package vendors from compose-spec, Apache-2.0) and, where a Docker engine answers, under
`docker compose config`; every service runs the one image built from infra/docker/Dockerfile."""

from __future__ import annotations

import json
import shutil
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from infra.stack import KEEP_ALIVE_SECONDS

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"
DOCKERFILE = "infra/docker/Dockerfile"
INFRASTRUCTURE = ("postgres", "kafka")
APPLICATION = ("profiles", "opportunities", "matching", "events", "ui")


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())  # type: ignore[no-any-return]


def compose_schema() -> dict[str, Any]:
    text = resources.files("check_jsonschema.builtin_schemas.vendor").joinpath("compose-spec.json").read_text()
    return json.loads(text)  # type: ignore[no-any-return]


def docker_engine() -> str | None:
    """None when a Docker engine answers, else why not."""
    if shutil.which("docker") is None:
        return "no docker command on this machine"
    try:
        answered = subprocess.run(["docker", "info"], capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"docker info failed: {exc}"
    return None if answered.returncode == 0 else "no Docker engine answers (docker info failed)"


@pytest.mark.unit
def test_compose_file_is_valid_under_the_compose_specification_schema() -> None:
    schema = compose_schema()
    jsonschema.validators.validator_for(schema).check_schema(schema)
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(compose()), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors)


@pytest.mark.unit
def test_the_schema_check_can_fail() -> None:
    broken = compose()
    broken["services"]["profiles"]["ports"] = "8001:8001"  # a string where the specification wants a list
    broken["services"]["matching"]["restart_policy"] = "always"  # no such key
    errors = list(jsonschema.Draft202012Validator(compose_schema()).iter_errors(broken))
    assert len(errors) >= 2


@pytest.mark.unit
def test_every_application_service_runs_the_one_image() -> None:
    services = compose()["services"]
    ours = [name for name in services if name not in INFRASTRUCTURE]
    assert set(APPLICATION) <= set(ours) and any(name.startswith("relay") for name in ours)
    for name in ours:
        build = services[name]["build"]
        assert (build["context"], build["dockerfile"]) == (".", DOCKERFILE), name
    assert (REPO / DOCKERFILE).is_file()
    assert {services[name]["image"] for name in ours} == {services["profiles"]["image"]}


@pytest.mark.unit
def test_every_service_keeps_an_idle_connection_as_long_as_the_local_stack_does() -> None:
    services = compose()["services"]
    for name in ("profiles", "opportunities", "matching", "events", "notifications"):
        assert services[name]["command"].startswith("uvicorn "), name
        assert services[name]["environment"]["UVICORN_TIMEOUT_KEEP_ALIVE"] == str(KEEP_ALIVE_SECONDS), name


def test_docker_compose_config_accepts_the_file() -> None:
    reason = docker_engine()
    if reason is not None:
        pytest.skip(f"docker compose config not run: {reason}")
    env = {"YG_OIDC_ISSUER": "https://idp.example.org", "YG_OIDC_JWKS_URL": "https://idp.example.org/jwks",
           "PATH": "/usr/bin:/bin:/usr/local/bin"}
    checked = subprocess.run(["docker", "compose", "-f", str(COMPOSE), "config", "--quiet"], cwd=REPO, env=env,
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr
