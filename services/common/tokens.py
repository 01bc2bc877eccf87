"""Bearer tokens: who may hold which scopes, Ed25519 signing keys named by key id, the JWKS that publishes their
public halves, and the rules every service checks (issuer, audience, scope, a capped lifetime).

Keys: a development issuer (key owner `issuer`) signs people's tokens in development; in production people's tokens
come from the OIDC provider. Each service signs its own calls with its own key (owner = the service's name), so a
service's key names it: a token signed by it must be a service token with that service as subject, asking only for
scopes granted to that service here."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "EdDSA"
ISSUER = "youth-guarantee"
ISSUER_KEY = "issuer"
LEEWAY = dt.timedelta(seconds=30)
JWKS_FILE = "jwks.json"


class Role(StrEnum):
    ADVISER = "adviser"
    EMPLOYER = "employer"
    YOUNG_PERSON = "young_person"
    SERVICE = "service"


SERVICE_NAMES = ("profiles", "opportunities", "matching", "events", "notifications")
# The audiences a person's token is good for: the four services the UI calls on their behalf.
USER_AUDIENCE = SERVICE_NAMES


class Scope(StrEnum):
    PERSONAL_KEYS = "keys:personal"
    SPECIAL_KEYS = "keys:special"
    PROFILE_ELIGIBILITY = "profiles:eligibility"
    EMPLOYER_VIEW = "profiles:employer-view"
    ADVISER_CONTACT = "profiles:advisers"
    MATCHING_SEARCH = "matching:search"
    EVENTS_READ = "events:read"
    # A young person's email address and first name, to write to them (only with their consent to email contact,
    # which the notifications service keeps); an employer's contact email.
    CONTACT_DETAILS = "profiles:contact"
    EMPLOYER_CONTACT = "opportunities:employer-contact"
    # The list of guarantee clocks (GET /guarantee) only: not the audit log, not the figures.
    GUARANTEE_LIST = "events:guarantee-list"
    # Every open posting's candidate list and who is eligible for what (profile ids only): for the events service's
    # exposure audit, which joins them with the priority groups the matcher never holds.
    CANDIDATE_LISTS = "matching:candidate-lists"
    # An adviser's people whose activity lapsed to not known, by id and day (GET /activity/lapsed) only.
    LAPSED_LIST = "profiles:lapsed-list"


# What each service may do at another. Nothing reads whole profiles: opportunities gets eligibility facts and the
# consented employer view; only the events service opens special category data (for the figures per group).
SERVICE_SCOPES: Mapping[str, frozenset[Scope]] = {
    "profiles": frozenset(),
    "opportunities": frozenset(
        {Scope.PERSONAL_KEYS, Scope.PROFILE_ELIGIBILITY, Scope.EMPLOYER_VIEW, Scope.ADVISER_CONTACT,
         Scope.MATCHING_SEARCH}
    ),
    "matching": frozenset({Scope.PERSONAL_KEYS}),
    "events": frozenset({Scope.PERSONAL_KEYS, Scope.SPECIAL_KEYS, Scope.CANDIDATE_LISTS}),
    "notifications": frozenset(
        {Scope.PERSONAL_KEYS, Scope.CONTACT_DETAILS, Scope.ADVISER_CONTACT, Scope.EMPLOYER_CONTACT,
         Scope.GUARANTEE_LIST, Scope.MATCHING_SEARCH, Scope.LAPSED_LIST}
    ),
}


@dataclass(frozen=True)
class Principal:
    role: Role
    sub: str
    scopes: frozenset[str] = frozenset()

    def is_(self, *roles: Role) -> bool:
        return self.role in roles

    def may(self, scope: str) -> bool:
        return scope in self.scopes


class InvalidToken(Exception):
    pass


@dataclass(frozen=True)
class Lifetimes:
    """The longest a token may live, by who holds it."""

    user: dt.timedelta = dt.timedelta(hours=1)
    service: dt.timedelta = dt.timedelta(minutes=5)

    def of(self, role: Role) -> dt.timedelta:
        return self.service if role is Role.SERVICE else self.user


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(owner: str, public: Ed25519PublicKey) -> str:
    """`<owner>.<fingerprint>`: the owner says whose key it is, the fingerprint tells its generations apart."""
    return f"{owner}.{hashlib.sha256(_raw(public)).hexdigest()[:16]}"


def owner_of(kid: str) -> str:
    return kid.split(".", 1)[0]


def public_jwk(owner: str, public: Ed25519PublicKey) -> dict[str, str]:
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(_raw(public)), "kid": key_id(owner, public),
            "alg": ALGORITHM, "use": "sig"}


@dataclass(frozen=True)
class SigningKey:
    owner: str
    private: Ed25519PrivateKey

    @classmethod
    def generate(cls, owner: str) -> SigningKey:
        return cls(owner, Ed25519PrivateKey.generate())

    @classmethod
    def load(cls, path: Path, owner: str) -> SigningKey:
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(loaded, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 private key")
        return cls(owner, loaded)

    @property
    def kid(self) -> str:
        return key_id(self.owner, self.private.public_key())

    def pem(self) -> bytes:
        return self.private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def jwk(self) -> dict[str, str]:
        return public_jwk(self.owner, self.private.public_key())


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)


def ensure_keys(keys_dir: Path, owners: Iterable[str], *, rotate: Iterable[str] = ()) -> Path:
    """Development keys: a private key file per owner (made when missing, or anew for those in `rotate`) and the
    JWKS of their public keys. A rotated owner's previous public key stays in the JWKS until its next rotation, so
    tokens it signed stay valid until they expire. Returns the JWKS path."""
    keys_dir.mkdir(parents=True, exist_ok=True)
    jwks_path = keys_dir / JWKS_FILE
    previous = json.loads(jwks_path.read_text())["keys"] if jwks_path.exists() else []
    to_rotate = set(rotate)
    current: list[dict[str, str]] = []
    retired: list[dict[str, str]] = []
    for owner in dict.fromkeys(owners):
        path = keys_dir / f"{owner}.pem"
        if path.exists() and owner not in to_rotate:
            key = SigningKey.load(path, owner)
            retired += [jwk for jwk in previous if owner_of(jwk["kid"]) == owner and jwk["kid"] != key.kid]
        else:
            if path.exists():
                retired.append(SigningKey.load(path, owner).jwk())
            key = SigningKey.generate(owner)
            _write_private(path, key.pem())
        current.append(key.jwk())
    tmp = jwks_path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"keys": current + retired}, indent=2))
    tmp.replace(jwks_path)
    return jwks_path


@dataclass(frozen=True)
class TokenIssuer:
    """Signs tokens with one key; a lifetime asked for beyond the cap is cut to the cap."""

    key: SigningKey
    lifetimes: Lifetimes = Lifetimes()
    issuer: str = ISSUER

    def issue(
        self,
        *,
        role: Role | str,
        sub: str,
        audience: str | Sequence[str] = USER_AUDIENCE,
        scopes: Iterable[str] | None = None,
        ttl: dt.timedelta | None = None,
    ) -> str:
        role = Role(role)
        cap = self.lifetimes.of(role)
        granted = SERVICE_SCOPES.get(sub, frozenset()) if role is Role.SERVICE else frozenset()
        now = dt.datetime.now(dt.UTC)
        claims = {
            "iss": self.issuer, "sub": sub, "role": str(role),
            "aud": audience if isinstance(audience, str) else list(audience),
            "scope": " ".join(sorted(granted if scopes is None else scopes)),
            "iat": now, "exp": now + min(ttl or cap, cap),
        }
        return jwt.encode(claims, self.key.private, algorithm=ALGORITHM, headers={"kid": self.key.kid})


def service_token_source(signer: TokenIssuer, audience: str) -> Callable[[], str]:
    """Fresh short-lived tokens for a service calling another one under its own name and key."""
    return lambda: signer.issue(role=Role.SERVICE, sub=signer.key.owner, audience=audience)


class JwksFile:
    """Public keys from a JWKS file, read again when a token names a key id it does not hold (a rotation)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._keys: dict[str, Any] = {}
        self._mtime: float | None = None
        self._lock = threading.Lock()

    def _reload(self) -> None:
        try:
            mtime = self.path.stat().st_mtime
        except FileNotFoundError:
            return
        if mtime == self._mtime:
            return
        document = json.loads(self.path.read_text())
        self._keys = {jwk["kid"]: jwt.PyJWK(jwk).key for jwk in document.get("keys", []) if "kid" in jwk}
        self._mtime = mtime

    def key_for(self, kid: str) -> Any:
        with self._lock:
            if kid not in self._keys:
                self._reload()
            if kid not in self._keys:
                known = "" if self.path.exists() else f" (no JWKS at {self.path}: run `youth-guarantee keys`)"
                raise InvalidToken(f"unknown key id {kid!r}{known}")
            return self._keys[kid]


