"""The scalar eligibility check (opportunities, at referral time) and the matcher's vectorised masks are built
from one rule table; on random people and opportunities they must agree, both ways round. The publishing check
(every age a posting admits) is built from the same table: a posting that passes it turns nobody in its age range
away for pay, and the least legal pay passes it while a penny less does not."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from services.common.eligibility import (
    WAGE_RULES,
    Posting,
    age_on,
    least_legal_pay,
    refusals,
    wage_band,
    wage_shortfalls,
)
from services.common.minimum_wage import DEFAULT_TABLE, RATES, WageRates, to_pence
from services.matching.facts import OpportunityFacts, PersonFacts
from services.matching.index import HnswIndex
from services.matching.ranking import Filters, candidate_mask, opportunity_mask
from services.matching.state import MatchingState

pytestmark = pytest.mark.unit

TODAY = dt.date(2026, 12, 1)
# The dated table with one more (made-up) rate from April 2027, so start dates and second years span two periods.
RATES_2027 = DEFAULT_TABLE.with_row(
    WageRates(dt.date(2027, 4, 1), Decimal("8.50"), Decimal("8.50"), Decimal("11.40"), Decimal("13.20"))
)
# Every rate in that table, a penny either side: the wages where the rules change their answer.
BOUNDARY_WAGES = sorted(
    {to_pence(rate) + delta for row in RATES_2027.rows for rate in row.columns() for delta in (-1, 0, 1)}
)
wages = st.one_of(st.sampled_from(BOUNDARY_WAGES), st.integers(500, 1500))

people = st.builds(
    dict,
    date_of_birth=st.dates(dt.date(1990, 1, 1), dt.date(2012, 12, 31)),
    on_universal_credit=st.booleans(),
)
opportunities = st.builds(
    dict,
    type=st.sampled_from(["job", "apprenticeship", "kickstart"]),
    start_date=st.dates(TODAY + dt.timedelta(days=1), TODAY + dt.timedelta(days=800)),
    min_age=st.one_of(st.none(), st.integers(16, 30)),
    max_age=st.one_of(st.none(), st.integers(16, 35)),
    requires_universal_credit=st.booleans(),
    wage=wages,
    rise=st.one_of(st.none(), st.integers(0, 600)),
    duration_months=st.one_of(st.none(), st.integers(1, 36)),
)


def _opportunity(values: dict, n: int) -> OpportunityFacts:
    # Remote, live and open, so that only the eligibility rules decide.
    later = values["wage"] + (values["rise"] or 0)
    return OpportunityFacts(
        opportunity_id=uuid.UUID(int=n + 1), version=1, type=values["type"], status="live", title="t", skills=(),
        sector="digital", level=None, postcode_district="SK1", latitude=53.4, longitude=-2.15, remote=True,
        positions=1, positions_filled=0, closing_date=TODAY + dt.timedelta(days=1), text_hash="",
        start_date=values["start_date"], min_age=values["min_age"], max_age=values["max_age"],
        requires_universal_credit=values["requires_universal_credit"], wage_pence=values["wage"],
        later_wage_pence=later, duration_months=values["duration_months"], held_back=False,
    )


def _person(values: dict, n: int) -> PersonFacts:
    return PersonFacts(
        profile_id=uuid.UUID(int=10_000 + n), version=1, status="neet", postcode_district="SK1", latitude=None,
        longitude=None, priority_groups=(), skills=(), interests=(), preferred_types=(), max_travel_km=10.0,
        text_hash="", date_of_birth=values["date_of_birth"], on_universal_credit=values["on_universal_credit"],
    )


def _state(opps: list[OpportunityFacts], persons: list[PersonFacts]) -> MatchingState:
    state = MatchingState(opportunities_index=HnswIndex(4), profiles_index=HnswIndex(4), rates=RATES_2027)
    for facts in opps:
        state.put_opportunity(facts, None)
    for facts in persons:
        state.put_person(facts, None)
    return state


def _scalar(person: PersonFacts, opportunity: OpportunityFacts) -> bool:
    return not refusals(
        date_of_birth=person.date_of_birth,
        on_universal_credit=person.on_universal_credit,
        posting=opportunity.posting(),
        rates=RATES_2027,
    )


@settings(max_examples=200, deadline=None)
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


def _posting(values: dict) -> Posting:
    return _opportunity(values, 0).posting()


@settings(max_examples=300, deadline=None)
@given(opportunities, people)
def test_a_posting_that_passes_the_publishing_check_turns_nobody_in_its_age_range_away_for_pay(
    values: dict, person_values: dict
) -> None:
    posting = _posting(values)
    assume(posting.min_age is None or posting.max_age is None or posting.min_age <= posting.max_age)
    age = age_on(person_values["date_of_birth"], posting.start_date)
    lowest = 16 if posting.min_age is None else posting.min_age
    assume(lowest <= age and (posting.max_age is None or age <= posting.max_age))
    shortfalls = wage_shortfalls(posting, default_min_age=16, rates=RATES_2027)
    refused_for_pay = [
        refusal.rule
        for refusal in refusals(
            date_of_birth=person_values["date_of_birth"], on_universal_credit=True, posting=posting, rates=RATES_2027
        )
        if refusal.rule in WAGE_RULES
    ]
    if not shortfalls:
        assert refused_for_pay == []
    for rule in refused_for_pay:
        assert rule in {shortfall.rule for shortfall in shortfalls}


@settings(max_examples=200, deadline=None)
@given(opportunities)
def test_the_least_legal_pay_passes_the_publishing_check_and_a_penny_less_fails(values: dict) -> None:
    posting = _posting(values)
    assume(posting.min_age is None or posting.max_age is None or posting.min_age <= posting.max_age)
    start, later = least_legal_pay(posting, default_min_age=16, rates=RATES_2027)
    paid = Posting(**{**posting.__dict__, "wage_pence": start, "wage_after_first_year_pence": later})
    assert wage_shortfalls(paid, default_min_age=16, rates=RATES_2027) == []
    short = Posting(**{**paid.__dict__, "wage_pence": start - 1, "wage_after_first_year_pence": later})
    assert "minimum_wage" in {s.rule for s in wage_shortfalls(short, default_min_age=16, rates=RATES_2027)}
    if later is not None:
        short_later = Posting(**{**paid.__dict__, "wage_after_first_year_pence": later - 1})
        found = {s.rule for s in wage_shortfalls(short_later, default_min_age=16, rates=RATES_2027)}
        assert found == {"minimum_wage_after_first_year"}


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
