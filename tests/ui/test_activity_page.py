"""The adviser's activity page against the real services: record what a person is doing, see it as their current
activity and in their history; a refusal to say recorded as a contact attempt makes them 830 and puts them on the
list to trace."""

from __future__ import annotations

from tests.ui.apptest import button, open_page, sign_in, texts
from tests.ui.stack import Stack


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
