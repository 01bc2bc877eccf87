"""Young person: things that could suit me, and why, in plain words; "I'm interested" tells my adviser."""

from __future__ import annotations

from typing import Any

import streamlit as st

from services.common.auth import Role
from ui.streamlit import session
from ui.streamlit.client import ServiceError
from ui.streamlit.markdown import plain
from ui.streamlit.reasons import beyond_label, beyond_reach, plain_reasons, to_learn, too_few_notice
from ui.streamlit.widgets import opportunity_card, require
from ui.streamlit.young import interest_button, interested_in, my_applications

user = require(Role.YOUNG_PERSON)
config = session.settings()
client = session.api(config)
me = session.attempt(lambda: client.profile(user.sub))
st.title(f"Hi {plain(me['given_name'])}!" if me else "Suggested for me")
st.subheader("My applications")
my_applications(client)

st.subheader("Suggested for you")
st.write("Here are some things that could suit you. Press **I'm interested** and your adviser will help you "
         "go for it.")
suggestions: list[dict[str, Any]] = []
answer: dict[str, Any] = {}
with st.spinner("Finding things for you..."):
    try:
        answer = client.matches_for_profile(user.sub, k=10)
        # Wider results (beyond the travel distance) come last, each labelled so.
        for match in answer["matches"] + answer.get("wider_matches", []):
            opportunity = match.get("opportunity") or session.opportunity_public(
                config.opportunities_url, match["opportunity_id"])
            if opportunity is not None:
                suggestions.append({**match, "opportunity": opportunity})
    except ServiceError as err:
        st.warning(f"We can't show your suggestions. {err.message}", icon="⚠️")

already = interested_in(client, user.sub)
notice = too_few_notice(answer)
if notice:
    wider = answer.get("wider_radius_km")
    st.info(notice + (f" Below them are more up to {wider:g} km away, further than you said you'd travel."
                      if answer.get("wider_matches") and wider else ""))
if answer and not suggestions:  # with no answer, the warning above says why; this advice would not be true
    st.info("No suggestions yet. Try adding more skills and interests on **My profile**, or look on **Browse**.")
for match in suggestions:
    opportunity = match["opportunity"]

    def why(match: dict[str, Any] = match, opportunity: dict[str, Any] = opportunity) -> None:
        if match.get("beyond_travel"):
            st.warning(beyond_label(match, answer.get("travel_km")), icon=":material/directions_bus:")
        st.markdown("**Why it could suit you**")
        st.markdown("\n".join(f"- {plain(line)}" for line in plain_reasons(match["explanation"], opportunity, me)))
        learn = to_learn(match["explanation"])
        if learn:
            st.markdown(f"**To learn** {plain(learn)}")
        stretch = beyond_reach(match["explanation"])
        if stretch:
            st.markdown(f"**Worth knowing** {plain(stretch)}")
        with st.expander("What is it?"):
            st.markdown(plain(opportunity["description"]))
        interest_button(client, opportunity, already, key="suggested")

    opportunity_card(opportunity, body=why, show_description=False)
