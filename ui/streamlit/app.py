"""Youth Guarantee front end: `streamlit run ui/streamlit/app.py`. The pages a person sees depend on their role."""

from __future__ import annotations

import logging
from functools import partial
from typing import Literal

import streamlit as st

from services.common.auth import Role
from ui.streamlit import remembered, session
from ui.streamlit.config import startup_problems
from ui.streamlit.markdown import plain

log = logging.getLogger("ui")

ROLE_NAMES = {Role.ADVISER: "Adviser", Role.EMPLOYER: "Employer", Role.YOUNG_PERSON: "Young person"}


# Pages opened from their own address, e.g. /person?person=<id>: bookmarked, or sent to a colleague.
ADDRESSED = ("person", "opportunity", "referral")


def _addressed(own: set[str], stand_in: str, title: str) -> list[st.Page]:
    """Hidden stand-ins at the addresses a role has no page for: they say "not found or not allowed" (signed in)
    or offer sign-in (signed out; after signing in, the address opens the page it names)."""
    return [st.Page(stand_in, title=title, url_path=path, visibility="hidden") for path in ADDRESSED
            if path not in own]


def pages_for(role: Role | None) -> dict[str, list[st.Page]]:
    """Exactly the pages of one role (a role never gets another role's pages)."""
    opportunity = st.Page("views/opportunity.py", title="Opportunity", icon=":material/work:", visibility="hidden")
    referral = st.Page("views/referral.py", title="Referral", icon=":material/send:", visibility="hidden")
    refused = partial(_addressed, stand_in="views/not_allowed.py", title="Not available")
    email = st.Page("views/email.py", title="Email and alerts", icon=":material/mail:")
    # Public: how suggestions are made, for everyone signed in or not.
    transparency = st.Page("views/transparency.py", title="How suggestions are made", icon=":material/policy:",
                           url_path="how-suggestions-are-made")
    if role is Role.ADVISER:
        return {"Adviser": [
            st.Page("views/caseload.py", title="Caseload", icon=":material/groups:", default=True),
            st.Page("views/person.py", title="Person", icon=":material/person:"),
            st.Page("views/register.py", title="Register a young person", icon=":material/person_add:"),
            st.Page("views/activity.py", title="Activity and tracing", icon=":material/fact_check:"),
            st.Page("views/opportunities.py", title="Opportunities", icon=":material/map:"),
            st.Page("views/dashboard.py", title="Guarantee dashboard", icon=":material/monitoring:"),
            st.Page("views/returns.py", title="Returns and indicators", icon=":material/summarize:"),
            email, transparency, opportunity, referral,
        ]}
    if role is Role.EMPLOYER:
        return {"Employer": [
            st.Page("views/my_opportunities.py", title="My opportunities", icon=":material/work:", default=True),
            st.Page("views/referrals.py", title="Referrals", icon=":material/inbox:"),
            email, transparency, opportunity, referral, *refused({"opportunity", "referral"}),
        ]}
    if role is Role.YOUNG_PERSON:
        return {"You": [
            st.Page("views/suggested.py", title="Suggested for me", icon=":material/star:", default=True),
            st.Page("views/browse.py", title="Browse", icon=":material/search:"),
            st.Page("views/my_profile.py", title="My profile", icon=":material/badge:"),
            email, transparency, opportunity, referral, *refused({"opportunity", "referral"}),
        ]}
    return {"": [st.Page("views/sign_in.py", title="Sign in", icon=":material/login:", default=True), transparency,
                 *_addressed(set(), "views/sign_in.py", "Sign in")]}


# At phone width the page menu folds away behind an arrow icon: say in words what it opens.
MENU_LABEL = """<style>
[data-testid="stExpandSidebarButton"] { width: auto; padding: 0 0.5rem; gap: 0.25rem; }
[data-testid="stExpandSidebarButton"]::after { content: "Menu"; font-size: 1rem; font-weight: 600; }
</style>"""


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
        st.markdown(f"Signed in as **{plain(user.name)}**  \n{ROLE_NAMES.get(user.role, str(user.role))}")
        if st.button("Sign out", key="sign_out", icon=":material/logout:"):
            session.sign_out()
            if not config.development_mode and getattr(st.user, "is_logged_in", False):
                st.logout()
            st.rerun()
        if config.development_mode:
            st.caption("Development mode: demo sign-in.")


def main() -> None:
    config = session.settings()
    remembered.restore(config)
    user = session.current()
    # Young people get a narrow, easy-to-read column; advisers and employers get room for tables.
    layout: Literal["centered", "wide"] = "centered" if user is None or user.role is Role.YOUNG_PERSON else "wide"
    st.set_page_config(page_title="Youth Guarantee", page_icon=":material/handshake:", layout=layout)
    problems = startup_problems(config, login_configured=_login_configured())
    if problems:
        st.error("This app can't start until it is set up safely:\n\n" + "\n".join(f"- {p}" for p in problems))
        st.stop()
    if not config.development_mode:
        _identity_sign_in(config)
    user = session.current()
    pages = pages_for(user.role if user else None)
    if config.development_mode:
        pages["Development"] = [st.Page("views/dev_inbox.py", title="Development inbox", icon=":material/mail:",
                                        url_path="dev_inbox")]
    page = st.navigation(pages)
    remembered.keep()
    st.html(MENU_LABEL)
    _sidebar(config)
    try:
        page.run()
    except Exception:  # noqa: BLE001 - a page bug shows a message, never a traceback
        log.exception("page %s failed", page.title)
        st.error("Sorry, something went wrong on this page. Please try again, or choose another page.", icon="⚠️")


main()
