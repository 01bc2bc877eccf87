"""Employer: the young people referred to my opportunities (only what their consent allows), and status updates."""

from __future__ import annotations

import streamlit as st

from services.common.auth import Role
from services.messaging import vocabulary
from ui.streamlit import labels, session
from ui.streamlit.client import ServiceError
from ui.streamlit.markdown import plain
from ui.streamlit.widgets import (
    FieldMessages,
    addressed_id,
    feedback_label,
    flash,
    not_found,
    require,
    show_flash,
    status_badge,
)

require(Role.EMPLOYER)
client = session.api()
st.title("Referrals")
show_flash()
st.caption("Young people the Youth Employment hub referred to you. You see their name and skills only if they "
           "agreed to share them.")

page = session.attempt(lambda: client.referrals(limit=100), spinner="Loading referrals...")
if page is None:
    st.stop()
referrals = page["items"]
if not referrals:
    st.info("Nobody has been referred to you yet.")
    st.stop()

titles = sorted({r["opportunity_title"] for r in referrals})
left, right = st.columns(2)
chosen_title = left.selectbox("Opportunity", options=["", *titles], key="ref_title",
                              format_func=lambda t: t or "All opportunities")
open_only = right.checkbox("Only those still in progress", key="ref_open")
shown = [r for r in referrals
         if (not chosen_title or r["opportunity_title"] == chosen_title)
         and (not open_only or r["status"] in vocabulary.OPEN_REFERRAL_STATUSES)]
addressed = addressed_id("referral")
if addressed is not None:  # /referrals?referral=<id>: that one referral, if the service says it is this employer's
    try:
        shown = [client.referral(addressed)] if addressed else []
    except ServiceError as err:
        if err.status not in (403, 404):
            session.show_error(err)
            st.stop()
        shown = []
    if not shown:
        not_found("referral")
st.caption(f"{len(shown)} of {len(referrals)} referrals.")

for referral in shown:
    rid = referral["id"]
    candidate = referral.get("candidate") or {}
    consented = bool(candidate.get("consent_share_with_employers"))
    name = labels.full_name(candidate) if consented else "Name not shared"
    words, colour = labels.REFERRAL_STATUS.get(referral["status"], (referral["status"], "gray"))
    with st.container(border=True):
        st.markdown(f"**{plain(name)}** — {plain(referral['opportunity_title'])}")
        status_badge(words, colour)
        if consented:
            quals = ", ".join(labels.qualification_label(q) for q in candidate.get("qualifications", []))
            st.markdown(f"**Skills** {plain(', '.join(candidate.get('skills', [])) or 'none listed')}  \n"
                        f"**Interests** {plain(', '.join(candidate.get('interests', [])) or 'none listed')}  \n"
                        f"**Qualifications** {plain(quals or 'none listed')}")
            if referral.get("note"):
                st.caption(f"Adviser's note: {plain(referral['note'])}")
        else:
            st.caption("This young person hasn't agreed to share their details. Their adviser can tell you more "
                       "with their permission.")
        adviser = referral.get("adviser")
        if adviser:
            st.markdown(f"**Referred by** {plain(adviser['name'] + ', ' + adviser['team'])}  \n"
                        f"Email {plain(adviser['email'])} · phone {plain(adviser['phone'])}")
        else:
            st.markdown("**Referred by** the Youth Employment hub")
        st.caption(f"Referred {labels.day(referral['created_at'])} · last change {labels.day(referral['updated_at'])}")
        st.page_link("views/referral.py", query_params={"referral": rid}, label="Open this referral",
                     icon=":material/open_in_new:")
        if referral.get("feedback"):
            st.caption(f"{feedback_label(referral, reader=Role.EMPLOYER)}: {plain(referral['feedback'])}")
        next_steps = vocabulary.next_referral_statuses(referral["status"], by_adviser=False)
        if not next_steps:
            continue
        messages = FieldMessages()
        with st.form(f"move_{rid}", border=False):
            new_status = st.selectbox("Move to", options=list(next_steps), key=f"move_status_{rid}",
                                      format_func=lambda s: labels.REFERRAL_STATUS[s][0])
            messages.slot("status")
            feedback = st.text_area("Feedback for the young person (needed if not successful)",
                                    key=f"move_feedback_{rid}", max_chars=2000)
            messages.slot("feedback")
            if st.form_submit_button("Update"):
                try:
                    client.move_referral(rid, str(new_status), feedback.strip() or None)
                except ServiceError as err:
                    if err.fields:
                        for message in messages.show(err.fields):
                            st.error(message, icon="⚠️")
                    else:
                        session.show_error(err)
                else:
                    flash(f"{name}: now “{labels.REFERRAL_STATUS[str(new_status)][0]}”.")
                    st.rerun()
