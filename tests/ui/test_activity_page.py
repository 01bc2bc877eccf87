"""The adviser's activity page against the real services: record what a person is doing, see it as their current
activity and in their history; a refusal to say recorded as a contact attempt makes them 830 and puts them on the
list to trace."""

from __future__ import annotations

import datetime as dt

from infra.seed.synthetic import profile_create
from services.common.school_years import academic_year_of
from tests.ui.apptest import button, open_page, sign_in, texts
from tests.ui.stack import ADVISER, Stack


def test_an_adviser_records_an_activity_and_a_refusal_and_sees_them_to_trace(stack: Stack) -> None:
    at = open_page(sign_in("adviser", "adviser-1"), "views/activity.py")
    person = at.selectbox(key="activity_person")
    assert person.options, texts(at)
    who = person.options[-1]
    person.select_index(len(person.options) - 1).run()
    at.selectbox(key="activity_code").select(310)  # in a form: sent with its button
    at.selectbox(key="activity_source").select("employer")
    button(at, "Record activity").click().run()
    assert not at.error, [e.value for e in at.error]
    shown = texts(at)
    assert "Recorded: 310 Apprenticeship." in shown and "**Now** 310 Apprenticeship, since" in shown, shown
    history = at.dataframe[-1].value
    assert history["Activity"].tolist()[0] == "310 Apprenticeship" and history["To"].tolist()[0] == "now"

    at.selectbox(key="contact_outcome").select("refused")
    button(at, "Record attempt").click().run()
    shown = texts(at)
    assert "Now: 830 Refused to disclose activity." in shown, shown
    to_trace = at.dataframe[0].value
    assert who.split(" (")[0] in to_trace["Name"].tolist()
    assert "830 Refused to disclose activity" in to_trace["Why"].tolist()


def test_an_adviser_plans_an_action_for_a_person_and_marks_it_done(stack: Stack) -> None:
    at = open_page(sign_in("adviser", "adviser-1"), "views/activity.py")
    person = at.selectbox(key="activity_person")
    person.select_index(0).run()
    at.selectbox(key="action_category").select("job_search")  # in a form: sent with its button
    at.text_input(key="action_description").input("Apply for three warehouse jobs")
    button(at, "Add action").click().run()
    assert not at.error, [e.value for e in at.error]
    shown = texts(at)
    assert "Action added: Job search, due" in shown, shown
    planned = next(frame.value for frame in at.dataframe if "Status" in frame.value.columns)
    row = planned[planned["What"] == "Apply for three warehouse jobs"]
    assert row["Action"].tolist() == ["Job search"] and row["Status"].tolist() == ["Open"]

    finished = at.selectbox(key="action_finished")
    finished.select_index(next(i for i, o in enumerate(finished.options) if "Apply for three warehouse jobs" in o))
    at.button(key="action_done").click().run()
    assert "Marked done today." in texts(at)
    planned = next(frame.value for frame in at.dataframe if "Status" in frame.value.columns)
    row = planned[planned["What"] == "Apply for three warehouse jobs"]
    assert row["Status"].tolist()[0].startswith("Done ")


def test_an_adviser_records_the_september_guarantee_of_a_year_11_leaver(stack: Stack) -> None:
    september = academic_year_of(dt.date.today())
    born = dt.date(september - 16, 3, 14)  # 16 on 31 August: left Year 11 this summer
    body = profile_create(given_name="Maisie", family_name="Leaver", date_of_birth=born.isoformat(), status="education")
    created = stack.call("profiles", "POST", "/profiles", json=body, expect=201)
    at = open_page(sign_in("adviser", ADVISER), "views/activity.py")
    person = at.selectbox(key="activity_person")
    person.select_index(next(i for i, o in enumerate(person.options) if o.startswith("Maisie Leaver"))).run()
    assert f"September Guarantee {september}** (Year 11 leavers)" in texts(at)
    at.radio(key="september_outcome").set_value("no_offer")
    button(at, "Record the September Guarantee").click().run()
    assert not at.error, [e.value for e in at.error]
    assert f"September Guarantee {september}: No offer." in texts(at)
    record = stack.call("profiles", "GET", f"/profiles/{created['id']}/activity")
    assert [(o["year"], o["cohort"], o["outcome"]) for o in record["september_guarantee"]] == [
        (september, "year_11", "no_offer")]