@dataclass(frozen=True)
class OidcProvider:
    """The identity provider whose tokens name people outside development: its issuer, its JWKS URL, the audience
    its tokens carry for this platform, and the claims that give a platform role and subject."""

    issuer: str
    jwks_url: str
    audience: str
    role_claim: str = "yg_role"
    subject_claim: str = "yg_sub"
    algorithms: tuple[str, ...] = ("RS256", "ES256", "EdDSA")
    client: jwt.PyJWKClient | None = field(default=None, compare=False)

    def key_for(self, token: str) -> Any:
        client = self.client or jwt.PyJWKClient(self.jwks_url, cache_keys=True, lifespan=300)
        try:
            return client.get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientError as exc:
            raise InvalidToken(f"no key of the identity provider for this token: {exc}") from exc


def _seconds(value: Any, name: str) -> float:
    if not isinstance(value, int | float):
        raise InvalidToken(f"claim {name!r} must be a number")
    return float(value)


class TokenVerifier:
    """Checks a bearer token for one service (its audience) and says who it names."""

    def __init__(
        self,
        *,
        audience: str,
        keys: JwksFile,
        lifetimes: Lifetimes = Lifetimes(),
        trust_development_issuer: bool = True,
        oidc: OidcProvider | None = None,
    ) -> None:
        self.audience = audience
        self.keys = keys
        self.lifetimes = lifetimes
        self.trust_development_issuer = trust_development_issuer
        self.oidc = oidc

    def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
            if self.oidc is not None and issuer == self.oidc.issuer:
                return self._from_provider(token, self.oidc)
            return self._from_platform(token, header)
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc

    def _decode(self, token: str, key: Any, *, algorithms: list[str], audience: str, issuer: str) -> dict[str, Any]:
        claims: dict[str, Any] = jwt.decode(
            token, key, algorithms=algorithms, audience=audience, issuer=issuer, leeway=LEEWAY,
            options={"require": ["exp", "iat", "sub", "iss", "aud"]},
        )
        return claims

    def _check_lifetime(self, claims: Mapping[str, Any], role: Role) -> None:
        issued, expires = _seconds(claims["iat"], "iat"), _seconds(claims["exp"], "exp")
        now = dt.datetime.now(dt.UTC).timestamp()
        if issued > now + LEEWAY.total_seconds():
            raise InvalidToken("the token is issued in the future")
        cap = self.lifetimes.of(role)
        if expires - issued > (cap + LEEWAY).total_seconds():
            raise InvalidToken(f"the token lives longer than a {role} token may ({int(cap.total_seconds())} s)")

    def _from_platform(self, token: str, header: Mapping[str, Any]) -> Principal:
        if header.get("alg") != ALGORITHM:
            raise InvalidToken(f"tokens here are signed with {ALGORITHM}, not {header.get('alg')!r}")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise InvalidToken("the token names no key id (kid)")
        owner = owner_of(kid)
        if owner == ISSUER_KEY and not self.trust_development_issuer:
            raise InvalidToken("the development issuer is not trusted outside development")
        claims = self._decode(token, self.keys.key_for(kid), algorithms=[ALGORITHM], audience=self.audience,
                              issuer=ISSUER)
        try:
            role = Role(str(claims.get("role")))
        except ValueError as exc:
            raise InvalidToken(f"unknown role {claims.get('role')!r}") from exc
        self._check_lifetime(claims, role)
        sub = str(claims["sub"])
        if owner != ISSUER_KEY and (role is not Role.SERVICE or sub != owner):
            raise InvalidToken(f"a key of {owner!r} signs only that service's own tokens")
        scopes = frozenset(str(claims.get("scope", "")).split())
        if role is Role.SERVICE:
            beyond = scopes - SERVICE_SCOPES.get(sub, frozenset())
            if beyond:
                raise InvalidToken(f"scope {', '.join(sorted(beyond))} is not granted to service {sub!r}")
        return Principal(role=role, sub=sub, scopes=scopes)

    def _from_provider(self, token: str, provider: OidcProvider) -> Principal:
        claims = self._decode(token, provider.key_for(token), algorithms=list(provider.algorithms),
                              audience=provider.audience, issuer=provider.issuer)
        try:
            role = Role(str(claims.get(provider.role_claim)))
        except ValueError as exc:
            raise InvalidToken(f"the identity has no platform role (claim {provider.role_claim!r})") from exc
        if role is Role.SERVICE:
            raise InvalidToken("services sign their own tokens; the identity provider names people")
        subject = claims.get(provider.subject_claim)
        if not subject:
            raise InvalidToken(f"the identity has no platform subject (claim {provider.subject_claim!r})")
        self._check_lifetime(claims, role)
        return Principal(role=role, sub=str(subject))
