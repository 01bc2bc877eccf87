"""Adviser: the caseload, most urgent first, with the guarantee clock in words and colour."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from services.common.auth import Role
from services.messaging import vocabulary
from ui.streamlit import labels, session
from ui.streamlit.client import ServiceError
from ui.streamlit.markdown import plain
from ui.streamlit.widgets import require

user = require(Role.ADVISER)
client = session.api()
st.title("Caseload")


def load() -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]], list[dict[str, Any]], list[str]]:
    """Profiles, clocks and open interest requests, each loaded in turn with progress shown."""
    problems: list[str] = []
    bar = st.progress(0.0, text="Loading your young people...")
    people: list[dict[str, Any]] = []
    clocks: dict[str, dict[str, Any]] = {}
    interests: list[dict[str, Any]] = []
    try:
        people = client.all_profiles(adviser_id=user.sub)
    except ServiceError as err:
        session.show_error(err)
        bar.empty()
        st.stop()
    bar.progress(0.4, text="Loading guarantee clocks...")
    try:
        clocks = {row["profile_id"]: row for row in client.all_guarantee_rows(adviser=user.sub)}
    except ServiceError as err:
        problems.append(f"Guarantee clocks are not shown: {err.message}")
    bar.progress(0.8, text="Loading interest requests...")
    try:
        interests = client.interests(adviser_id=user.sub, open_only=True, limit=100)["items"]
    except ServiceError as err:
        problems.append(f"Interest requests are not shown: {err.message}")
    bar.empty()
    return people, clocks, interests, problems


people, clocks, interests, problems = load()
for problem in problems:
    st.warning(problem, icon="⚠️")
by_id = {person["id"]: person for person in people}


def open_person(profile_id: str) -> None:
    st.session_state["person_id"] = profile_id
    st.switch_page("views/person.py", query_params={"person": profile_id})


rows = []
for person in people:
    clock = clocks.get(person["id"])
    words, _, _, order = labels.guarantee(clock["status"] if clock else None)
    rows.append({
        "id": person["id"],
        "Name": labels.full_name(person),
        "Guarantee": labels.guarantee_text(clock["status"] if clock else None),
        "Days waiting": clock["days_waiting"] if clock else None,
        "Days left": clock["days_left"] if clock else None,
        "Priority groups": labels.groups_text(person["priority_groups"]),
        "Status": labels.PROFILE_STATUS_SHORT.get(person["status"], person["status"]),
        "Age": person["age"],
        "Postcode": person["postcode"],
        "_order": order,
        "_status": clock["status"] if clock else "",
        "_groups": person["priority_groups"],
        "_search": " ".join([labels.full_name(person), person["postcode"], *person["skills"],
                             *person["interests"]]).lower(),
    })

if not rows:
    st.info("You have no young people yet. Use “Register a young person” to add someone.")
    st.stop()

frame = pd.DataFrame(rows)
top = st.columns(4)
top[0].metric("Young people", len(frame))
# The counts are the guarantee summary's for this caseload, so small ones are hidden here as everywhere else.
summary = session.attempt(lambda: client.guarantee_summary(adviser=user.sub)) if clocks else None
figures = summary["overall"]["counts"] if summary else {}
threshold = summary["suppression_threshold"] if summary else None
for column, status in zip(top[1:], ("overdue", "at_risk", "on_track"), strict=True):
    figure = figures.get(status)
    if figure is None:
        column.metric(labels.guarantee_markdown(status), "not shown")
    elif figure["suppressed"]:
        column.metric(labels.guarantee_markdown(status), "Hidden",
                      help=f"Fewer than {threshold} people, or a count that would let such a figure be worked out "
                           "from the others: the published figures hide it everywhere.")
    else:
        column.metric(labels.guarantee_markdown(status), int(figure["value"]))

if interests:
    with st.expander(f"Asked to be referred ({len(interests)})", expanded=len(interests) <= 3,
                     icon=":material/front_hand:"):
        st.caption("Young people who pressed “I'm interested”. Open their page to refer them.")
        for interest in interests:
            asker = by_id.get(interest["profile_id"])
            name = labels.full_name(asker) if asker else "A young person"
            left, right = st.columns([4, 1], vertical_alignment="center")
            left.markdown(f"**{plain(name)}** is interested in **{plain(interest['opportunity_title'])}** "
                          f"({labels.type_label(interest['opportunity_type'])}, {plain(interest['employer_name'])})"
                          + (f"  \n“{plain(interest['message'])}”" if interest.get("message") else ""))
            if asker is not None and right.button("Open their page", key=f"interest_{interest['id']}"):
                open_person(asker["id"])

with st.container(border=True):
    search = st.text_input("Search by name, skill or postcode", key="caseload_search")
    left, middle, right = st.columns(3)
    by_urgency = sorted(vocabulary.GUARANTEE_STATUSES, key=lambda s: labels.guarantee(s)[3])
    status_filter = left.multiselect(
        "Guarantee status", options=[*by_urgency, "none"], key="caseload_status",
        format_func=lambda s: labels.guarantee_text(None if s == "none" else s),
    )
    group_filter = middle.selectbox("Priority group", options=["", *vocabulary.PRIORITY_GROUPS], key="caseload_group",
                                    format_func=lambda g: labels.PRIORITY_GROUPS.get(g, "Any"))
    neet_only = right.checkbox("Only those not in work, education or training", key="caseload_neet")

view = frame
if search.strip():
    view = view[view["_search"].str.contains(search.strip().lower(), regex=False)]
if status_filter:
    wanted = {"" if s == "none" else s for s in status_filter}
    view = view[view["_status"].isin(wanted)]
if group_filter:
    view = view[view["_groups"].apply(lambda groups: group_filter in groups)]
if neet_only:
    view = view[view["Status"] == "NEET"]
view = view.sort_values(["_order", "Days left", "Days waiting"], ascending=[True, True, False], na_position="last")

st.caption(f"Showing {len(view)} of {len(frame)}, most urgent first. Select a row to open the person.")
shown_columns = ["Name", "Guarantee", "Days waiting", "Days left", "Priority groups", "Status", "Age", "Postcode"]
selection = st.dataframe(
    view[shown_columns].style.map(labels.guarantee_cell_style, subset=["Guarantee"]),  # only what is shown
    hide_index=True,
    column_config={
        "Days waiting": st.column_config.NumberColumn(format="%d"),
        "Days left": st.column_config.NumberColumn(format="%d", help="Days until the guarantee deadline"),
    },
    on_select="rerun",
    selection_mode="single-row",
    key="caseload_table",
)
chosen = selection.selection.rows if selection is not None else []  # type: ignore[union-attr]
if chosen:
    open_person(str(view.iloc[chosen[0]]["id"]))

with st.form("open_person_form", border=False):
    ids = list(view["id"])
    pick = st.selectbox("Or choose a person to open", options=ids, key="caseload_pick",
                        format_func=lambda i: str(by_id[i]["given_name"] + " " + by_id[i]["family_name"]))
    if st.form_submit_button("Open") and pick:
        open_person(str(pick))
