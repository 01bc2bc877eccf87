"""The sign-in kept across a reload: the token the services issued is kept in a browser cookie until it expires
(SameSite=Strict, never in a URL). After a reload the new Streamlit session reads it back, and the services decide
whether it is still good: the UI holds no key to sign or check tokens with, it only reads who the token names."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
import streamlit as st

from services.common.auth import Role
from ui.streamlit import labels, session
from ui.streamlit.client import ServiceError
from ui.streamlit.config import UISettings

COOKIE = "yg_session"
_WRITTEN = "_cookie_written"  # the token this browser session's cookie was last set to
_DELETED = "_cookie_deleted"


def _claims(token: str) -> dict[str, Any] | None:
    """Who an unexpired token names (unverified: every call made with it is verified by the service it reaches)."""
    try:
        claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    if not isinstance(claims.get("exp"), int | float) or claims["exp"] <= time.time():
        return None
    return claims


def _name(config: UISettings, role: Role, sub: str, token: str) -> str:
    """The name shown for who signed in, asked of the services with the token itself (a refused token raises)."""
    client = session.api_with(config, token)
    if role is Role.EMPLOYER:
        return str(client.employer(sub)["name"])
    if role is Role.YOUNG_PERSON:
        return labels.full_name(client.profile(sub))
    client.profiles(limit=1)
    record = client.adviser(sub)
    return str(record["name"]) if record else f"Adviser {sub}"


def restore(config: UISettings) -> None:
    """Sign in again from the cookie after a reload, unless this session signed out."""
    if session.current() is not None or session.signed_out_here():
        return
    token = st.context.cookies.get(COOKIE)
    claims = _claims(token) if token else None
    if token is None or claims is None:
        return
    try:
        role = Role(str(claims.get("role")))
    except ValueError:
        return
    sub = str(claims.get("sub") or "")
    if role is Role.SERVICE or not sub:
        return
    try:
        name = _name(config, role, sub, token)
    except ServiceError as err:
        if err.signed_out or err.status in (403, 404):
            session.sign_out()  # the cookie is no good: forget it (keep() then deletes it)
            return
        name = sub  # a service is down: the pages say so themselves
    session.restore(session.SignedIn(role, sub, name, token))
    st.session_state[_WRITTEN] = token


def keep() -> None:
    """Set the cookie to the signed-in token (once per token), or delete it after signing out."""
    user = session.current()
    if user is not None:
        claims = _claims(user.token)
        if st.session_state.get(_WRITTEN) == user.token or claims is None:
            return
        max_age = max(0, int(claims["exp"] - time.time()))
        _script(f"{COOKIE}=' + encodeURIComponent({json.dumps(user.token)}) + '; Max-Age={max_age}")
        st.session_state[_WRITTEN] = user.token
    elif session.signed_out_here() and not st.session_state.get(_DELETED):
        _script(f"{COOKIE}=; Max-Age=0")
        st.session_state[_DELETED] = True


def _script(cookie: str) -> None:
    secure = "' + (location.protocol === 'https:' ? '; Secure' : '') + '"
    st.html(f"<script>document.cookie = '{cookie}; Path=/; SameSite=Strict{secure}';</script>",
            unsafe_allow_javascript=True)
