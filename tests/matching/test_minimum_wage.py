"""The matcher never suggests a posting whose pay is below the suggested person's legal minimum on the start date,
in either direction (matches for a person, candidates for an opportunity), counts an apprenticeship's second year
for those 19 or over by then, and offers a posting held back below a new rate to nobody until it is fixed.
Identical texts, so only the rules decide."""

from __future__ import annotations

from typing import Any

from infra.seed.synthetic import birth_date_for_age
from services.common.minimum_wage import rates_on
from services.messaging.contract import EventType
from tests.matching.helpers import Matcher, opportunity_ids, person, profile_ids
from tests.support.events import opportunity_event, opportunity_snapshot, profile_event, typical_start_date

TEXT = {
    "title": "Cafe counter assistant",
    "description": "Serve coffee and cakes, take payments and keep the counter tidy in a busy high street cafe.",
    "skills": ["customer service", "cash handling"],
    "sector": "catering_hospitality",
}
LIKES = {"skills": ["customer service", "cash handling"], "interests": ["cafes"], "about": "Likes serving people."}


def _rates() -> Any:
    rates = rates_on(typical_start_date())
    assert rates is not None
    return rates


def _aged(age: int) -> Any:
    return person(**LIKES, date_of_birth=birth_date_for_age(age, typical_start_date()))


def test_a_job_for_16_and_over_at_the_under_18_rate_is_suggested_to_17_year_olds_only(matcher: Matcher) -> None:
    under_18 = float(_rates().under_18)
    job = opportunity_snapshot(**TEXT, type="job", min_age=16, max_age=None, wage_per_hour=under_18)
    fair = opportunity_snapshot(**TEXT, type="job", min_age=16, max_age=None,
                                wage_per_hour=float(_rates().age_21_and_over))
    people = {age: _aged(age) for age in (17, 18, 20, 21, 25)}
    matcher.publish(opportunity_event(job), opportunity_event(fair), *(profile_event(p) for p in people.values()))
    matcher.wait_known(job.opportunity_id, fair.opportunity_id, *(p.profile_id for p in people.values()))

    for age, young in people.items():
        found = opportunity_ids(matcher.matches_for(young.profile_id, k=50))
        assert str(fair.opportunity_id) in found, age
        assert (str(job.opportunity_id) in found) == (age < 18), f"aged {age}: {found}"
    candidates = profile_ids(matcher.candidates_for(job.opportunity_id, k=50))
    assert str(people[17].profile_id) in candidates
    assert not {str(people[age].profile_id) for age in (18, 20, 21, 25)} & set(candidates)
    everyone = set(profile_ids(matcher.candidates_for(fair.opportunity_id, k=50)))
    assert {str(p.profile_id) for p in people.values()} <= everyone


def test_a_job_at_the_18_to_20_rate_is_kept_from_those_21_and_over(matcher: Matcher) -> None:
    job = opportunity_snapshot(**TEXT, type="job", min_age=16, max_age=None,
                               wage_per_hour=float(_rates().age_18_to_20))
    twenty, twenty_one = _aged(20), _aged(21)
    matcher.publish(opportunity_event(job), profile_event(twenty), profile_event(twenty_one))
    matcher.wait_known(job.opportunity_id, twenty.profile_id, twenty_one.profile_id)
    assert str(job.opportunity_id) in opportunity_ids(matcher.matches_for(twenty.profile_id, k=50))
    assert str(job.opportunity_id) not in opportunity_ids(matcher.matches_for(twenty_one.profile_id, k=50))
    candidates = profile_ids(matcher.candidates_for(job.opportunity_id, k=50))
    assert str(twenty.profile_id) in candidates and str(twenty_one.profile_id) not in candidates


def test_a_two_year_apprenticeship_at_the_apprentice_rate_is_for_those_under_19_in_its_second_year(
    matcher: Matcher,
) -> None:
    apprentice = float(_rates().apprentice)
    flat = opportunity_snapshot(**TEXT, type="apprenticeship", level=2, duration_months=24, min_age=16,
                                max_age=None, wage_per_hour=apprentice)
    rising = opportunity_snapshot(**TEXT, type="apprenticeship", level=2, duration_months=24, min_age=16,
                                  max_age=None, wage_per_hour=apprentice,
                                  wage_after_first_year=float(_rates().age_21_and_over))
    year = opportunity_snapshot(**TEXT, type="apprenticeship", level=2, duration_months=12, min_age=16,
                                max_age=None, wage_per_hour=apprentice)
    seventeen, eighteen, twenty_three = _aged(17), _aged(18), _aged(23)  # 18, 19 and 24 when the second year starts
    matcher.publish(*(opportunity_event(o) for o in (flat, rising, year)),
                    *(profile_event(p) for p in (seventeen, eighteen, twenty_three)))
    matcher.wait_known(flat.opportunity_id, rising.opportunity_id, year.opportunity_id, seventeen.profile_id,
                       eighteen.profile_id, twenty_three.profile_id)

    for young, gets_flat in ((seventeen, True), (eighteen, False), (twenty_three, False)):
        found = opportunity_ids(matcher.matches_for(young.profile_id, k=50))
        assert (str(flat.opportunity_id) in found) == gets_flat
        assert str(rising.opportunity_id) in found and str(year.opportunity_id) in found
    ours = {str(p.profile_id) for p in (seventeen, eighteen, twenty_three)}
    assert ours & set(profile_ids(matcher.candidates_for(flat.opportunity_id, k=50))) == {str(seventeen.profile_id)}
    assert ours <= set(profile_ids(matcher.candidates_for(rising.opportunity_id, k=50)))


def test_a_posting_held_back_below_a_new_rate_is_offered_to_nobody_until_it_is_fixed(matcher: Matcher) -> None:
    job = opportunity_snapshot(**TEXT, type="job", min_age=16, max_age=None,
                               wage_per_hour=float(_rates().age_21_and_over))
    young = _aged(22)
    matcher.publish(opportunity_event(job), profile_event(young))
    matcher.wait_known(job.opportunity_id, young.profile_id)
    assert str(job.opportunity_id) in opportunity_ids(matcher.matches_for(young.profile_id, k=50))

    held = job.model_copy(update={"held_back_reason": "£12.71 an hour is below the legal minimum ..."})
    matcher.publish(opportunity_event(held, version=2, kind=EventType.OPPORTUNITY_HELD_BACK))
    matcher.wait_known(job.opportunity_id, version=2)
    assert str(job.opportunity_id) not in opportunity_ids(matcher.matches_for(young.profile_id, k=50))
    assert profile_ids(matcher.candidates_for(job.opportunity_id, k=50)) == []  # nobody at all

    fixed = job.model_copy(update={"wage_per_hour": 14.0, "held_back_reason": None})
    matcher.publish(opportunity_event(fixed, version=3))
    matcher.wait_known(job.opportunity_id, version=3)
    assert str(job.opportunity_id) in opportunity_ids(matcher.matches_for(young.profile_id, k=50))
    assert str(young.profile_id) in profile_ids(matcher.candidates_for(job.opportunity_id, k=50))
