"""Adviser: register a young person. Every problem the profiles service finds shows at once: a summary at the top
linking to each field, and the message under the field. A person who looks already registered is named with their
adviser; the adviser opens their page, or registers them anyway saying why. After a registration the form is empty
again, with a link to the new person's page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from services.common.auth import Role
from services.messaging import vocabulary
from ui.streamlit import labels, session
from ui.streamlit.client import FRIENDLY_TYPES, ServiceError
from ui.streamlit.forms import split_list
from ui.streamlit.markdown import plain
from ui.streamlit.widgets import (
    SUCCESS_ICON,
    FieldMessages,
    clear_form,
    form_key,
    qualification_chooser,
    require,
    screening_warnings,
)

FIELDS = {
    "given_name": "First name", "family_name": "Last name", "date_of_birth": "Date of birth", "postcode": "Postcode",
    "email": "Email", "phone": "Phone", "status": "What they are doing now", "priority_groups": "Priority groups",
    "skills": "Skills", "interests": "Interests", "qualifications": "Qualifications", "about": "About them",
    "preferred_types": "Looking for", "max_travel_km": "Will travel up to", "available_from": "Available from",
    "ethnicity": "Ethnicity", "duplicate_reason": "Why this is a different person",
}
# What to ask for when a field was left empty (the service's own words say the same for text it can check).
ENTER = {"date_of_birth": "Enter a date of birth", "status": "Choose what they are doing now"}
REGISTERED, DUPLICATE = "_registered", "_likely_duplicate"

require(Role.ADVISER)
client = session.api()
st.title("Register a young person")
st.caption("Fields marked * are needed. SEND and ethnicity are private: employers never see them.")
problems = st.empty()


def _open_person(profile_id: str) -> None:
    st.session_state["person_id"] = profile_id
    st.switch_page("views/person.py", query_params={"person": profile_id})


done = st.session_state.pop(REGISTERED, None)
if done:
    st.success(f"Registered {plain(done['name'])}. Their guarantee clock starts today.", icon=SUCCESS_ICON)
    screening_warnings(done.get("warnings", []))
    st.session_state["person_id"] = done["id"]
    st.page_link("views/person.py", label=f"Open {plain(done['given_name'])}'s page", icon=":material/person:",
                 query_params={"person": done["id"]})


def _similar_in_words(person: dict[str, Any]) -> str:
    adviser = person.get("adviser")
    contact = (f"adviser **{plain(adviser['name'])}** "
               f"({plain(', '.join((adviser['team'], adviser['email'], adviser['phone'])))})"
               if adviser else f"adviser {plain(person.get('adviser_id') or 'not given')}")
    same = {"name_and_date_of_birth": "same name and date of birth", "email": "same email",
            "phone": "same phone number"}
    name = plain(person["given_name"] + " " + person["family_name"])
    return (f"**{name}**, born {labels.day(person['date_of_birth'])}, "
            f"{contact}: {', '.join(same.get(s, s) for s in person['same'])}")


duplicate = st.session_state.get(DUPLICATE)
if duplicate:
    with st.container(border=True):
        st.warning("**This looks like someone already registered.** Check before registering them again:\n\n"
                   + "\n".join(f"- {_similar_in_words(p)}" for p in duplicate), icon=":material/content_copy:")
        for person in duplicate:
            if st.button(f"Open {plain(person['given_name'] + ' ' + person['family_name'])}'s page",
                         key=f"dup_{person['id']}",
                         icon=":material/person:"):
                _open_person(person["id"])
        st.caption("If this is a different person (twins, say), say why below and press **Register anyway**. The "
                   "reason is kept in the audit log.")

today = dt.date.today()
messages = FieldMessages(FIELDS)
form = form_key("reg")
with st.form(f"{form}_form"):
    left, right = st.columns(2)
    with left:
        given_name = st.text_input("First name *", key=f"{form}_given_name", max_chars=100)
        messages.slot("given_name")
    with right:
        family_name = st.text_input("Last name *", key=f"{form}_family_name", max_chars=100)
        messages.slot("family_name")
    left, right = st.columns(2)
    with left:
        date_of_birth = st.date_input("Date of birth *", value=None, key=f"{form}_date_of_birth",
                                      format="DD/MM/YYYY",
                                      min_value=dt.date(today.year - 40, 1, 1), max_value=today)
        messages.slot("date_of_birth")
    with right:
        postcode = st.text_input("Postcode *", key=f"{form}_postcode", max_chars=10, placeholder="SK1 3XE")
        messages.slot("postcode")
    left, right = st.columns(2)
    with left:
        email = st.text_input("Email", key=f"{form}_email", max_chars=200)
        messages.slot("email")
    with right:
        phone = st.text_input("Phone", key=f"{form}_phone", max_chars=20, placeholder="07700 900123")
        messages.slot("phone")
    left, right = st.columns(2)
    with left:
        known = [status for status in vocabulary.PROFILE_STATUSES if status != "not_known"]
        status = st.selectbox("What are they doing now? *", options=known,
                              key=f"{form}_status",
                              format_func=labels.PROFILE_STATUS.__getitem__)
        messages.slot("status")
    with right:
        priority_groups = st.multiselect("Priority groups", options=list(vocabulary.PRIORITY_GROUPS),
                                         key=f"{form}_priority_groups", format_func=labels.PRIORITY_GROUPS.__getitem__)
        messages.slot("priority_groups")
    on_universal_credit = st.checkbox("On Universal Credit", key=f"{form}_on_universal_credit")
    skills = st.text_input("Skills (separate with commas)", key=f"{form}_skills",
                           placeholder="customer service, teamwork")
    messages.slot("skills")
    interests = st.text_input("Interests (separate with commas)", key=f"{form}_interests",
                              placeholder="retail, cooking")
    messages.slot("interests")
    st.markdown("**Qualifications**: choose each one by its name (the service knows its level), or its level when "
                "it isn't listed.")
    qualifications = qualification_chooser(form)
    messages.slot("qualifications")
    about = st.text_area("About them", key=f"{form}_about", max_chars=2000)
    messages.slot("about")
    left, right = st.columns(2)
    with left:
        preferred_types = st.multiselect("Looking for", options=list(vocabulary.OPPORTUNITY_TYPES),
                                         key=f"{form}_preferred_types", format_func=labels.type_label)
        messages.slot("preferred_types")
    with right:
        max_travel_km = st.number_input("Will travel up to (km)", min_value=1.0, max_value=200.0, value=10.0,
                                        step=1.0, key=f"{form}_max_travel_km")
        messages.slot("max_travel_km")
    left, right = st.columns(2)
    with left:
        available_from = st.date_input("Available from", value=None, key=f"{form}_available_from",
                                       format="DD/MM/YYYY")
        messages.slot("available_from")
    with right:
        ethnicity = st.text_input("Ethnicity (private, optional)", key=f"{form}_ethnicity", max_chars=64)
        messages.slot("ethnicity")
    consent = st.checkbox("They agree to share their name, skills and qualifications with employers they are "
                          "referred to", key=f"{form}_consent")
    reason = ""
    if duplicate:
        reason = st.text_area("Why is this a different person? (needed to register anyway)",
                              key=f"{form}_duplicate_reason", max_chars=500,
                              placeholder="Twins: checked their dates of birth and addresses")
        messages.slot("duplicate_reason")
    submitted = st.form_submit_button("Register", type="primary")
    anyway = st.form_submit_button("Register anyway", type="secondary") if duplicate else False


if submitted or anyway:
    body: dict[str, Any] = {
        "given_name": given_name,
        "family_name": family_name,
        "postcode": postcode,
        "status": status,
        "on_universal_credit": on_universal_credit,
        "priority_groups": priority_groups,
        "skills": split_list(skills),
        "interests": split_list(interests),
        "qualifications": qualifications,
        "about": about,
        "preferred_types": preferred_types,
        "max_travel_km": max_travel_km,
        "consent_share_with_employers": consent,
    }
    if date_of_birth is not None:
        body["date_of_birth"] = date_of_birth.isoformat()
    if available_from is not None:
        body["available_from"] = available_from.isoformat()
    for key, value in (("email", email), ("phone", phone), ("ethnicity", ethnicity)):
        if value.strip():
            body[key] = value.strip()
    if anyway:
        body["duplicate_reason"] = reason
    try:
        with st.spinner("Registering..."):
            created = client.register_profile(body)
    except ServiceError as err:
        found = err.rule("likely_duplicate")
        if err.status == 409 and found and found.get("ctx", {}).get("similar"):
            st.session_state[DUPLICATE] = found["ctx"]["similar"]
            st.rerun()
        elif err.fields:
            fields = {field: ENTER.get(field, message) if message == FRIENDLY_TYPES["missing"] else message
                      for field, message in err.fields.items()}
            unplaced = messages.show(fields)
            messages.summary(problems, fields, unplaced)
        else:
            session.show_error(err)
    else:
        st.session_state[REGISTERED] = {"id": created["id"], "name": labels.full_name(created),
                                        "given_name": created["given_name"],
                                        "warnings": created.get("warnings", [])}
        st.session_state.pop(DUPLICATE, None)
        clear_form("reg")
        st.rerun()
