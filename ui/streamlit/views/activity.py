"""Adviser: what each young person is doing (NCCIS activity codes), who is not known and must be traced, and the
record of a person: history, confirm, a new activity, contact attempts."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from services.common.auth import Role
from services.messaging import vocabulary
from ui.streamlit import labels, session
from ui.streamlit.markdown import plain
from ui.streamlit.widgets import flash, require, show_flash

user = require(Role.ADVISER)
client = session.api()
st.title("Activity and tracing")
show_flash()


def code_label(code: int) -> str:
    return f"{code} {vocabulary.ACTIVITY_CODES[code][1]}"


queue = session.attempt(lambda: client.not_known(adviser_id=user.sub), spinner="Loading who is not known...")
st.subheader("To trace")
if queue is not None:
    if not queue["items"]:
        st.caption("Everyone in your caseload has a current activity.")
    else:
        st.caption("Young people whose activity is not known today: not confirmed in time, or not found yet. "
                   "Not known counts as badly as NEET in the returns: record an attempt to reach them, or what "
                   "they are doing now.")
        st.dataframe(pd.DataFrame([{
            "Name": f"{item['given_name']} {item['family_name']}",
            "Not known since": labels.day(item["since"]),
            "Why": ("not confirmed (was " + code_label(item["lapsed_from"]) + ")") if item["lapsed_from"]
            else code_label(item["code"]),
            "Attempts": item["attempts"],
            "Failed": item["failed_attempts"],
            "Last attempt": labels.day(item["last_attempt_on"]) if item["last_attempt_on"] else "none",
        } for item in queue["items"]]), hide_index=True, width="stretch")

people = session.attempt(lambda: client.all_profiles(adviser_id=user.sub)) or []
if not people:
    st.info("You have no young people yet.")
    st.stop()
names = {person["id"]: f"{labels.full_name(person)} ({person['postcode']})" for person in people}
profile_id = st.selectbox("Young person", options=list(names), format_func=names.__getitem__, key="activity_person")
record = session.attempt(lambda: client.activity(profile_id))
if record is None:
    st.stop()

st.subheader(plain(names[profile_id]))
if record["current_code"] is None:
    st.write("No activity recorded yet.")
else:
    lapsed = (f" (their {code_label(record['lapsed_from'])} was not confirmed in time)"
              if record["lapsed_from"] else "")
    st.markdown(f"**Now** {code_label(record['current_code'])}, since {labels.day(record['current_since'])}"
                f"{lapsed}.")
    open_spell = next((s for s in record["spells"] if s["ended_on"] is None), None)
    if open_spell and open_spell["lapses_on"] and not record["lapsed_from"]:
        st.caption(f"Last confirmed {labels.day(open_spell['confirmed_on'])}; turns not known on "
                   f"{labels.day(open_spell['lapses_on'])} unless confirmed before.")
        confirm = st.button("Confirm it is still what they are doing", key="activity_confirm")
        if confirm and session.attempt(lambda: client.confirm_activity(profile_id)) is not None:
            flash("Confirmed today.")
            st.rerun()

with st.form("activity_new", clear_on_submit=False, border=True):
    st.markdown("**Record what they are doing now**")
    left, right = st.columns(2)
    code = left.selectbox("Activity", options=list(vocabulary.ACTIVITY_CODES), format_func=code_label,
                          key="activity_code")
    source = right.selectbox("Who said so", options=[s for s in vocabulary.ACTIVITY_SOURCES
                                                     if s not in ("lapsed", "referral_outcome")],
                             format_func=labels.ACTIVITY_SOURCE.__getitem__, key="activity_source")
    started = left.date_input("Since", value=dt.date.today(), max_value=dt.date.today(), key="activity_started",
                              format="DD/MM/YYYY")
    if st.form_submit_button("Record activity"):
        body = {"code": code, "started_on": started.isoformat(), "source": source}
        if session.attempt(lambda: client.record_activity(profile_id, body)) is not None:
            flash(f"Recorded: {code_label(code)}.")
            st.rerun()

with st.form("activity_contact", clear_on_submit=False, border=True):
    st.markdown("**Record an attempt to reach them**")
    left, middle, right = st.columns(3)
    method = left.selectbox("How", options=list(vocabulary.CONTACT_METHODS),
                            format_func=labels.CONTACT_METHOD.__getitem__, key="contact_method")
    outcome = middle.selectbox("What happened", options=list(vocabulary.CONTACT_OUTCOMES),
                               format_func=labels.CONTACT_OUTCOME.__getitem__, key="contact_outcome")
    attempted = right.date_input("When", value=dt.date.today(), max_value=dt.date.today(), key="contact_on",
                                 format="DD/MM/YYYY")
    if st.form_submit_button("Record attempt"):
        body = {"method": method, "outcome": outcome, "attempted_on": attempted.isoformat()}
        answer = session.attempt(lambda: client.record_contact_attempt(profile_id, body))
        if answer is not None:
            flash(f"Attempt recorded. Now: {code_label(answer['current_code'])}." if answer["current_code"]
                  else "Attempt recorded.")
            st.rerun()

st.markdown("**History**")
st.dataframe(pd.DataFrame([{
    "Activity": code_label(spell["code"]),
    "From": labels.day(spell["started_on"]),
    "To": labels.day(spell["ended_on"]) if spell["ended_on"] else "now",
    "Source": labels.ACTIVITY_SOURCE.get(spell["source"], spell["source"]),
    "Last confirmed": labels.day(spell["confirmed_on"]),
} for spell in record["spells"]]), hide_index=True, width="stretch")
if record["contact_attempts"]:
    st.markdown("**Contact attempts**")
    st.dataframe(pd.DataFrame([{
        "When": labels.day(attempt["attempted_on"]),
        "How": labels.CONTACT_METHOD[attempt["method"]],
        "What happened": labels.CONTACT_OUTCOME[attempt["outcome"]],
    } for attempt in reversed(record["contact_attempts"])]), hide_index=True, width="stretch")
