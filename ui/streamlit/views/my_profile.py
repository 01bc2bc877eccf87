"""Young person: my profile, to read and change, what an employer could see of it, and who has looked."""

from __future__ import annotations

from typing import Any

import streamlit as st

from services.common.auth import Role
from services.messaging import vocabulary
from ui.streamlit import labels, session
from ui.streamlit.client import ServiceError
from ui.streamlit.forms import changed_fields, qualification_body, qualification_choice, split_list
from ui.streamlit.markdown import plain
from ui.streamlit.widgets import FieldMessages, flash, held_back_note, qualification_chooser, require, show_flash
from ui.streamlit.young import your_adviser

user = require(Role.YOUNG_PERSON)
client = session.api()
st.title("My profile")
show_flash()
me = session.attempt(lambda: client.profile(user.sub))
if me is None:
    st.stop()


with st.container(border=True):
    st.subheader(plain(labels.full_name(me)))
    st.markdown(
        f"**Age** {me['age']}  \n**Postcode** {me['postcode']}  \n"
        f"**Email** {plain(me.get('email') or 'not given')}  \n**Phone** {plain(me.get('phone') or 'not given')}  \n"
        f"**Right now** {labels.PROFILE_STATUS.get(me['status'], me['status'])}  \n"
        f"**Skills** {plain(', '.join(me['skills']) or 'none yet')}  \n"
        f"**Interests** {plain(', '.join(me['interests']) or 'none yet')}  \n"
        f"**Looking for** {', '.join(labels.type_label(t) for t in me['preferred_types']) or 'anything'}  \n"
        f"**I can travel** up to {me['max_travel_km']:g} km"
    )
    held_back_note(me.get("warnings", []))
your_adviser(client, me.get("adviser_id"))

st.subheader("What an employer could see")
shown = session.attempt(lambda: client.employer_view(user.sub))  # on failure it shows the message itself
if shown is not None:
    with st.container(border=True):
        if not shown["consent_share_with_employers"]:
            st.markdown("**Nothing about you.** You haven't agreed to share your details, so an employer only sees "
                        "that their adviser put someone forward. Turn on sharing below if you want them to see more.")
        else:
            listed = ", ".join(labels.qualification_label(q) for q in shown["qualifications"]) or "none"
            st.markdown(f"**Name** {plain(shown['given_name'] + ' ' + shown['family_name'])}  \n"
                        f"**Skills** {plain(', '.join(shown['skills']) or 'none')}  \n"
                        f"**Interests** {plain(', '.join(shown['interests']) or 'none')}  \n"
                        f"**Qualifications** {plain(listed)}")
            st.caption("Only employers your adviser puts you forward to can see this. They never see your address, "
                       "phone, email, date of birth, or anything about health, disability or ethnicity.")

st.subheader("Change my details")
messages = FieldMessages()
with st.form("my_profile_form"):
    skills = st.text_input("My skills (put commas between them)", value=", ".join(me["skills"]), key="me_skills")
    messages.slot("skills")
    interests = st.text_input("Things I'm interested in", value=", ".join(me["interests"]), key="me_interests")
    messages.slot("interests")
    st.markdown("**My qualifications**: choose each one by its name, or its level if it isn't listed.")
    qualifications = qualification_chooser("me", me["qualifications"])
    messages.slot("qualifications")
    about = st.text_area("About me", value=me["about"], key="me_about", max_chars=2000)
    messages.slot("about")
    preferred = st.multiselect("What I'm looking for", options=list(vocabulary.OPPORTUNITY_TYPES),
                               default=me["preferred_types"], key="me_preferred", format_func=labels.type_label)
    messages.slot("preferred_types")
    travel = st.slider("How far I can travel (km)", min_value=1, max_value=50,
                       value=min(50, max(1, round(me["max_travel_km"]))), key="me_travel")
    messages.slot("max_travel_km")
    left, right = st.columns(2)
    with left:
        postcode = st.text_input("Postcode", value=me["postcode"], key="me_postcode", max_chars=10)
        messages.slot("postcode")
        email = st.text_input("Email", value=me.get("email") or "", key="me_email")
        messages.slot("email")
    with right:
        phone = st.text_input("Phone", value=me.get("phone") or "", key="me_phone", placeholder="07700 900123")
        messages.slot("phone")
    consent = st.checkbox("Employers I'm put forward to can see my name, skills and qualifications",
                          value=me["consent_share_with_employers"], key="me_consent")
    saved = st.form_submit_button("Save", type="primary")

if saved:
    # As recorded when nothing was changed: the service adds the level of a qualification chosen by name.
    recorded = [qualification_body(qualification_choice(q), q["subject"]) for q in me["qualifications"]]
    wanted: dict[str, Any] = {
        "skills": split_list(skills), "interests": split_list(interests),
        "qualifications": me["qualifications"] if qualifications == recorded else qualifications,
        "about": about.strip(), "preferred_types": preferred, "max_travel_km": float(travel),
        "postcode": postcode.strip().upper(), "email": email.strip() or None, "phone": phone.strip() or None,
        "consent_share_with_employers": consent,
    }
    changes = changed_fields(me, wanted)
    if not changes:
        st.info("Nothing changed.")
    else:
        try:
            with st.spinner("Saving..."):
                client.update_profile(user.sub, changes)
        except ServiceError as err:
            for message in messages.show(err.fields):
                st.error(message, icon="⚠️")
            if not err.fields:
                session.show_error(err)
            else:
                st.error("Something needs fixing: look under the boxes above.", icon="⚠️")
        else:
            flash("Saved! Your suggestions will update in a moment.")
            st.rerun()


st.subheader("Who has looked at your details")
looks = session.attempt(lambda: client.views_of(user.sub))
if looks is not None:
    if not looks["items"]:
        st.caption("Nobody has looked at your details yet.")
    for look in looks["items"]:
        if look["viewer_role"] == "employer":
            who = look.get("viewer_name") or "An employer"
            what = f"your referral for {look.get('opportunity_title') or 'a job'}"
        else:
            who, what = f"Adviser {look['viewer']}", "your profile"
        st.markdown(f"- {labels.day(look['viewed_at'])}: **{who}** looked at {what}")
