"""Young person: look through everything that's open, with a map."""

from __future__ import annotations

from functools import partial

import streamlit as st

from services.common.auth import Role
from services.common.postcodes import locate
from ui.streamlit import browsing, session
from ui.streamlit.widgets import opportunity_card, require
from ui.streamlit.young import interest_button, interested_in

user = require(Role.YOUNG_PERSON)
config = session.settings()
client = session.api(config)
me = session.attempt(lambda: client.profile(user.sub))
st.title("Browse")
st.write("Look through everything that's open right now. Type what you like, or pick a type of work.")

params = browsing.filters("browse", default_near=me["postcode"] if me else "", simple=True)
spot = locate(me["postcode"]) if me else None
found = browsing.results(config, params, key="browse", home=(spot.latitude, spot.longitude) if spot else None)
already = interested_in(client, user.sub)
for item in found.items:
    opportunity_card(item, body=partial(interest_button, client, item, already, key="browse"))
if found.related:
    browsing.related_heading(params)
    for item in found.related:
        opportunity_card(item, body=partial(interest_button, client, item, already, key="browse_related"))
