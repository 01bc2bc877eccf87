"""Pieces of the young person's pages: their adviser, "I'm interested", and their applications."""

from __future__ import annotations

from typing import Any

import streamlit as st

from services.common.auth import Role
from ui.streamlit import labels, session
from ui.streamlit.client import Api
from ui.streamlit.markdown import plain
from ui.streamlit.widgets import SUCCESS_ICON, adviser_contact, feedback_label

REFERRAL_COLOURS = {"offered": "green", "accepted": "green", "unsuccessful": "red", "interviewing": "violet",
                    "declined": "gray", "withdrawn": "gray"}


def your_adviser(client: Api, adviser_id: str | None) -> None:
    """Who the person's adviser is and how to reach them."""
    adviser_contact(client, adviser_id, whose="Your",
                    unknown="not given yet. The Youth Employment hub will put you in touch." if not adviser_id
                    else "the Youth Employment hub will put you in touch.")


def interested_in(client: Api, profile_id: str) -> set[str]:
    """Opportunity ids this person has already said they're interested in."""
    page = session.attempt(lambda: client.interests(profile_id=profile_id, limit=100))
    return {item["opportunity_id"] for item in page["items"]} if page else set()


def interest_button(client: Api, opportunity: dict[str, Any], already: set[str], *, key: str) -> None:
    oid = opportunity["id"]
    if oid in already:
        st.badge("You said you're interested. Your adviser knows.", icon=":material/check:", color="green")
        return
    if st.button("I'm interested", key=f"{key}_{oid}", type="primary", icon=":material/thumb_up:",
                 help="Tells your adviser, who can put you forward for it"):
        done = session.attempt(lambda: client.express_interest(oid), spinner="Telling your adviser...")
        if done is not None:
            already.add(oid)
            st.success("Great! We've told your adviser. They'll be in touch about it.", icon=SUCCESS_ICON)


def my_applications(client: Api) -> None:
    page = session.attempt(lambda: client.referrals(limit=50))
    if not page or not page["items"]:
        st.caption("Nothing yet. When your adviser puts you forward for something, you'll see it here.")
        return
    for referral in page["items"]:
        words = labels.REFERRAL_STATUS_FOR_YOU.get(referral["status"], referral["status"])
        with st.container(border=True):
            st.markdown(f"**{plain(referral['opportunity_title'])}**")
            st.badge(words, color=REFERRAL_COLOURS.get(referral["status"], "blue"))  # type: ignore[arg-type]
            if referral.get("feedback"):
                st.caption(f"{feedback_label(referral, reader=Role.YOUNG_PERSON)}: {plain(referral['feedback'])}")
            st.page_link("views/referral.py", query_params={"referral": referral["id"]}, label="Open",
                         icon=":material/open_in_new:")
