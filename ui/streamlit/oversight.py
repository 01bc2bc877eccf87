"""Human oversight on the adviser's pages: a reason for going against the matcher's suggestions (dismissing one,
or referring outside the top suggestions), and the summary of those decisions the events service publishes."""

from __future__ import annotations

from typing import Any

import streamlit as st

from services.messaging import vocabulary
from ui.streamlit import labels, session
from ui.streamlit.client import Api

HIDDEN = "Hidden"


def reason_fields(key: str, *, reason_label: str, required: bool) -> tuple[str | None, str]:
    """A reason from the short list and/or in words; `key` keeps each pair of fields apart."""
    reason = st.selectbox(reason_label, options=vocabulary.OVERSIGHT_REASONS, index=None, key=f"{key}_reason",
                          format_func=labels.OVERSIGHT_REASONS.__getitem__,
                          placeholder="Choose a reason" if required else "Choose a reason (optional)")
    words = st.text_input("In your words", key=f"{key}_words", max_chars=500,
                          help="Needed when the reason is “Other”. Kept with the decision for advisers; never shown "
                               "to employers, and not in the audit log's events.")
    return reason, words.strip()


def outside_the_top(rank: int | None) -> str | None:
    """Why a referral to this choice goes against the suggestions, in words (None: it does not)."""
    if rank is None:
        return "This opportunity was not among the suggestions."
    if rank > vocabulary.TOP_SUGGESTIONS:
        return f"This was suggestion {rank}, outside the top {vocabulary.TOP_SUGGESTIONS}."
    return None


def _shown(figure: dict[str, Any]) -> str:
    return HIDDEN if figure["suppressed"] or figure["value"] is None else f"{figure['value']}"


def summary_section(client: Api, adviser: str | None) -> None:
    """How often suggestions were gone against, and why: the town's or one adviser's figures."""
    st.subheader("Going against the suggestions")
    summary = session.attempt(lambda: client.oversight_summary(adviser=adviser))
    if summary is None:
        return
    figures = summary["figures"]
    cols = st.columns(4)
    cols[0].metric("Suggestion lists seen", figures["lists_served"])
    cols[1].metric("Suggestions dismissed", _shown(figures["dismissed"]))
    cols[2].metric(f"Referrals from the top {vocabulary.TOP_SUGGESTIONS}", _shown(figures["referred_within_top"]))
    cols[3].metric("Referrals outside them or not suggested", _shown(figures["referred_against_suggestions"]))
    rows = [
        {"Reason": labels.OVERSIGHT_REASONS[reason],
         "Dismissals": _shown(figures["dismissed_by_reason"][reason]),
         "Referrals outside the top": _shown(figures["against_by_reason"][reason])}
        for reason in vocabulary.OVERSIGHT_SUMMARY_REASONS
    ]
    st.dataframe(rows, hide_index=True)
    st.caption(f"Every suggestion list shown is kept in the audit log with the decisions made on it. {HIDDEN}: "
               f"fewer than {summary['suppression_threshold']}, or a figure that would let such a count be worked "
               "out from the others.")
