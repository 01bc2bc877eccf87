"""Adviser: the returns England and the Youth Guarantee ask of the hub, as at any day, for the town or one caseload:
the DfE headline measure, the Youth Guarantee indicators, the September Guarantee and the monthly activity extract.
Small groups are hidden as the service says."""

from __future__ import annotations

import datetime as dt
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from services.common.auth import Role
from ui.streamlit import labels, session
from ui.streamlit.figures import figure, hidden_means
from ui.streamlit.widgets import require

user = require(Role.ADVISER)
client = session.api()
st.title("Returns and indicators")
st.caption("Worked out from the activity record as it stood on the day you choose. Figures with fewer than a few "
           "people behind them are hidden, as on the Guarantee dashboard.")

today = dt.date.today()
left, right = st.columns([2, 1])
scope = left.segmented_control("Show", options=["town", "mine"], default="town", key="returns_scope", required=True,
                               format_func={"town": "Whole town", "mine": "My caseload"}.__getitem__)
as_at = right.date_input("As at", value=today, max_value=today, key="returns_as_at", format="DD/MM/YYYY")
caseload = {"adviser_id": user.sub} if scope == "mine" else {}
common = {"as_at": as_at.isoformat(), **caseload}


def rows_frame(rows: list[dict[str, Any]], names: dict[str, str], label_of: dict[str, str], *,
               shares: bool = True, decimals: int = 0) -> pd.DataFrame:
    """A return's rows as a table: the row's size, then each category's count and (if shown) share."""
    table = []
    for row in rows:
        line = {"": label_of.get(row["label"], row["label"]), "People": figure(row["size"], decimals=decimals)}
        for name, title in names.items():
            if name in row["counts"]:
                line[title] = figure(row["counts"][name], decimals=decimals)
            if shares and name in row["shares"]:
                line[f"{title} %"] = figure(row["shares"][name], percent=True, decimals=1)
        table.append(line)
    return pd.DataFrame(table)


def shares_chart(points: list[dict[str, Any]], x: str, x_title: str, *, sort: list[str] | None = None) -> None:
    """Stacked shares (0-1) by `x`; hidden figures are left out of the chart (the table says they are hidden)."""
    frame = pd.DataFrame([p for p in points if p["Share"] is not None])
    if frame.empty or not frame["Share"].any():
        st.caption("Nothing to chart: every figure is hidden, none yet or 0.")
        return
    chart = alt.Chart(frame).mark_bar().encode(
        x=alt.X(f"{x}:N", title=x_title, sort=sort),
        y=alt.Y("Share:Q", title="Share", axis=alt.Axis(format=".0%")),
        color=alt.Color("What:N", title=None),
        tooltip=[x, "What", alt.Tooltip("Share:Q", format=".1%")],
    )
    st.altair_chart(chart, width="stretch")


def share_of(value: dict[str, Any]) -> float | None:
    return None if value["suppressed"] or value["value"] is None else float(value["value"])


def download(label: str, table: str, filename: str, **params: Any) -> None:
    data = session.attempt(lambda: client.returns_csv(table, **params))
    if data is not None:
        st.download_button(label, data=data, file_name=filename, mime="text/csv", key=f"csv_{table}")


headline_tab, indicators_tab, september_tab, extract_tab = st.tabs(
    ["Headline measure", "Youth Guarantee indicators", "September Guarantee", "Monthly extract"])

