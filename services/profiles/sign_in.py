"""The public keys every service checks tokens against (JWKS), and in development the demo sign-in: the
development issuer answers a chosen demo person's token, so the UI never holds a signing key."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, StringConstraints

from services.common.tokens import ISSUER_KEY, Role, owner_of
from services.profiles.dependencies import SettingsDep

jwks_router = APIRouter(tags=["sign-in"])
development_router = APIRouter(tags=["sign-in"])


@jwks_router.get("/.well-known/jwks.json")
def jwks(settings: SettingsDep, response: Response) -> dict[str, Any]:
    """The public keys (by key id) tokens are signed with; outside development without the development issuer's."""
    path = settings.resolved_jwks_file()
    keys = json.loads(path.read_text())["keys"] if path.exists() else []
    if not settings.development_mode:
        keys = [key for key in keys if owner_of(key["kid"]) != ISSUER_KEY]
    response.headers["Cache-Control"] = "max-age=300"
    return {"keys": [{name: key[name] for name in ("kty", "crv", "x", "kid", "alg", "use") if name in key}
                     for key in keys]}


class DemoSignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["adviser", "employer", "young_person"]
    sub: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, strict=True)]


class TokenAnswer(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


@development_router.post("/dev/tokens", response_model=TokenAnswer)
def demo_token(body: DemoSignIn, settings: SettingsDep, response: Response) -> TokenAnswer:
    """Development only (the route does not exist otherwise): a person's token from the development issuer, for
    the demo sign-in. Services sign their own tokens; this answers people's roles only."""
    response.headers["Cache-Control"] = "no-store"
    issuer = settings.development_issuer()
    return TokenAnswer(access_token=issuer.issue(role=Role(body.role), sub=body.sub),
                       expires_in=int(settings.lifetimes().user.total_seconds()))
