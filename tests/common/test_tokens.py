"""The token rules every service checks: Ed25519 only, the key id names a key in the JWKS, the audience is the
service, the lifetime is capped by who holds the token, a service's key signs only that service's own tokens with
the scopes granted to it, rotation keeps the previous key valid, and outside development people's tokens come from
the OIDC provider (here a local JWKS) while the development issuer is not trusted."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from services.common.auth import require_roles
from services.common.settings import CommonSettings, InsecureConfiguration
from services.common.tokens import (
    ISSUER,
    ISSUER_KEY,
    SERVICE_NAMES,
    InvalidToken,
    JwksFile,
    Lifetimes,
    OidcProvider,
    Role,
    Scope,
    SigningKey,
    TokenIssuer,
    TokenVerifier,
    ensure_keys,
)

pytestmark = pytest.mark.unit
OWNERS = (ISSUER_KEY, *SERVICE_NAMES)


@pytest.fixture()
def keys_dir(tmp_path: Path) -> Path:
    ensure_keys(tmp_path, OWNERS)
    return tmp_path


def verifier(keys_dir: Path, audience: str = "profiles", **kwargs: Any) -> TokenVerifier:
    return TokenVerifier(audience=audience, keys=JwksFile(keys_dir / "jwks.json"), **kwargs)


def issuer(keys_dir: Path, owner: str = ISSUER_KEY) -> TokenIssuer:
    return TokenIssuer(SigningKey.load(keys_dir / f"{owner}.pem", owner))


def raw(keys_dir: Path, owner: str, claims: dict[str, Any], **headers: Any) -> str:
    """A token signed with a real key but with claims the issuer would never write."""
    key = SigningKey.load(keys_dir / f"{owner}.pem", owner)
    return jwt.encode(claims, key.private, algorithm="EdDSA", headers={"kid": key.kid, **headers})


def now() -> int:
    return int(dt.datetime.now(dt.UTC).timestamp())


def test_a_persons_token_names_them_for_every_service_and_lives_at_most_an_hour(keys_dir: Path) -> None:
    token = issuer(keys_dir).issue(role=Role.ADVISER, sub="adviser-1", ttl=dt.timedelta(days=1000))
    for service in SERVICE_NAMES:
        principal = verifier(keys_dir, service).verify(token)
        assert (principal.role, principal.sub, principal.scopes) == (Role.ADVISER, "adviser-1", frozenset())
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 3600  # a thousand days asked for, the cap given
    assert jwt.get_unverified_header(token)["alg"] == "EdDSA" and claims["iss"] == ISSUER


def test_service_tokens_carry_one_audience_and_the_scopes_granted_to_the_service(keys_dir: Path) -> None:
    token = issuer(keys_dir, "opportunities").issue(role=Role.SERVICE, sub="opportunities", audience="profiles")
    principal = verifier(keys_dir, "profiles").verify(token)
    assert principal.may(Scope.PROFILE_ELIGIBILITY) and not principal.may(Scope.SPECIAL_KEYS)
    with pytest.raises(InvalidToken, match="(?i)audience"):
        verifier(keys_dir, "matching").verify(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 300


@pytest.mark.parametrize(
    ("owner", "claims", "reason"),
    [
        ("issuer", {"role": "adviser", "sub": "a", "aud": "profiles", "iss": ISSUER, "iat": 0, "exp": 32503680000},
         "expired|lives longer"),
        ("issuer", {"role": "adviser", "sub": "a", "aud": "profiles", "iss": ISSUER, "iat": "NOW",
                    "exp": "NOW+7200"}, "lives longer"),
        ("issuer", {"role": "adviser", "sub": "a", "aud": "profiles", "iss": ISSUER, "exp": "NOW+60"}, "iat"),
        ("issuer", {"role": "adviser", "sub": "a", "iss": ISSUER, "iat": "NOW", "exp": "NOW+60"}, "aud"),
        ("issuer", {"role": "adviser", "sub": "a", "aud": "profiles", "iss": "elsewhere", "iat": "NOW",
                    "exp": "NOW+60"}, "issuer"),
        ("issuer", {"role": "admin", "sub": "a", "aud": "profiles", "iss": ISSUER, "iat": "NOW", "exp": "NOW+60"},
         "role"),
        ("issuer", {"role": "adviser", "sub": "a", "aud": "profiles", "iss": ISSUER, "iat": "NOW+3600",
                    "exp": "NOW+3660"}, "not yet valid|future"),
        ("matching", {"role": "service", "sub": "matching", "aud": "profiles", "iss": ISSUER, "iat": "NOW",
                      "exp": "NOW+60", "scope": "keys:special"}, "not granted"),
        ("matching", {"role": "service", "sub": "events", "aud": "profiles", "iss": ISSUER, "iat": "NOW",
                      "exp": "NOW+60", "scope": "keys:special"}, "signs only"),
        ("matching", {"role": "adviser", "sub": "matching", "aud": "profiles", "iss": ISSUER, "iat": "NOW",
                      "exp": "NOW+60"}, "signs only"),
        ("events", {"role": "service", "sub": "events", "aud": "profiles", "iss": ISSUER, "iat": "NOW",
                    "exp": "NOW+900", "scope": "keys:special"}, "lives longer"),
    ],
    ids=["year-3000", "two-hours", "no-iat", "no-audience", "other-issuer", "unknown-role", "issued-in-future",
         "scope-not-granted", "service-key-for-another-service", "service-key-for-a-person", "service-15-minutes"],
)
def test_tokens_breaking_a_rule_are_refused(keys_dir: Path, owner: str, claims: dict[str, Any], reason: str) -> None:
    def at(value: Any) -> Any:  # "NOW" or "NOW+seconds": relative to the time of the test
        if isinstance(value, str) and value.startswith("NOW"):
            return now() + int(value[3:] or 0)
        return value

    concrete = {name: at(value) for name, value in claims.items()}
    with pytest.raises(InvalidToken, match=reason):
        verifier(keys_dir).verify(raw(keys_dir, owner, concrete))


def test_other_algorithms_and_unknown_keys_are_refused(keys_dir: Path) -> None:
    claims = {"role": "adviser", "sub": "a", "aud": "profiles", "iss": ISSUER, "iat": now(), "exp": now() + 60}
    unsigned = jwt.encode(claims, None, algorithm="none")
    with pytest.raises(InvalidToken, match="EdDSA"):
        verifier(keys_dir).verify(unsigned)
    jwks = json.loads((keys_dir / "jwks.json").read_text())
    public_x = jwks["keys"][0]["x"]  # an HS256 token "signed" with the public key, the classic confusion
    confused = jwt.encode(claims, public_x, algorithm="HS256", headers={"kid": jwks["keys"][0]["kid"]})
    with pytest.raises(InvalidToken, match="EdDSA"):
        verifier(keys_dir).verify(confused)
    stranger = TokenIssuer(SigningKey.generate(ISSUER_KEY)).issue(role=Role.ADVISER, sub="a")
    with pytest.raises(InvalidToken, match="unknown key id"):
        verifier(keys_dir).verify(stranger)
    key = SigningKey.load(keys_dir / "issuer.pem", ISSUER_KEY)
    other = SigningKey.generate(ISSUER_KEY)
    wrong_key = jwt.encode(claims, other.private, algorithm="EdDSA", headers={"kid": key.kid})
    with pytest.raises(InvalidToken, match="[Ss]ignature"):
        verifier(keys_dir).verify(wrong_key)


def test_rotation_keeps_the_previous_key_until_the_next_rotation(keys_dir: Path) -> None:
    check = verifier(keys_dir)
    before = issuer(keys_dir).issue(role=Role.ADVISER, sub="a")
    assert check.verify(before).sub == "a"
    ensure_keys(keys_dir, OWNERS, rotate=[ISSUER_KEY])
    after = issuer(keys_dir).issue(role=Role.ADVISER, sub="b")
    assert jwt.get_unverified_header(after)["kid"] != jwt.get_unverified_header(before)["kid"]
    assert check.verify(after).sub == "b" and check.verify(before).sub == "a"  # the file read again for the new kid
    ensure_keys(keys_dir, OWNERS)  # a restart keeps both
    assert verifier(keys_dir).verify(before).sub == "a"
    ensure_keys(keys_dir, OWNERS, rotate=[ISSUER_KEY])
    with pytest.raises(InvalidToken, match="unknown key id"):
        verifier(keys_dir).verify(before)
    assert len(json.loads((keys_dir / "jwks.json").read_text())["keys"]) == len(OWNERS) + 1
    assert oct((keys_dir / "issuer.pem").stat().st_mode & 0o777) == "0o600"


class LocalJwks(jwt.PyJWKClient):
    """The provider's JWKS without a network: the keys a test provider publishes."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        super().__init__("https://idp.example.org/jwks")
        self.jwks = jwks

    def fetch_data(self) -> Any:
        return self.jwks


