"""Adviser: live opportunities with search, filters and a map around Stockport; candidates for one."""

from __future__ import annotations

import streamlit as st

from services.common.auth import Role
from ui.streamlit import browsing, labels, session
from ui.streamlit.client import ServiceError
from ui.streamlit.markdown import plain
from ui.streamlit.widgets import opportunity_card, require

require(Role.ADVISER)
config = session.settings()
client = session.api(config)
st.title("Opportunities")
if st.button("Refresh", key="opps_refresh", icon=":material/refresh:"):
    session.clear_public_caches()

params = browsing.filters("opps")
found = browsing.results(config, params, key="opps", map_first=True)
if found.related:
    browsing.related_heading(params)
for item in found.items or found.related:

    def candidates(item: dict = item) -> None:  # type: ignore[type-arg]
        if not st.toggle("Show suggested young people", key=f"cand_{item['id']}"):
            return
        try:
            with st.spinner("Finding young people who fit..."):
                found = client.candidates_for_opportunity(item["id"], k=5)["matches"]
        except ServiceError as err:
            st.warning(err.message, icon="⚠️")
            return
        if not found:
            st.caption("Nobody eligible is looking right now.")
        for match in found:
            try:
                person = client.profile(match["profile_id"])
            except ServiceError:
                continue
            if st.button(plain(f"{labels.full_name(person)} — {'; '.join(match['explanation']['reasons'][:2])}"),
                         key=f"cand_{item['id']}_{person['id']}"):
                st.session_state["person_id"] = person["id"]
                st.switch_page("views/person.py")

    opportunity_card(item, body=candidates)
