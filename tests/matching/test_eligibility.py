"""Hard eligibility, applied before ranking: for each rule an ineligible near-duplicate of an eligible item
(same text, so the same similarity) must not appear, while its eligible twin does."""

from __future__ import annotations

import datetime as dt
import uuid

from infra.seed.synthetic import birth_date_for_age
from tests.matching.helpers import BUXTON, Matcher, opportunity_ids, person, profile_ids
from tests.support.events import (
    opportunity_event,
    opportunity_snapshot,
    profile_event,
    referral_event,
    referral_snapshot,
    typical_start_date,
)
from tests.support.waiting import wait_for

TEXT = {
    "title": "Bicycle mechanic apprentice",
    "description": "Service and repair bikes in a community cycle workshop; fit brakes, gears and wheels.",
    "skills": ["bicycle repair", "customer service"],
    "sector": "retail",
}
FAR = {"latitude": BUXTON.latitude, "longitude": BUXTON.longitude, "postcode_district": "SK17"}


def test_each_rule_excludes_its_near_duplicate_opportunity(matcher: Matcher) -> None:
    young = person(on_universal_credit=False, date_of_birth=birth_date_for_age(19, typical_start_date()),
                   max_travel_km=10, interests=["bicycle repair"], skills=["bicycle repair"])
    other = person()
    eligible = opportunity_snapshot(**TEXT)
    remote_far = opportunity_snapshot(**TEXT, **FAR, remote=True)
    ineligible = {
        "age": opportunity_snapshot(**TEXT, max_age=18),
        "universal credit": opportunity_snapshot(**TEXT, requires_universal_credit=True, type="kickstart"),
        "no positions left": opportunity_snapshot(**TEXT, positions=2, positions_filled=2),
        "position taken by an accepted referral": opportunity_snapshot(**TEXT, positions=1),
        "past closing date": opportunity_snapshot(**TEXT, closing_date=dt.date.today() - dt.timedelta(days=1)),
        "too far": opportunity_snapshot(**TEXT, **FAR),
        "already referred": opportunity_snapshot(**TEXT),
        "closed": opportunity_snapshot(**TEXT, status="closed"),
    }
    matcher.publish(
        profile_event(young), profile_event(other), opportunity_event(eligible), opportunity_event(remote_far),
        *(opportunity_event(o) for o in ineligible.values()),
        referral_event(referral_snapshot(profile_id=young.profile_id,
                                         opportunity_id=ineligible["already referred"].opportunity_id)),
        referral_event(referral_snapshot(
            profile_id=other.profile_id,
            opportunity_id=ineligible["position taken by an accepted referral"].opportunity_id, status="accepted")),
    )
    matcher.wait_known(young.profile_id, eligible.opportunity_id, remote_far.opportunity_id,
                       *(o.opportunity_id for o in ineligible.values()))
    state = matcher.runtime.state
    assert state is not None
    wait_for(lambda: len(state.referred_by_person.get(young.profile_id, ())) == 1
         and state.accepted.get(ineligible["position taken by an accepted referral"].opportunity_id) == 1)

    found = opportunity_ids(matcher.matches_for(young.profile_id, k=50))
    assert str(eligible.opportunity_id) in found
    assert str(remote_far.opportunity_id) in found, "remote opportunities ignore the travel limit"
    for rule, excluded in ineligible.items():
        assert str(excluded.opportunity_id) not in found, f"{rule} should exclude it"

    # The same rules from the filters' side: the type, sector, distance and remote filters.
    remote_only = opportunity_ids(matcher.matches_for(young.profile_id, k=50, remote=True))
    assert str(remote_far.opportunity_id) in remote_only and str(eligible.opportunity_id) not in remote_only
    assert str(eligible.opportunity_id) in opportunity_ids(
        matcher.matches_for(young.profile_id, k=50, max_distance_km=1, sector="Retail", type="apprenticeship")
    )
    assert str(eligible.opportunity_id) not in opportunity_ids(
        matcher.matches_for(young.profile_id, k=50, type="job", sector="retail")
    )


def test_each_rule_excludes_its_near_duplicate_candidate(matcher: Matcher) -> None:
    job = opportunity_snapshot(**TEXT, requires_universal_credit=True, type="kickstart", min_age=16, max_age=24)
    like = {"skills": ["bicycle repair"], "interests": ["cycling"], "about": "Fixes bikes for friends."}
    eligible = person(**like)
    ineligible = {
        "age": person(**like, date_of_birth=birth_date_for_age(26, job.start_date)),
        "universal credit": person(**like, on_universal_credit=False),
        "too far": person(**like, **FAR, max_travel_km=10),
        "already referred": person(**like),
        "not looking": person(**like, status="employment"),
    }
    far_but_willing = person(**like, **FAR, max_travel_km=30)
    matcher.publish(
        opportunity_event(job), profile_event(eligible), profile_event(far_but_willing),
        *(profile_event(p) for p in ineligible.values()),
        referral_event(referral_snapshot(profile_id=ineligible["already referred"].profile_id,
                                         opportunity_id=job.opportunity_id)),
    )
    matcher.wait_known(job.opportunity_id, eligible.profile_id, far_but_willing.profile_id,
                       *(p.profile_id for p in ineligible.values()))
    state = matcher.runtime.state
    assert state is not None
    referred = ineligible["already referred"].profile_id
    wait_for(lambda: referred in state.referred_by_opportunity.get(job.opportunity_id, ()))

    found = profile_ids(matcher.candidates_for(job.opportunity_id, k=50))
    assert str(eligible.profile_id) in found
    assert str(far_but_willing.profile_id) in found
    for rule, excluded in ineligible.items():
        assert str(excluded.profile_id) not in found, f"{rule} should exclude them"
    assert str(far_but_willing.profile_id) not in profile_ids(
        matcher.candidates_for(job.opportunity_id, k=50, max_distance_km=5)
    )


def test_filter_runs_before_ranking_so_results_never_run_dry(matcher: Matcher) -> None:
    """Thirty better-matching opportunities the person may not take, and one plainer one they may: k=3 must
    still return the eligible one (filtering after the top-k would return nothing)."""
    young = person(date_of_birth=birth_date_for_age(22, typical_start_date()), interests=["dog grooming"],
                   skills=["dog grooming"], about="Loves dogs.")
    too_young_only = [
        opportunity_snapshot(title="Dog groomer apprentice", description="Groom dogs in a busy grooming salon.",
                             skills=["dog grooming"], sector="animal care", max_age=18)
        for _ in range(30)
    ]
    plain = opportunity_snapshot(title="Kennel assistant", description="Feed and walk dogs at boarding kennels.",
                                 skills=["animal care"], sector="animal care")
    matcher.publish(profile_event(young), *(opportunity_event(o) for o in too_young_only), opportunity_event(plain))
    matcher.wait_known(young.profile_id, plain.opportunity_id, *(o.opportunity_id for o in too_young_only))
    found = opportunity_ids(matcher.matches_for(young.profile_id, k=3))
    assert str(plain.opportunity_id) in found
    assert not set(found) & {str(o.opportunity_id) for o in too_young_only}


def test_unknown_profile_or_opportunity_is_404(matcher: Matcher) -> None:
    adviser = matcher.as_("adviser")
    assert matcher.client.get(f"/opportunities/{uuid.uuid4()}/matches", headers=adviser).status_code == 404
