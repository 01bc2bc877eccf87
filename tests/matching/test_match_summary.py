"""A match answer carries what a page shows of each opportunity (title, employer and badges, type, pay, hours,
place, dates, places left, description), so no page asks the opportunities service once per match."""

from __future__ import annotations

from tests.matching.helpers import Matcher, person
from tests.support.events import (
    employer_event,
    employer_snapshot,
    opportunity_event,
    opportunity_snapshot,
    profile_event,
)


def test_profile_matches_carry_the_opportunity_as_a_page_shows_it(matcher: Matcher) -> None:
    employer = employer_snapshot(name="Summary Bakery Ltd", living_wage_employer=True, disability_confident=False)
    job = opportunity_snapshot(employer_id=employer.employer_id, title="Summary warehouse apprentice", level=3,
                               wage_per_hour=8.25, hours_per_week=30, positions=3, positions_filled=1,
                               description="Pick, pack and drive the forklift.")
    young = person()
    matcher.publish(employer_event(employer), opportunity_event(job), profile_event(young))
    matcher.wait_known(employer.employer_id, job.opportunity_id, young.profile_id)

    found = {m["opportunity_id"]: m for m in matcher.matches_for(young.profile_id, k=20)["matches"]}
    shown = found[str(job.opportunity_id)]["opportunity"]
    assert shown["id"] == str(job.opportunity_id)
    assert (shown["title"], shown["type"], shown["level"], shown["employer_name"]) == (
        "Summary warehouse apprentice", "apprenticeship", 3, "Summary Bakery Ltd")
    assert (shown["employer_living_wage_employer"], shown["employer_disability_confident"]) == (True, False)
    assert (shown["wage_per_hour"], shown["hours_per_week"], shown["postcode_district"]) == (8.25, 30, "SK1")
    assert shown["closing_date"] == job.closing_date.isoformat()
    assert shown["positions"] - shown["positions_filled"] == 2
    assert shown["description"] == "Pick, pack and drive the forklift."
    assert shown["distance_km"] == found[str(job.opportunity_id)]["explanation"]["distance_km"]