with headline_tab:
    # The newest winter with a month end reached: this December's once its last day has come.
    default_winter = as_at.year if as_at >= dt.date(as_at.year, 12, 31) else as_at.year - 1
    winters = list(range(default_winter, default_winter - 5, -1))
    winter = st.selectbox("Winter", winters, key="returns_winter",
                          format_func=lambda year: f"December {year} to February {year + 1}")
    headline = session.attempt(lambda: client.returns("headline", winter=winter, **common),
                               spinner="Counting the 16 and 17 year olds...")
    if headline is not None:
        st.markdown("The Department for Education's measure: young people aged 16 and 17 (academic age) known to the "
                    "hub who are **not in education, employment or training (NEET)** or whose activity is **not "
                    "known**, as a share of all of them, on the last day of December, January and February, averaged.")
        average = {row["label"]: row for row in headline["average"]}
        overall = average.get("all")
        if overall is not None:
            cols = st.columns(4)
            cols[0].metric("NEET or not known", figure(overall["shares"]["neet_or_not_known"], percent=True,
                                                       decimals=1))
            cols[1].metric("NEET", figure(overall["shares"]["neet"], percent=True, decimals=1))
            cols[2].metric("Not known", figure(overall["shares"]["not_known"], percent=True, decimals=1))
            cols[3].metric("16-17 year olds (mean per month)", figure(overall["size"], decimals=1))
        if not headline["complete"]:
            st.info(f"This winter is not over on {labels.day(headline['as_at'])}: the average is over the month ends "
                    "reached so far.", icon="ℹ️")
        points, order = [], []
        for end, rows in sorted(headline["months"].items()):
            everyone = next((row for row in rows if row["label"] == "all"), None)
            if everyone is None:
                continue
            month = dt.date.fromisoformat(end).strftime("%b %Y")
            order.append(month)
            points += [{"Month": month, "What": "NEET", "Share": share_of(everyone["shares"]["neet"])},
                       {"Month": month, "What": "Not known", "Share": share_of(everyone["shares"]["not_known"])}]
        if points:
            st.caption("Each month end: NEET and not known as a share of the 16-17 year olds")
            shares_chart(points, "Month", "Month end", sort=order)
        names = {"neet": "NEET", "not_known": "Not known", "neet_or_not_known": "NEET or not known"}
        groups = {"all": "Everyone", **labels.PRIORITY_GROUPS}
        st.caption("The three-month average" + (" by priority group" if len(headline["average"]) > 1 else ""))
        st.dataframe(rows_frame(headline["average"], names, groups, decimals=1), hide_index=True)
        st.caption(hidden_means(headline["suppression_threshold"]))
        with st.expander("How this measure is made"):
            for note in headline["notes"]:
                st.markdown(f"- {note}")
        download("Download as CSV", "headline", f"headline-{winter}.csv", winter=winter, **common)

with indicators_tab:
    since = st.date_input("Exits since", value=as_at - dt.timedelta(days=365), max_value=as_at,
                          key="returns_since", format="DD/MM/YYYY")
    indicators = session.attempt(lambda: client.returns("indicators", since=since.isoformat(), **common),
                                 spinner="Working out the indicators...")
    if indicators is not None:
        deadline = indicators["deadline_days"]
        st.markdown(f"The Youth Guarantee promises a good offer within **{deadline} days** of becoming NEET. These are "
                    "the EU framework's indicators: who is waiting, how people leave the waiting list, and where "
                    "they are 6, 12 and 18 months later (outcomes nobody knows count as *unknown*).")
        waiting = indicators["waiting"]
        timeliness = indicators["exits_by_timeliness"]
        cols = st.columns(4)
        if indicators["neet_population_estimate"] is None:
            cols[0].metric("Coverage", "not set", help="Coverage needs the hub's estimate of NEET young people in "
                                                       "the town (EVENTS_NEET_POPULATION_ESTIMATE).")
        else:
            cols[0].metric("Coverage", figure(indicators["coverage"], percent=True, decimals=1),
                           help=f"People waiting for an offer against the estimate of "
                                f"{indicators['neet_population_estimate']} NEET young people in the town.")
        cols[1].metric("Waiting now", figure(waiting["size"]))
        cols[2].metric(f"Waiting over {deadline} days", figure(waiting["shares"]["beyond_deadline"], percent=True))
        cols[3].metric("Left the list", figure(timeliness["size"]))
        outcome_cols = st.columns(3)
        outcome_cols[0].metric("Left in time", figure(timeliness["shares"]["timely"], percent=True))
        outcome_cols[1].metric("Left for work, an apprenticeship, education or a traineeship",
                       figure(timeliness["shares"]["positive"], percent=True))
        outcome_cols[2].metric("Both", figure(timeliness["shares"]["timely_positive"], percent=True))

        def bars(row: dict[str, Any], label_of: dict[str, str], title: str) -> None:
            frame = pd.DataFrame([{"How": label_of.get(name, name), "People": value["value"], "Shown": figure(value)}
                                  for name, value in row["counts"].items()])
            visible = frame[frame["People"].notna() & (frame["People"] > 0)]
            st.caption(title)
            if not visible.empty:
                st.altair_chart(alt.Chart(visible).mark_bar().encode(
                    x=alt.X("People:Q"), y=alt.Y("How:N", title=None, sort="-x"), tooltip=["How", "People"]),
                    width="stretch")
            st.dataframe(frame[["How", "Shown"]].rename(columns={"Shown": "People"}), hide_index=True)

        left, right = st.columns(2)
        with left:
            bars(indicators["exits_by_type"], labels.EXIT_TYPE, "How people left the waiting list")
        with right:
            bars(indicators["exits_by_destination"], labels.ACTIVITY_GROUP,
                 "What they did next (their activity when the clock stopped, or the first one after)")
        st.subheader("After leaving")
        points = []
        for months, row in indicators["follow_up"].items():
            for name, value in row["shares"].items():
                points.append({"After": f"{months} months", "What": labels.ACTIVITY_GROUP.get(name, name),
                               "Share": share_of(value)})
        if any(point["Share"] is not None for point in points):
            shares_chart(points, "After", "Time since leaving", sort=[f"{m} months" for m in (6, 12, 18)])
        situations = {name: labels.ACTIVITY_GROUP.get(name, name)
                      for name in next(iter(indicators["follow_up"].values()))["counts"]} \
            if indicators["follow_up"] else {}
        st.dataframe(rows_frame([{**row, "label": f"{months} months"} for months, row in
                                 indicators["follow_up"].items()], situations, {}, shares=False), hide_index=True)
        st.caption(hidden_means(indicators["suppression_threshold"]))
        with st.expander("How these indicators are made"):
            for note in indicators["notes"]:
                st.markdown(f"- {note}")
        download("Download as CSV", "indicators", f"indicators-{as_at.isoformat()}.csv", since=since.isoformat(),
                 **common)

