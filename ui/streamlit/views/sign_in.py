"""Sign in: the seeded demo users in development mode; the organisation's sign-in (st.login) otherwise."""

from __future__ import annotations

import streamlit as st

from services.common.auth import Role
from ui.streamlit import labels, session
from ui.streamlit.client import ServiceError
from ui.streamlit.session import DemoUser

config = session.settings()
st.title("Youth Guarantee")
st.write("Find work, training and apprenticeships around Stockport, with help from the Youth Employment hub.")
st.page_link("views/transparency.py", label="How suggestions are made, and how to question them",
             icon=":material/policy:")

if not config.development_mode:
    st.button("Sign in", type="primary", icon=":material/login:",
              on_click=st.login, args=(config.login_provider,) if config.login_provider else ())
    st.stop()

st.subheader("Sign in as a demo user")
st.caption("Development mode: choose one of the demo users made by `youth-guarantee seed`. No password needed.")


def demo_people() -> tuple[list[DemoUser], list[DemoUser], list[DemoUser], list[str]]:
    """Demo advisers (by their records, when the hub has them), employers and young people, asked of the services
    now (never cached: these are people)."""
    problems: list[str] = []
    employers: list[DemoUser] = []
    people: list[DemoUser] = []
    client = session.demo_api(config)
    advisers = []
    for sub in config.demo_advisers:
        try:
            record = client.adviser(sub)
        except ServiceError as err:
            problems.append(err.message)
            record = None
        advisers.append(DemoUser(Role.ADVISER, sub, record["name"], f"{sub}, {record['team']}") if record
                        else DemoUser(Role.ADVISER, sub, f"Adviser {sub}", "Youth Employment hub"))
    try:
        page = client.employers(limit=config.demo_employers)
        employers = [DemoUser(Role.EMPLOYER, item["id"], item["name"], labels.sector_label(item["sector"]))
                     for item in page["items"]]
    except ServiceError as err:
        problems.append(err.message)
    try:
        page = client.profiles(status="neet", limit=config.demo_young_people)
        people = [DemoUser(Role.YOUNG_PERSON, item["id"], labels.full_name(item),
                           f"age {item['age']}, adviser {item.get('adviser_id') or 'none'}")
                  for item in page["items"]]
    except ServiceError as err:
        problems.append(err.message)
    return advisers, employers, people, problems


with st.spinner("Finding the demo users..."):
    advisers, employers, people, problems = demo_people()
for problem in dict.fromkeys(problems):
    st.warning(problem, icon="⚠️")


def chooser(title: str, users: list[DemoUser], key: str, empty: str) -> None:
    with st.container(border=True):
        st.markdown(f"**{title}**")
        if not users:
            st.caption(empty)
            return
        choice = st.selectbox(
            f"Choose {title.lower()}", options=range(len(users)), key=f"pick_{key}",
            format_func=lambda i: f"{users[i].name} ({users[i].detail})" if users[i].detail else users[i].name,
        )
        if st.button(f"Sign in as {title.lower()}", key=f"go_{key}", type="primary"):
            session.sign_in(config, users[choice or 0])
            st.rerun()


left, middle, right = st.columns(3)
with left:
    chooser("An adviser", advisers, "adviser", "No advisers configured.")
with middle:
    chooser("An employer", employers, "employer", "No employers yet: run `youth-guarantee seed`.")
with right:
    chooser("A young person", people, "young_person", "No young people yet: run `youth-guarantee seed`.")
