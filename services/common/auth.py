"""Bearer JWT auth shared by all services: HS256 tokens carrying `role` and `sub`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.common.settings import CommonSettings

ALGORITHM = "HS256"
ISSUER = "youth-guarantee"


class Role(StrEnum):
    ADVISER = "adviser"
    EMPLOYER = "employer"
    YOUNG_PERSON = "young_person"
    SERVICE = "service"


@dataclass(frozen=True)
class Principal:
    role: Role
    sub: str

    def is_(self, *roles: Role) -> bool:
        return self.role in roles


def issue_token(secret: str, *, role: Role | str, sub: str, ttl: dt.timedelta = dt.timedelta(hours=12)) -> str:
    """Sign a token for a role and subject."""
    now = dt.datetime.now(dt.UTC)
    claims = {"role": str(Role(role)), "sub": sub, "iss": ISSUER, "iat": now, "exp": now + ttl}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def service_token_source(secret: str, name: str, ttl: dt.timedelta = dt.timedelta(minutes=5)) -> Callable[[], str]:
    """Fresh short-lived tokens for a service calling another one under its own name."""
    return lambda: issue_token(secret, role=Role.SERVICE, sub=name, ttl=ttl)


class InvalidToken(Exception):
    pass


def decode_token(secret: str, token: str) -> Principal:
    """Verify a token and return who it names."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], issuer=ISSUER, options={"require": ["exp", "sub", "iss"]}
        )
        return Principal(role=Role(claims["role"]), sub=str(claims["sub"]))
    except (jwt.PyJWTError, KeyError, ValueError) as exc:
        raise InvalidToken(str(exc)) from exc


_bearer = HTTPBearer(auto_error=False)


def current_principal(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> Principal:
    settings: CommonSettings = request.app.state.settings
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        return decode_token(settings.signing_secret(), credentials.credentials)
    except InvalidToken as exc:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, f"invalid token: {exc}", headers={"WWW-Authenticate": "Bearer"}
        ) from exc


def require_roles(*roles: Role) -> Callable[..., Principal]:
    """A dependency that admits only the given roles (403 for any other valid token)."""

    def dependency(principal: Principal = Depends(current_principal)) -> Principal:
        if principal.role not in roles:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"role '{principal.role}' may not do this; allowed: {', '.join(sorted(roles))}",
            )
        return principal

    return dependency
