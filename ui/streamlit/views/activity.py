"""Adviser: what each young person is doing (NCCIS activity codes), who is not known and must be traced, actions due
across the caseload, and the record of a person: history, confirm, a new activity, contact attempts, planned
actions, appointments and moving them to another adviser's caseload."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from services.common import school_years
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

due = session.attempt(lambda: client.due_actions(adviser_id=user.sub))
if due is not None and due["items"]:
    st.subheader("Actions due")
    st.caption("Open actions due today or overdue, for the people in your caseload.")
    st.dataframe(pd.DataFrame([{
        "Name": f"{item['given_name']} {item['family_name']}",
        "Action": labels.ACTION_CATEGORY[item["category"]],
        "What": item["description"],
        "Due": labels.day(item["due_on"]) + (" (overdue)" if item["overdue"] else ""),
    } for item in due["items"]]), hide_index=True, width="stretch")

people = session.attempt(lambda: client.all_profiles(adviser_id=user.sub)) or []
if not people:
    st.info("You have no young people yet.")
    st.stop()
names = {person["id"]: f"{labels.full_name(person)} ({person['postcode']})" for person in people}
addressed = st.query_params.get("person")  # a link in the adviser's digest names the person
profile_id = st.selectbox("Young person", options=list(names), format_func=names.__getitem__, key="activity_person",
                          index=list(names).index(addressed) if addressed in names else 0)
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

born = next((dt.date.fromisoformat(p["date_of_birth"]) for p in people if p["id"] == profile_id), None)
september = school_years.academic_year_of(dt.date.today())
cohort = school_years.september_cohort(born, september) if born else None
if cohort is not None:
    recorded = {offer["year"]: offer for offer in record["september_guarantee"]}
    with st.form("september_guarantee", clear_on_submit=False, border=True):
        st.markdown(f"**September Guarantee {september}** ({labels.SEPTEMBER_COHORT[cohort]}): was a suitable offer "
                    f"of education or training made by the end of September?")
        earlier = recorded.get(september)
        if earlier is not None:
            st.caption(f"Recorded: {labels.SEPTEMBER_OUTCOME[earlier['outcome']]}, "
                       f"{labels.day(earlier['recorded_on'])}.")
        options = list(vocabulary.SEPTEMBER_GUARANTEE_OUTCOMES)
        offer = st.radio("Outcome", options=options, format_func=labels.SEPTEMBER_OUTCOME.__getitem__,
                         horizontal=True, key="september_outcome",
                         index=options.index(earlier["outcome"]) if earlier else 0)
        if st.form_submit_button("Record the September Guarantee") and session.attempt(
                lambda: client.record_september_guarantee(profile_id, september, offer)) is not None:
            flash(f"September Guarantee {september}: {labels.SEPTEMBER_OUTCOME[offer]}.")
            st.rerun()

st.markdown("**Planned actions**")
actions = session.attempt(lambda: client.actions(profile_id))
if actions is not None and actions["items"]:
    st.dataframe(pd.DataFrame([{
        "Action": labels.ACTION_CATEGORY[action["category"]],
        "What": action["description"],
        "Due": labels.day(action["due_on"]) + (" (overdue)" if action["overdue"] else ""),
        "Status": labels.ACTION_STATUS[action["status"]] + (f" {labels.day(action['done_on'])}"
                                                            if action["done_on"] else ""),
    } for action in actions["items"]]), hide_index=True, width="stretch")
    still_open = {a["id"]: f"{labels.ACTION_CATEGORY[a['category']]}: {a['description']}" for a in actions["items"]
                  if a["status"] == "open"}
    if still_open:
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        finished = left.selectbox("Open action", options=list(still_open), format_func=still_open.__getitem__,
                                  key="action_finished")
        if right.button("Mark done", key="action_done") and session.attempt(
                lambda: client.action_done(profile_id, finished)) is not None:
            flash("Marked done today.")
            st.rerun()
with st.form("action_new", clear_on_submit=False, border=True):
    st.markdown("**Plan an action**")
    left, right = st.columns(2)
    category = left.selectbox("Kind of action", options=list(vocabulary.ACTION_CATEGORIES),
                              format_func=labels.ACTION_CATEGORY.__getitem__, key="action_category")
    due_on = right.date_input("Due", value=dt.date.today() + dt.timedelta(days=7), min_value=dt.date.today(),
                              key="action_due", format="DD/MM/YYYY")
    description = st.text_input("What is to be done", max_chars=500, key="action_description")
    if st.form_submit_button("Add action"):
        body = {"category": category, "description": description, "due_on": due_on.isoformat()}
        added = session.attempt(lambda: client.plan_action(profile_id, body))
        if added is not None:
            flash(" ".join([f"Action added: {labels.ACTION_CATEGORY[category]}, due {labels.day(due_on)}.",
                            *(w["message"] for w in added["warnings"])]))
            st.rerun()

st.markdown("**Appointments**")
appointments = session.attempt(lambda: client.appointments(profile_id))
if appointments is not None and appointments["items"]:
    st.dataframe(pd.DataFrame([{
        "When": labels.moment(item["starts_at"]),
        "How": labels.APPOINTMENT_MODE[item["mode"]],
        "Where or note": item["notes"],
        "What happened": labels.APPOINTMENT_OUTCOME[item["outcome"]] if item["outcome"] else "not recorded",
    } for item in appointments["items"]]), hide_index=True, width="stretch")
    pending = {a["id"]: f"{labels.moment(a['starts_at'])}, {labels.APPOINTMENT_MODE[a['mode']]}"
               for a in appointments["items"] if a["outcome"] is None}
    if pending:
        left, middle, right = st.columns([2, 1, 1], vertical_alignment="bottom")
        meeting = left.selectbox("Appointment", options=list(pending), format_func=pending.__getitem__,
                                 key="appointment_pick")
        happened = middle.selectbox("What happened", options=list(vocabulary.APPOINTMENT_OUTCOMES),
                                    format_func=labels.APPOINTMENT_OUTCOME.__getitem__, key="appointment_outcome")
        if right.button("Record outcome", key="appointment_record") and session.attempt(
                lambda: client.appointment_outcome(profile_id, meeting, happened)) is not None:
            flash(f"Recorded: {labels.APPOINTMENT_OUTCOME[happened].lower()}.")
            st.rerun()
with st.form("appointment_new", clear_on_submit=False, border=True):
    st.markdown("**Book an appointment**")
    left, middle, right = st.columns(3)
    on = left.date_input("Day", value=dt.date.today(), key="appointment_day", format="DD/MM/YYYY")
    at = middle.time_input("Time", value=dt.time(10, 0), key="appointment_time")
    mode = right.selectbox("How", options=list(vocabulary.APPOINTMENT_MODES),
                           format_func=labels.APPOINTMENT_MODE.__getitem__, key="appointment_mode")
    notes = st.text_input("Where, or a short note", max_chars=300, key="appointment_notes")
    if st.form_submit_button("Book appointment"):
        starts = dt.datetime.combine(on, at, labels.HUB_TIME)
        body = {"starts_at": starts.isoformat(), "mode": mode, "notes": notes}
        booked = session.attempt(lambda: client.book_appointment(profile_id, body))
        if booked is not None:
            flash(" ".join([f"Appointment booked for {labels.day(on)} at {at:%H:%M}.",
                            *(w["message"] for w in booked["warnings"])]))
            st.rerun()

st.markdown("**Adviser**")
advisers = (session.attempt(client.advisers) or {"items": []})["items"]
everyone = {a["id"]: a["name"] for a in advisers}
others = {a["id"]: f"{a['name']} ({a['team']})" for a in advisers if a["id"] != user.sub}
with st.form("transfer_new", clear_on_submit=False, border=True):
    st.markdown("**Move them to another adviser's caseload**")
    if not others:
        st.caption("The hub has no record of another adviser yet.")
    to = st.selectbox("New adviser", options=list(others), format_func=others.__getitem__, key="transfer_to")
    reason = st.text_input("Why", max_chars=300, key="transfer_reason")
    if st.form_submit_button("Move", disabled=not others):
        moved = session.attempt(lambda: client.transfer(profile_id, {"to_adviser_id": to, "reason": reason}))
        if moved is not None:
            flash(f"Moved to {others[str(to)]}.")
            st.rerun()
history = session.attempt(lambda: client.transfers(profile_id))
if history is not None and history["items"]:
    st.dataframe(pd.DataFrame([{
        "When": labels.day(item["transferred_at"][:10]),
        "From": everyone.get(item["from_adviser_id"], item["from_adviser_id"] or "none"),
        "To": everyone.get(item["to_adviser_id"], item["to_adviser_id"]),
        "By": everyone.get(item["transferred_by"], item["transferred_by"]),
        "Why": item["reason"],
    } for item in history["items"]]), hide_index=True, width="stretch")

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
