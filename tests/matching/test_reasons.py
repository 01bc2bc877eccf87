"""Reasons for a match speak for it: the skills the person has (never "0 of 5"), the interests the posting speaks
of, distance and the like; the skills still to learn are apart."""

from __future__ import annotations

import datetime as dt

import pytest

from services.matching.facts import OpportunityFacts, PersonFacts
from services.matching.ranking import Weights, explain, fitting_interests
from tests.matching.helpers import person
from tests.support.events import opportunity_snapshot

pytestmark = pytest.mark.unit
WEIGHTS = Weights(similarity=0.6, skills=0.3, distance=0.1)


def _opportunity(**overrides: object) -> OpportunityFacts:
    return OpportunityFacts.from_snapshot(opportunity_snapshot(**overrides), 1, "hash")


def _person(**overrides: object) -> PersonFacts:
    return PersonFacts.from_snapshot(person(**overrides), 1, "hash")


MINING = {"title": "Mining electrician apprentice", "sector": "engineering_manufacturing",
          "description": "Install and repair the electrics of machines underground.",
          "skills": ["wiring", "fault finding", "health and safety", "maths", "teamwork"]}


def test_an_interest_the_posting_speaks_of_is_named_as_a_reason() -> None:
    mining = _opportunity(**MINING)
    young = _person(skills=["cooking"], interests=["electrician", "gardening", "machines", "fixing things"])
    _, why = explain(mining, young, 0.4, WEIGHTS, today=dt.date.today())
    assert why.matched_interests == ["electrician", "machines"]
    assert "interested in electrician, machines" in why.reasons


def test_no_skill_in_common_is_not_a_reason_and_the_gaps_are_things_to_learn() -> None:
    mining = _opportunity(**MINING)
    _, why = explain(mining, _person(skills=["cooking"], interests=[]), 0.4, WEIGHTS, today=dt.date.today())
    assert not any("skill" in reason or reason.startswith(("has 0", "shares")) for reason in why.reasons), why.reasons
    assert why.missing_skills == MINING["skills"]
    _, some = explain(mining, _person(skills=["Wiring", "teamwork"], interests=[]), 0.4, WEIGHTS,
                      today=dt.date.today())
    assert "has 2 of the 5 skills it asks for: wiring, teamwork" in some.reasons
    assert some.missing_skills == ["fault finding", "health and safety", "maths"]


@pytest.mark.parametrize(("interest", "fits"), [
    ("cafes", True), ("cooking", True), ("food", True), ("working with animals", False), ("cars", False),
])
def test_interests_meet_the_words_of_a_posting_not_parts_of_words(interest: str, fits: bool) -> None:
    kitchen = _opportunity(title="Cafe kitchen assistant", description="Cook breakfasts and serve food in our cafe.",
                           skills=["food hygiene"], sector="catering_hospitality")
    assert fitting_interests([interest], kitchen) == ([interest] if fits else [])


def test_skills_written_in_other_case_and_spacing_are_the_same_skill() -> None:
    posting = _opportunity(**MINING)
    score, why = explain(posting, _person(skills=["  Fault\tFINDING ", "Wiring"]), 0.5, WEIGHTS, today=dt.date.today())
    assert why.matched_skills == ["wiring", "fault finding"]
    assert posting.skill_keys == ("wiring", "fault finding", "health and safety", "maths", "teamwork")
