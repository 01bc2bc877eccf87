"""Adviser: register a young person; the profiles service's messages appear under the fields they name."""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from services.common.auth import Role
from services.messaging import vocabulary
from ui.streamlit import labels, session
from ui.streamlit.client import ServiceError
from ui.streamlit.forms import parse_qualifications, split_list
from ui.streamlit.widgets import SUCCESS_ICON, FieldMessages, require, screening_warnings

require(Role.ADVISER)
client = session.api()
st.title("Register a young person")
st.caption("Fields marked * are needed. SEND and ethnicity are private: employers never see them.")

today = dt.date.today()
messages = FieldMessages()
with st.form("register_form"):
    left, right = st.columns(2)
    with left:
        given_name = st.text_input("First name *", key="reg_given_name", max_chars=100)
        messages.slot("given_name")
    with right:
        family_name = st.text_input("Last name *", key="reg_family_name", max_chars=100)
        messages.slot("family_name")
    left, right = st.columns(2)
    with left:
        date_of_birth = st.date_input("Date of birth *", value=None, key="reg_date_of_birth", format="DD/MM/YYYY",
                                      min_value=dt.date(today.year - 40, 1, 1), max_value=today)
        messages.slot("date_of_birth")
    with right:
        postcode = st.text_input("Postcode *", key="reg_postcode", max_chars=10, placeholder="SK1 3XE")
        messages.slot("postcode")
    left, right = st.columns(2)
    with left:
        email = st.text_input("Email", key="reg_email", max_chars=200)
        messages.slot("email")
    with right:
        phone = st.text_input("Phone", key="reg_phone", max_chars=20, placeholder="07700 900123")
        messages.slot("phone")
    left, right = st.columns(2)
    with left:
        status = st.selectbox("What are they doing now? *", options=list(vocabulary.PROFILE_STATUSES), key="reg_status",
                              format_func=labels.PROFILE_STATUS.__getitem__)
        messages.slot("status")
    with right:
        priority_groups = st.multiselect("Priority groups", options=list(vocabulary.PRIORITY_GROUPS),
                                         key="reg_priority_groups", format_func=labels.PRIORITY_GROUPS.__getitem__)
        messages.slot("priority_groups")
    on_universal_credit = st.checkbox("On Universal Credit", key="reg_on_universal_credit")
    skills = st.text_input("Skills (separate with commas)", key="reg_skills",
                           placeholder="customer service, teamwork")
    messages.slot("skills")
    interests = st.text_input("Interests (separate with commas)", key="reg_interests", placeholder="retail, cooking")
    messages.slot("interests")
    qualifications = st.text_area("Qualifications (one per line)", key="reg_qualifications",
                                  placeholder="Level 2 English\nEntry Maths")
    messages.slot("qualifications")
    about = st.text_area("About them", key="reg_about", max_chars=2000)
    messages.slot("about")
    left, right = st.columns(2)
    with left:
        preferred_types = st.multiselect("Looking for", options=list(vocabulary.OPPORTUNITY_TYPES),
                                         key="reg_preferred_types", format_func=labels.type_label)
        messages.slot("preferred_types")
    with right:
        max_travel_km = st.number_input("Will travel up to (km)", min_value=1.0, max_value=200.0, value=10.0,
                                        step=1.0, key="reg_max_travel_km")
        messages.slot("max_travel_km")
    left, right = st.columns(2)
    with left:
        available_from = st.date_input("Available from", value=None, key="reg_available_from",
                                       format="DD/MM/YYYY")
        messages.slot("available_from")
    with right:
        ethnicity = st.text_input("Ethnicity (private, optional)", key="reg_ethnicity", max_chars=64)
        messages.slot("ethnicity")
    consent = st.checkbox("They agree to share their name, skills and qualifications with employers they are "
                          "referred to", key="reg_consent")
    submitted = st.form_submit_button("Register", type="primary")

if submitted:
    quals, problem = parse_qualifications(qualifications)
    body: dict[str, Any] = {
        "given_name": given_name,
        "family_name": family_name,
        "postcode": postcode,
        "status": status,
        "on_universal_credit": on_universal_credit,
        "priority_groups": priority_groups,
        "skills": split_list(skills),
        "interests": split_list(interests),
        "qualifications": quals,
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
    if problem:
        messages.show({"qualifications": problem})
        st.error("Please check the qualifications.", icon="⚠️")
    else:
        try:
            with st.spinner("Registering..."):
                created = client.register_profile(body)
        except ServiceError as err:
            unplaced = messages.show(err.fields)
            if err.fields:
                st.error(f"Please check the {len(err.fields)} highlighted field"
                         f"{'s' if len(err.fields) != 1 else ''}.", icon="⚠️")
                for message in unplaced:
                    st.error(message, icon="⚠️")
            else:
                session.show_error(err)
        else:
            st.session_state["person_id"] = created["id"]
            st.session_state["registered_name"] = labels.full_name(created)
            st.success(f"Registered {labels.full_name(created)}. Their guarantee clock starts today.",
                       icon=SUCCESS_ICON)
            screening_warnings(created.get("warnings", []))
            st.page_link("views/person.py", label=f"Open {created['given_name']}'s page", icon=":material/person:")
