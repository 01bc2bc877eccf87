"""The scalar eligibility check (opportunities, at referral time) and the matcher's vectorised masks are built
from one rule table; on random people and opportunities they must agree, both ways round."""

from __future__ import annotations

import datetime as dt
import uuid

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.eligibility import age_on, refusals, wage_band
from services.common.minimum_wage import RATES
from services.matching.facts import OpportunityFacts, PersonFacts
from services.matching.index import HnswIndex
from services.matching.ranking import Filters, candidate_mask, opportunity_mask
from services.matching.state import MatchingState

pytestmark = pytest.mark.unit

TODAY = dt.date(2026, 12, 1)

people = st.builds(
    dict,
    date_of_birth=st.dates(dt.date(1990, 1, 1), dt.date(2012, 12, 31)),
    on_universal_credit=st.booleans(),
)
opportunities = st.builds(
    dict,
    start_date=st.dates(TODAY + dt.timedelta(days=1), TODAY + dt.timedelta(days=800)),
    min_age=st.one_of(st.none(), st.integers(16, 30)),
    max_age=st.one_of(st.none(), st.integers(16, 35)),
    requires_universal_credit=st.booleans(),
)


def _opportunity(values: dict, n: int) -> OpportunityFacts:
    # Remote, live and open, so that only the eligibility rules decide.
    return OpportunityFacts(
        opportunity_id=uuid.UUID(int=n + 1), version=1, type="job", status="live", title="t", skills=(),
        sector="digital", level=None, postcode_district="SK1", latitude=53.4, longitude=-2.15, remote=True,
        positions=1, positions_filled=0, closing_date=TODAY + dt.timedelta(days=1), text_hash="",
        start_date=values["start_date"], min_age=values["min_age"], max_age=values["max_age"],
        requires_universal_credit=values["requires_universal_credit"],
    )


def _person(values: dict, n: int) -> PersonFacts:
    return PersonFacts(
        profile_id=uuid.UUID(int=10_000 + n), version=1, status="neet", postcode_district="SK1", latitude=None,
        longitude=None, priority_groups=(), skills=(), interests=(), preferred_types=(), max_travel_km=10.0,
        text_hash="", date_of_birth=values["date_of_birth"], on_universal_credit=values["on_universal_credit"],
    )


def _state(opps: list[OpportunityFacts], persons: list[PersonFacts]) -> MatchingState:
    state = MatchingState(opportunities_index=HnswIndex(4), profiles_index=HnswIndex(4))
    for facts in opps:
        state.put_opportunity(facts, None)
    for facts in persons:
        state.put_person(facts, None)
    return state


def _scalar(person: PersonFacts, opportunity: OpportunityFacts) -> bool:
    return not refusals(
        date_of_birth=person.date_of_birth,
        on_universal_credit=person.on_universal_credit,
        start_date=opportunity.start_date,
        min_age=opportunity.min_age,
        max_age=opportunity.max_age,
        requires_universal_credit=opportunity.requires_universal_credit,
    )


@settings(max_examples=150, deadline=None)
@given(st.lists(people, min_size=1, max_size=8), st.lists(opportunities, min_size=1, max_size=8))
def test_scalar_check_and_both_masks_agree(people_values: list[dict], opportunity_values: list[dict]) -> None:
    opps = [_opportunity(values, n) for n, values in enumerate(opportunity_values)]
    persons = [_person(values, n) for n, values in enumerate(people_values)]
    state = _state(opps, persons)
    for person in persons:
        mask = opportunity_mask(state, person, TODAY, Filters(), None)
        for opportunity in opps:
            row = state.opportunities.row_of(opportunity.opportunity_id)
            assert bool(mask[row]) == _scalar(person, opportunity), (person, opportunity)
    for opportunity in opps:
        mask = candidate_mask(state, opportunity, Filters())
        for person in persons:
            row = state.profiles.row_of(person.profile_id)
            assert bool(mask[row]) == _scalar(person, opportunity), (person, opportunity)


@given(st.dates(dt.date(1990, 1, 1), dt.date(2012, 12, 31)), st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)))
def test_age_on_counts_whole_years(born: dt.date, day: dt.date) -> None:
    age = age_on(born, day)
    had_birthday = (day.month, day.day) >= (born.month, born.day)
    assert age == day.year - born.year - (0 if had_birthday else 1)


@given(st.integers(0, 120))
def test_wage_bands_scalar_and_array_agree_with_the_rate_table(age: int) -> None:
    rates = RATES[-1]
    expected = rates.under_18 if age < 18 else rates.age_18_to_20 if age < 21 else rates.age_21_and_over
    assert rates.for_age(age) == expected
    assert int(wage_band(np.array([age]))[0]) == int(wage_band(age))
