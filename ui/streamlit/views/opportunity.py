"""One opportunity at its own address (/opportunity?opportunity=<id>), for any signed-in role: what the service
lets this account see of it (a draft only to its employer and advisers), and the referrals to it they may see."""

from __future__ import annotations

from functools import partial

import streamlit as st

from services.common.auth import Role
from ui.streamlit import labels, session
from ui.streamlit.client import ServiceError
from ui.streamlit.markdown import plain
from ui.streamlit.widgets import addressed_id, not_found, opportunity_card, status_badge
from ui.streamlit.young import interest_button, interested_in

user = session.current()
if user is None:
    st.stop()
config = session.settings()
client = session.api(config)
oid = addressed_id("opportunity")
if not oid:
    not_found("opportunity")
assert oid is not None
try:
    opportunity = client.opportunity(oid)
except ServiceError as err:
    if err.status in (403, 404):
        not_found("opportunity")
    session.show_error(err)
    st.stop()

st.title(plain(opportunity["title"]))
words, colour = labels.OPPORTUNITY_STATUS.get(opportunity["status"], (opportunity["status"], "gray"))
status_badge(words, colour)
if user.role is Role.YOUNG_PERSON:
    already = interested_in(client, user.sub)
    opportunity_card(opportunity, body=partial(interest_button, client, opportunity, already, key="opportunity"))
else:
    opportunity_card(opportunity)

if user.role in (Role.ADVISER, Role.EMPLOYER):
    st.subheader("Referrals to it")
    page = session.attempt(lambda: client.referrals(opportunity_id=oid, limit=100))
    items = page["items"] if page else []
    if not items:
        st.caption("Nobody has been referred to it yet.")
    for referral in items:
        words, colour = labels.REFERRAL_STATUS.get(referral["status"], (referral["status"], "gray"))
        st.page_link("views/referral.py", query_params={"referral": referral["id"]},
                     label=f"{words}: referred {labels.day(referral['created_at'])}", icon=":material/send:")