with september_tab:
    latest = as_at.year if as_at.month >= 9 else as_at.year - 1
    year = st.selectbox("September", list(range(latest, latest - 5, -1)), key="returns_september")
    september = session.attempt(lambda: client.returns("september-guarantee", year=year, **common),
                                spinner="Counting the cohorts...")
    if september is not None:
        st.markdown(f"Every young person leaving Year 11 or Year 12 in summer {year} should have had an offer of a "
                    f"suitable place in education or training by the end of September {year}.")
        outcomes = labels.SEPTEMBER_OUTCOME
        st.dataframe(rows_frame(september["cohorts"], outcomes, labels.SEPTEMBER_COHORT), hide_index=True)
        points = [{"Cohort": labels.SEPTEMBER_COHORT[row["label"]], "What": outcomes[name], "Share": share_of(value)}
                  for row in september["cohorts"] for name, value in row["shares"].items()]
        shares_chart(points, "Cohort", "Cohort")
        st.caption(hidden_means(september["suppression_threshold"]))
        with st.expander("How this table is made"):
            for note in september["notes"]:
                st.markdown(f"- {note}")
        download("Download as CSV", "september-guarantee", f"september-guarantee-{year}.csv", year=year, **common)

with extract_tab:
    st.markdown("The monthly activity extract for the Department for Education's return: one row per young person "
                "known to the hub at the month end, in NCCIS-like columns (the mapping is in "
                "`docs/nccis-extract.md`). People are named by a reference, never their name. It holds activity "
                "codes that say something about health or religion, so **every download is recorded**; keep the "
                "file on the council's systems only.")
    last_month = (as_at.replace(day=1) - dt.timedelta(days=1))
    months = [f"{(last_month.year * 12 + last_month.month - 1 - back) // 12:04d}-"
              f"{(last_month.month - 1 - back) % 12 + 1:02d}" for back in range(18)]
    month = st.selectbox("Month", months, key="returns_extract_month",
                         format_func=lambda m: dt.date.fromisoformat(f"{m}-01").strftime("%B %Y"))
    if st.button("Prepare the extract", key="returns_extract_prepare"):
        content = session.attempt(lambda: client.returns_csv("extract", month=month, **common),
                                  spinner="Preparing the extract...")
        if content is not None:
            st.session_state["returns_extract"] = (month, scope, content)
    prepared = st.session_state.get("returns_extract")
    if prepared is not None and prepared[:2] == (month, scope):
        rows = max(prepared[2].count("\n") - 1, 0)
        st.success(f"The extract for {dt.date.fromisoformat(month + '-01'):%B %Y} is ready: {rows} young people.")
        st.download_button("Download the extract (CSV)", data=prepared[2], file_name=f"activity-extract-{month}.csv",
                           mime="text/csv", key="returns_extract_download")
