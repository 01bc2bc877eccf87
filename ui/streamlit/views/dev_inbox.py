"""Development only: the mail the local SMTP server received (infra/mailserver.py keeps it in a Maildir)."""

from __future__ import annotations

import email.policy
import mailbox
from email.message import EmailMessage

import streamlit as st

from ui.streamlit import session
from ui.streamlit.markdown import plain

config = session.settings()
st.title("Development inbox")
if not config.development_mode:
    st.warning("The development inbox is only there in development mode.")
    st.stop()
folder = config.resolved_inbox_dir()
st.caption(f"Everything the notifications service sent to the development SMTP server, newest first ({folder}).")
if not folder.exists():
    st.info("Nothing has been sent yet.")
    st.stop()
box = mailbox.Maildir(folder, factory=None, create=False)
messages: list[EmailMessage] = []
def arrived(key: str) -> tuple[int, int]:
    """Maildir names start with the arrival time: <seconds>.M<microseconds>P<pid>..."""
    seconds, _, rest = key.partition(".M")
    micro = rest.split("P", 1)[0]
    return (int(seconds), int(micro)) if seconds.isdigit() and micro.isdigit() else (0, 0)


for key in sorted(box.keys(), key=arrived, reverse=True):
    raw = box.get_bytes(key)
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    if isinstance(parsed, EmailMessage):
        messages.append(parsed)
to_filter = st.text_input("Only mail to (part of an address)", key="inbox_to")
shown = [m for m in messages if to_filter.lower() in str(m["To"]).lower()]
st.markdown(f"**{len(shown)}** of {len(messages)} messages")
for message in shown[:200]:
    with st.expander(f"{message['Subject']} · to {message['To']}"):
        body = message.get_body(preferencelist=("plain",))
        st.text(body.get_content() if body is not None else "")
        st.caption(plain(f"Unsubscribe header: {str(message.get('List-Unsubscribe', '')).strip()}"))
