"""Adviser: the guarantee summary as figures and charts, and how often advisers went against the matcher's
suggestions; small groups are hidden as the service says."""

from __future__ import annotations

import datetime as dt
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from services.common.auth import Role
from ui.streamlit import labels, session
from ui.streamlit.client import ServiceError
from ui.streamlit.figures import HIDDEN, figure, hidden_means
from ui.streamlit.oversight import summary_section
from ui.streamlit.widgets import require

user = require(Role.ADVISER)
client = session.api()
st.title("Guarantee dashboard")

scope = st.segmented_control("Show", options=["town", "mine"], default="town", key="dash_scope", required=True,
                             format_func={"town": "Whole town", "mine": "My caseload"}.__getitem__)
summary = session.attempt(lambda: client.guarantee_summary(adviser=user.sub if scope == "mine" else None),
                          spinner="Adding up the figures...")
if summary is None:
    st.stop()
threshold = summary["suppression_threshold"]
HIDDEN_MEANS = hidden_means(threshold)


overall = summary["overall"]
st.caption(f"As at {labels.day(summary['as_at'])}. The guarantee: an offer within {summary['deadline_days']} days; "
           f"“at risk” after {summary['warning_days']:.0f} days.")
cols = st.columns(4)
cols[0].metric("Young people with a clock", figure(overall["size"]))
cols[1].metric("Median days to an offer", figure(overall["median_days_to_offer"], days=True))
cols[2].metric("Offers within the deadline", figure(overall["share_offered_within_deadline"], percent=True))
cols[3].metric(":red[Overdue] now", figure(overall["counts"]["overdue"]))

st.subheader("Everyone, by guarantee status")
status_rows = [
    {"Status": labels.guarantee_text(status), "People": value["value"], "colour": labels.guarantee(status)[1],
     "order": labels.guarantee(status)[3], "shown": figure(value)}
    for status, value in overall["counts"].items()
]
frame = pd.DataFrame(status_rows).sort_values("order")
visible = frame[frame["People"].notna()]
palette = {"red": "#d62728", "orange": "#ff7f0e", "green": "#2ca02c", "violet": "#9467bd", "blue": "#1f77b4",
           "gray": "#7f7f7f"}
if not visible.empty:
    chart = alt.Chart(visible).mark_bar().encode(
        x=alt.X("People:Q", title="People"),
        y=alt.Y("Status:N", sort=list(visible["Status"]), title=None),
        color=alt.Color("Status:N", scale=alt.Scale(domain=list(visible["Status"]),
                                                   range=[palette[c] for c in visible["colour"]]), legend=None),
        tooltip=["Status", "People"],
    )
    st.altair_chart(chart, width="stretch")
st.dataframe(frame[["Status", "shown"]].rename(columns={"shown": "People"})
             .style.map(labels.guarantee_cell_style, subset=["Status"]), hide_index=True)

st.subheader("By priority group")
group_rows = []
for group in summary["groups"]:
    row = {"Group": labels.PRIORITY_GROUPS.get(group["group"], group["group"]), "People": figure(group["size"])}
    for status, value in group["counts"].items():
        row[labels.guarantee_text(status)] = figure(value)
    row["Median days to offer"] = figure(group["median_days_to_offer"], days=True)
    row["Within deadline"] = figure(group["share_offered_within_deadline"], percent=True)
    group_rows.append(row)
st.dataframe(pd.DataFrame(group_rows), hide_index=True)
st.caption(HIDDEN_MEANS)
with st.expander("How these figures are made"):
    for note in summary["notes"]:
        st.markdown(f"- {note}")

st.subheader("Outcomes")
today = dt.date.today()
months = [f"{(today.year * 12 + today.month - 1 - back) // 12:04d}-{(today.month - 1 - back) % 12 + 1:02d}"
          for back in range(24)]
period = st.selectbox("Period", [None, *months], key="outcomes_period",
                      format_func=lambda month: "All time" if month is None else
                      dt.date.fromisoformat(f"{month}-01").strftime("%B %Y"),
                      help="Figures are published for whole months or all time only, so that no two periods "
                           "differ by a few people.")
stats = session.attempt(lambda: client.stats(period))
if stats is not None:
    def count(value: int | None) -> str:
        return "Hidden" if value is None else f"{value}"

    cols = st.columns(4)
    cols[0].metric("Registered", count(stats["registered_young_people"]))
    cols[1].metric("Not in work, education or training now", count(stats["neet_now"]))
    cols[2].metric("Referrals", count(stats["referrals"]))
    cols[3].metric("Starts", count(stats["starts"]))
    cols = st.columns(4)
    cols[0].metric("Interviews", count(stats["interviews"]))
    cols[1].metric("Offers", count(stats["offers"]))
    cols[2].metric("Live opportunities", stats["live_opportunities"])
    cols[3].metric("Open places", stats["open_positions"])
    if stats["suppressed"]:
        st.caption(HIDDEN_MEANS)
    starts = {labels.type_label(kind): number for kind, number in stats["starts_by_type"].items() if number}
    if starts:
        hidden_types = [labels.type_label(kind) for kind, number in stats["starts_by_type"].items() if number is None]
        st.caption("Starts by type" + (f" (hidden: {', '.join(hidden_types)})" if hidden_types else ""))
        st.bar_chart(pd.Series(starts, name="Starts"), horizontal=True)

st.subheader("Who the candidate lists show")
st.caption("For each open opportunity, advisers see the young people it suits best. Is each priority group shown as "
           "often as its share of the eligible young people? A ratio of 1 means yes; below 1, less often.")
try:
    with st.spinner("Reading the candidate lists..."):
        audit = client.exposure()
except ServiceError as err:
    audit = None
    if err.status in (None, 503):  # the matcher is away, or the first audit is still being made
        st.info("The exposure figures aren't ready: they need the suggestions service and take a moment to work "
                "out. Please look again in a minute.", icon="ℹ️")
    else:
        session.show_error(err)
if audit is not None:
    kinds = {kind["type"]: kind for kind in audit["kinds"]}
    chosen = st.selectbox("Opportunity type", list(kinds), key="exposure_type",
                          format_func=lambda kind: "All types" if kind == "all" else labels.type_label(kind))
    kind = kinds[chosen or "all"]

    def share(value: dict[str, Any]) -> str:
        if value["suppressed"]:
            return HIDDEN
        return "none" if value["value"] is None else f"{float(value['value']) * 100:.0f}%"

    def ratio(value: dict[str, Any]) -> str:
        if value["suppressed"]:
            return HIDDEN
        return "-" if value["value"] is None else f"{float(value['value']):.2f}"

    st.caption(f"As at {labels.moment(audit['as_at'])}: {kind['opportunities']} open opportunities, "
               f"{figure(kind['people'])} eligible young people, the top {audit['list_length']} of each list.")
    st.dataframe(pd.DataFrame([
        {"Group": labels.PRIORITY_GROUPS.get(group["group"], group["group"]),
         "Eligible people": figure(group["people"]), "Share of eligible": share(group["eligible_share"]),
         "Share of exposure": share(group["exposure_share"]), "Ratio": ratio(group["ratio"])}
        for group in kind["groups"]
    ]), hide_index=True)
    st.caption(HIDDEN_MEANS)
    with st.expander("How the exposure is measured"):
        for note in audit["notes"]:
            st.markdown(f"- {note}")

summary_section(client, user.sub if scope == "mine" else None)
