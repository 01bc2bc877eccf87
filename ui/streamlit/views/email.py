"""Every role: what we email you (preferences, a young person's consent), saved searches with alerts, and a list
of what was sent."""

from __future__ import annotations

from typing import Any

import streamlit as st

from services.common.auth import Role
from services.messaging import vocabulary
from ui.streamlit import labels, session
from ui.streamlit.client import ServiceError
from ui.streamlit.markdown import plain
from ui.streamlit.widgets import flash, show_flash

FREQUENCIES = {"instant": "As soon as one is posted", "daily": "A daily digest", "weekly": "A weekly digest"}
STATUS = {"sent": "Sent", "queued": "Waiting to send", "suppressed": "Not sent", "dead": "Could not be sent"}

user = session.current()
if user is None:
    st.stop()
client = session.api()
st.title("Email and alerts")
show_flash()
preferences = session.attempt(client.email_preferences)
if preferences is None:
    st.stop()


def save(changes: dict[str, Any], message: str) -> None:
    try:
        client.update_email_preferences(changes)
    except ServiceError as exc:
        st.error(exc.message)
        return
    flash(message)
    st.rerun()


with st.container(border=True):
    st.subheader("What we email you")
    if user.role is Role.YOUNG_PERSON and not preferences["email"]:
        st.markdown("We only email you if you say yes. We will tell you when your referrals move on and when new "
                    "opportunities fit your saved searches. You can stop at any time.")
        if st.button("Yes, email me", key="email_consent", type="primary"):
            save({"email": True}, "Thank you. We will email you.")
    else:
        email = st.toggle("Email me", value=preferences["email"], key="email_on")
        quiet = st.toggle("No email between 9pm and 8am", value=preferences["quiet_hours"], key="quiet_hours")
        frequency = st.radio("New saved searches alert me with", list(FREQUENCIES), format_func=FREQUENCIES.get,
                             index=list(FREQUENCIES).index(preferences["frequency"]), key="frequency")
        if st.button("Save", key="save_preferences"):
            save({"email": email, "quiet_hours": quiet, "frequency": frequency}, "Your email choices are saved.")

def delete(search_id: str) -> bool:
    try:
        client.delete_search(search_id)
    except ServiceError as exc:
        st.error(exc.message)
        return False
    return True


if user.role is not Role.EMPLOYER:
    st.subheader("Saved searches")
    searches = session.attempt(client.saved_searches) or {"items": []}
    for search in searches["items"]:
        with st.container(border=True):
            filters = search["filters"]
            parts = [f"words: {plain(search['text'])}" if search["text"] else "any words",
                     *(labels.type_label(t) for t in filters["types"]),
                     *(labels.sector_label(s) for s in filters["sectors"]), *filters["postcode_districts"]]
            state = FREQUENCIES[search["frequency"]] if search["active"] else "Stopped"
            st.markdown(f"**{plain(search['name'])}**  \n{', '.join(parts)}  \n{state}")
            if st.button("Delete", key=f"delete_{search['id']}") and delete(search["id"]):
                flash("Saved search deleted.")
                st.rerun()
    with st.form("new_search"):
        name = st.text_input("Name this search", max_chars=100)
        text = st.text_input("What kind of work (words, matched by meaning)", max_chars=200)
        types = st.multiselect("Types", vocabulary.OPPORTUNITY_TYPES, format_func=labels.type_label)
        sectors = st.multiselect("Sectors", vocabulary.SECTORS, format_func=labels.sector_label)
        frequency = st.radio("Alert me", ["", *FREQUENCIES],
                             format_func=lambda f: FREQUENCIES.get(f, "As my email choices say"))
        if st.form_submit_button("Save search"):
            body = {"name": name, "text": text, "filters": {"types": types, "sectors": sectors},
                    "frequency": frequency or None}
            try:
                client.save_search(body)
            except ServiceError as exc:
                st.error(exc.message)
                for field, message in exc.fields.items():
                    st.caption(f"{field}: {message}")
            else:
                flash("Search saved. We will tell you when something new fits it.")
                st.rerun()

st.subheader("What we sent you")
sent = session.attempt(lambda: client.sent_messages(limit=50)) or {"items": []}
if not sent["items"]:
    st.caption("Nothing yet.")
for item in sent["items"]:
    when = (item["sent_at"] or item["created_at"])[:16].replace("T", " ")
    why = f" ({plain(item['reason'])})" if item["reason"] else ""
    st.markdown(f"{when} · {STATUS.get(item['status'], item['status'])}{why} · "
                f"{plain(item['subject'] or item['kind'].replace('_', ' '))}")