def test_outside_development_people_come_from_the_oidc_provider(keys_dir: Path) -> None:
    provider_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(provider_key.public_key()))
    provider = OidcProvider(issuer="https://idp.example.org", jwks_url="https://idp.example.org/jwks",
                            audience="youth-guarantee", client=LocalJwks({"keys": [{**jwk, "kid": "idp-1"}]}))
    production = verifier(keys_dir, trust_development_issuer=False, oidc=provider)

    def provider_token(**claims: Any) -> str:
        base = {"iss": "https://idp.example.org", "aud": "youth-guarantee", "sub": "oidc|42", "iat": now(),
                "exp": now() + 600, "yg_role": "employer", "yg_sub": "e-1"}
        return jwt.encode({**base, **claims}, provider_key, algorithm="RS256", headers={"kid": "idp-1"})

    principal = production.verify(provider_token())
    assert (principal.role, principal.sub) == (Role.EMPLOYER, "e-1")
    with pytest.raises(InvalidToken, match="(?i)audience"):
        production.verify(provider_token(aud="another-app"))
    with pytest.raises(InvalidToken, match="no platform role"):
        production.verify(provider_token(yg_role=None))
    with pytest.raises(InvalidToken, match="services sign their own"):
        production.verify(provider_token(yg_role="service"))
    with pytest.raises(InvalidToken, match="lives longer"):
        production.verify(provider_token(exp=now() + 86400))
    with pytest.raises(InvalidToken, match="development issuer"):
        production.verify(issuer(keys_dir).issue(role=Role.ADVISER, sub="a"))
    service = issuer(keys_dir, "events").issue(role=Role.SERVICE, sub="events", audience="profiles")
    assert production.verify(service).may(Scope.SPECIAL_KEYS)  # services still sign their own calls


