"""Who is signed in (kept only in st.session_state), their token, and the calls made on their behalf.
Caches here hold nothing personal: the HTTP connection pool and public opportunity listings, keyed without tokens."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import streamlit as st

from services.common.auth import Role
from ui.streamlit.client import Api, ServiceError
from ui.streamlit.config import UISettings

T = TypeVar("T")
SESSION_KEY = "signed_in"
SIGNED_OUT_KEY = "_signed_out"
PUBLIC_TTL_SECONDS = 20


@dataclass(frozen=True)
class SignedIn:
    role: Role
    sub: str
    name: str
    token: str


@dataclass(frozen=True)
class DemoUser:
    role: Role
    sub: str
    name: str
    detail: str = ""


def settings() -> UISettings:
    return UISettings()


@st.cache_resource(show_spinner=False)
def _http() -> httpx.Client:
    """One connection pool for the process; it carries no token (each request sends its own header)."""
    return httpx.Client(limits=httpx.Limits(max_connections=20, max_keepalive_connections=10))


def mint(config: UISettings, role: Role, sub: str) -> str:
    """Development only: the development issuer's token for a demo person (the UI holds no signing key)."""
    return Api(config, _http()).demo_token(str(role), sub)


def current() -> SignedIn | None:
    value = st.session_state.get(SESSION_KEY)
    return value if isinstance(value, SignedIn) else None


def sign_in(config: UISettings, user: DemoUser) -> None:
    st.session_state[SESSION_KEY] = SignedIn(user.role, user.sub, user.name, mint(config, user.role, user.sub))


def sign_in_from_identity(config: UISettings, claims: dict[str, Any], tokens: dict[str, str]) -> SignedIn | str:
    """Map an OIDC identity (st.user) to a platform role and subject, calling the services with the provider's
    access token (st.user.tokens); a message when it has none."""
    role_value, subject = claims.get(config.role_claim), claims.get(config.subject_claim)
    try:
        role = Role(str(role_value))
    except ValueError:
        return "Your account has no role on this platform yet. Ask the Youth Employment hub to set it up."
    if role is Role.SERVICE or not subject:
        return "Your account has no role on this platform yet. Ask the Youth Employment hub to set it up."
    name = str(claims.get("name") or claims.get("email") or subject)
    access = tokens.get("access")
    if not access:
        return "Sign-in gave no access token: add expose_tokens = [\"access\"] to the [auth] settings."
    signed = SignedIn(role, str(subject), name, access)
    st.session_state[SESSION_KEY] = signed
    return signed


def restore(user: SignedIn) -> None:
    """Signed in again with a token the services gave earlier (kept across a reload)."""
    st.session_state[SESSION_KEY] = user


def sign_out() -> None:
    """Forget the person: their token and everything their pages kept in the session."""
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.session_state[SIGNED_OUT_KEY] = True


def signed_out_here() -> bool:
    """Whether this browser session signed out (a token kept from before must not sign it in again)."""
    return bool(st.session_state.get(SIGNED_OUT_KEY))


def api(config: UISettings | None = None) -> Api:
    """Calls as the signed-in person (anonymous when nobody is)."""
    user = current()
    return Api(config or settings(), _http(), user.token if user else None)


def api_with(config: UISettings, token: str) -> Api:
    """Calls with a given token (to check one kept from before signing it in again)."""
    return Api(config, _http(), token)


def demo_api(config: UISettings) -> Api:
    """Development only: an adviser's token to list the demo people offered on the sign-in page."""
    if not config.development_mode:
        raise RuntimeError("demo sign-in exists only in development mode")
    return Api(config, _http(), mint(config, Role.ADVISER, "demo-sign-in"))


def attempt(action: Callable[[], T], *, spinner: str | None = None) -> T | None:
    """Run a service call; on failure show its friendly message (never a traceback) and return None."""
    try:
        if spinner:
            with st.spinner(spinner):
                return action()
        return action()
    except ServiceError as err:
        show_error(err)
        return None


def show_error(err: ServiceError) -> None:
    if err.signed_out:
        sign_out()
    st.error(err.message, icon="⚠️")


# Public listings: the same for everyone, so they may be cached (keyed by the query, never by a token).

@st.cache_data(ttl=PUBLIC_TTL_SECONDS, show_spinner=False)
def browse_public(opportunities_url: str, params: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    config = UISettings(opportunities_url=opportunities_url)
    result: dict[str, Any] = Api(config, _http()).browse(**dict(params))
    return result


@st.cache_data(ttl=PUBLIC_TTL_SECONDS, show_spinner=False)
def map_public(opportunities_url: str, params: tuple[tuple[str, Any], ...], cap: int = 400) -> list[dict[str, Any]]:
    """Up to `cap` live opportunities for the map, fetched page by page."""
    config = UISettings(opportunities_url=opportunities_url)
    client = Api(config, _http())
    items: list[dict[str, Any]] = []
    while len(items) < cap:
        page = client.browse(**dict(params), limit=100, offset=len(items))
        items.extend(page["items"])
        if len(items) >= page["total"] or not page["items"]:
            break
    return items


@st.cache_data(ttl=60, show_spinner=False)
def opportunity_public(opportunities_url: str, opportunity_id: str) -> dict[str, Any] | None:
    """A published opportunity (None if it is gone)."""
    config = UISettings(opportunities_url=opportunities_url)
    try:
        result: dict[str, Any] = Api(config, _http()).opportunity(opportunity_id)
        return result
    except ServiceError as err:
        if err.status == 404:
            return None
        raise


def clear_public_caches() -> None:
    browse_public.clear()
    map_public.clear()
    opportunity_public.clear()


def jitter(identifier: str, metres: float = 350.0) -> tuple[float, float]:
    """A small fixed offset per id, so pins in the same postcode district don't sit on top of each other."""
    digest = hashlib.sha256(identifier.encode()).digest()
    dx, dy = (digest[0] / 255 - 0.5) * 2, (digest[1] / 255 - 0.5) * 2
    return dy * metres / 111_000, dx * metres / 68_000
