"""One referral at its own address (/referral?referral=<id>): the adviser who made it, the employer it went to and
the young person it is about see it; anyone else is told it is not there. What each sees is what the service lets
them (an employer sees the person's details and the adviser's note only with the person's consent)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from services.common.auth import Role
from ui.streamlit import labels, session
from ui.streamlit.client import ServiceError
from ui.streamlit.markdown import plain
from ui.streamlit.widgets import addressed_id, feedback_label, not_found, status_badge

user = session.current()
if user is None:
    st.stop()
client = session.api()
rid = addressed_id("referral")
if not rid:
    not_found("referral")
assert rid is not None
try:
    referral = client.referral(rid)
except ServiceError as err:
    if err.status in (403, 404):
        not_found("referral")
    session.show_error(err)
    st.stop()

st.title("Referral")
st.markdown(f"**{plain(referral['opportunity_title'])}** ({labels.type_label(referral['opportunity_type'])}) at "
            f"**{plain(referral.get('employer_name') or 'the employer')}** — "
            f"referred {labels.day(referral['created_at'])}")
if user.role is Role.YOUNG_PERSON:
    st.badge(labels.REFERRAL_STATUS_FOR_YOU.get(referral["status"], referral["status"]))
else:
    status_badge(*labels.REFERRAL_STATUS.get(referral["status"], (referral["status"], "gray")))
if user.role is Role.ADVISER and referral.get("profile_id"):
    st.page_link("views/person.py", query_params={"person": referral["profile_id"]},
                 label="Open the young person's page", icon=":material/person:")
if user.role is Role.EMPLOYER:
    candidate = referral.get("candidate") or {}
    shared = bool(candidate.get("consent_share_with_employers"))
    st.markdown(f"**Young person** {plain(labels.full_name(candidate)) if shared else 'name not shared'}")
    st.page_link("views/referrals.py", query_params={"referral": referral["id"]}, label="Move it on in Referrals",
                 icon=":material/inbox:")
st.page_link("views/opportunity.py", query_params={"opportunity": referral["opportunity_id"]},
             label="Open the opportunity", icon=":material/work:")
if referral.get("note"):
    writer = "Your adviser's note" if user.role is Role.YOUNG_PERSON else "Adviser's note"
    st.markdown(f"**{writer}**")
    st.text(referral["note"])
if referral.get("feedback"):
    st.markdown(f"**{feedback_label(referral, reader=user.role)}**")
    st.text(referral["feedback"])
if referral.get("history"):
    st.dataframe(pd.DataFrame([
        {"When": labels.day(step["changed_at"]),
         "Status": labels.REFERRAL_STATUS.get(step["to_status"], (step["to_status"], ""))[0],
         "By": step["changed_by_role"]}
        for step in referral["history"]
    ]), hide_index=True)
