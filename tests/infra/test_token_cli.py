"""The development issuer on the command line: `keys` makes the keys (private files only for their owner) and the
JWKS, `keys --rotate` keeps the previous public key, and `token` prints a token the services accept, capped to the
lifetime of its holder; outside development it signs nothing."""

from __future__ import annotations

import json
from pathlib import Path

import jwt
import pytest
from typer.testing import CliRunner

from infra.cli import app
from services.common.tokens import SERVICE_NAMES, InvalidToken, JwksFile, Role, Scope, TokenVerifier

pytestmark = pytest.mark.unit


@pytest.fixture()
def keys_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("YG_KEYS_DIR", str(tmp_path))
    monkeypatch.setenv("YG_ENV", "development")
    return tmp_path


def test_keys_and_token_make_a_token_every_service_accepts(keys_dir: Path) -> None:
    runner = CliRunner()
    made = runner.invoke(app, ["keys"])
    assert made.exit_code == 0, made.output
    assert sorted(p.name for p in keys_dir.glob("*.pem")) == sorted(f"{o}.pem" for o in ("issuer", *SERVICE_NAMES))
    assert all(p.stat().st_mode & 0o077 == 0 for p in keys_dir.glob("*.pem"))
    printed = runner.invoke(app, ["token", "--role", "adviser"])
    assert printed.exit_code == 0, printed.output
    token = printed.stdout.strip()
    for service in SERVICE_NAMES:
        verifier = TokenVerifier(audience=service, keys=JwksFile(keys_dir / "jwks.json"))
        assert verifier.verify(token).role is Role.ADVISER
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 3600 and claims["sub"] == "adviser-1"

    service = runner.invoke(app, ["token", "--role", "service", "--subject", "events", "--audience", "profiles"])
    principal = TokenVerifier(audience="profiles", keys=JwksFile(keys_dir / "jwks.json")).verify(service.stdout.strip())
    assert principal.may(Scope.SPECIAL_KEYS)
    with pytest.raises(InvalidToken, match="(?i)audience"):
        TokenVerifier(audience="matching", keys=JwksFile(keys_dir / "jwks.json")).verify(service.stdout.strip())

    rotated = runner.invoke(app, ["keys", "--rotate", "issuer"])
    assert rotated.exit_code == 0, rotated.output
    kids = [key["kid"] for key in json.loads((keys_dir / "jwks.json").read_text())["keys"]]
    assert len(kids) == len(SERVICE_NAMES) + 2 and sum(kid.startswith("issuer.") for kid in kids) == 2
    assert TokenVerifier(audience="events", keys=JwksFile(keys_dir / "jwks.json")).verify(token).sub == "adviser-1"
    assert runner.invoke(app, ["keys", "--rotate", "ui"]).exit_code == 2


def test_outside_development_the_cli_signs_nothing(keys_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YG_ENV", "production")
    refused = CliRunner().invoke(app, ["token", "--role", "adviser"])
    assert refused.exit_code == 2 and "development" in refused.output