def test_settings_cap_lifetimes_and_refuse_production_without_a_provider(keys_dir: Path) -> None:
    settings = CommonSettings(keys_dir=keys_dir, token_max_user_minutes=15)
    assert settings.lifetimes() == Lifetimes(user=dt.timedelta(minutes=15), service=dt.timedelta(minutes=5))
    token = settings.development_issuer().issue(role=Role.YOUNG_PERSON, sub="p", ttl=dt.timedelta(hours=1))
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 900
    with pytest.raises(InsecureConfiguration, match="YG_OIDC_ISSUER"):
        CommonSettings(environment="production", keys_dir=keys_dir).token_verifier("profiles")
    with pytest.raises(InsecureConfiguration, match="development"):
        CommonSettings(environment="production", keys_dir=keys_dir).development_issuer()
    with pytest.raises(InsecureConfiguration, match="no signing key"):
        CommonSettings(keys_dir=keys_dir / "empty").service_signer("matching")


def test_services_are_admitted_by_scope_only(keys_dir: Path) -> None:
    with pytest.raises(ValueError, match="by scope"):
        require_roles(Role.ADVISER, Role.SERVICE)
    app = FastAPI()
    app.state.token_verifier = verifier(keys_dir, "profiles")
    guard = require_roles(Role.ADVISER, service_scope=Scope.SPECIAL_KEYS)

    @app.get("/guarded")
    def guarded(principal: Any = Depends(guard)) -> dict[str, str]:
        return {"sub": principal.sub}

    client = TestClient(app)

    def status(owner: str, role: Role, sub: str) -> int:
        token = issuer(keys_dir, owner).issue(role=role, sub=sub, audience="profiles")
        return client.get("/guarded", headers={"Authorization": f"Bearer {token}"}).status_code

    assert status("events", Role.SERVICE, "events") == 200
    assert status("matching", Role.SERVICE, "matching") == 403
    assert status(ISSUER_KEY, Role.SERVICE, "cli") == 403  # a name with no grants gets no scopes
    assert status(ISSUER_KEY, Role.ADVISER, "adviser-1") == 200
    assert status(ISSUER_KEY, Role.EMPLOYER, "e") == 403
    assert client.get("/guarded").status_code == 401
