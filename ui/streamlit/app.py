"""Youth Guarantee front end: `streamlit run ui/streamlit/app.py`. The pages a person sees depend on their role."""

from __future__ import annotations

import logging
from typing import Literal

import streamlit as st

from services.common.auth import Role
from ui.streamlit import session
from ui.streamlit.config import startup_problems

log = logging.getLogger("ui")

ROLE_NAMES = {Role.ADVISER: "Adviser", Role.EMPLOYER: "Employer", Role.YOUNG_PERSON: "Young person"}


def pages_for(role: Role | None) -> dict[str, list[st.Page]]:
    """Exactly the pages of one role (a role never gets another role's pages)."""
    if role is Role.ADVISER:
        return {"Adviser": [
            st.Page("views/caseload.py", title="Caseload", icon=":material/groups:", default=True),
            st.Page("views/person.py", title="Person", icon=":material/person:"),
            st.Page("views/register.py", title="Register a young person", icon=":material/person_add:"),
            st.Page("views/opportunities.py", title="Opportunities", icon=":material/map:"),
            st.Page("views/dashboard.py", title="Guarantee dashboard", icon=":material/monitoring:"),
        ]}
    if role is Role.EMPLOYER:
        return {"Employer": [
            st.Page("views/my_opportunities.py", title="My opportunities", icon=":material/work:", default=True),
            st.Page("views/referrals.py", title="Referrals", icon=":material/inbox:"),
        ]}
    if role is Role.YOUNG_PERSON:
        return {"You": [
            st.Page("views/suggested.py", title="Suggested for me", icon=":material/star:", default=True),
            st.Page("views/browse.py", title="Browse", icon=":material/search:"),
            st.Page("views/my_profile.py", title="My profile", icon=":material/badge:"),
        ]}
    return {"": [st.Page("views/sign_in.py", title="Sign in", icon=":material/login:", default=True)]}


def _login_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file at all
        return False


def _identity_sign_in(config: session.UISettings) -> None:
    """Outside development: the OIDC identity from st.login becomes a platform sign-in."""
    if session.current() is not None or not getattr(st.user, "is_logged_in", False):
        return
    result = session.sign_in_from_identity(config, st.user.to_dict(), dict(st.user.tokens))
    if isinstance(result, str):
        st.error(result)
        if st.button("Sign out"):
            st.logout()
        st.stop()


def _sidebar(config: session.UISettings) -> None:
    user = session.current()
    if user is None:
        return
    with st.sidebar:
        st.markdown(f"Signed in as **{user.name}**  \n{ROLE_NAMES.get(user.role, str(user.role))}")
        if st.button("Sign out", key="sign_out", icon=":material/logout:"):
            session.sign_out()
            if not config.development_mode and getattr(st.user, "is_logged_in", False):
                st.logout()
            st.rerun()
        if config.development_mode:
            st.caption("Development mode: demo sign-in.")


def main() -> None:
    user = session.current()
    # Young people get a narrow, easy-to-read column; advisers and employers get room for tables.
    layout: Literal["centered", "wide"] = "centered" if user is None or user.role is Role.YOUNG_PERSON else "wide"
    st.set_page_config(page_title="Youth Guarantee", page_icon=":material/handshake:", layout=layout)
    config = session.settings()
    problems = startup_problems(config, login_configured=_login_configured())
    if problems:
        st.error("This app can't start until it is set up safely:\n\n" + "\n".join(f"- {p}" for p in problems))
        st.stop()
    if not config.development_mode:
        _identity_sign_in(config)
    user = session.current()
    page = st.navigation(pages_for(user.role if user else None))
    _sidebar(config)
    try:
        page.run()
    except Exception:  # noqa: BLE001 - a page bug shows a message, never a traceback
        log.exception("page %s failed", page.title)
        st.error("Sorry, something went wrong on this page. Please try again, or choose another page.", icon="⚠️")


main()
