"""Referrals against the real profiles service: the pipeline, its guards, filling places, and interests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from infra.broker import free_port
from infra.seed.synthetic import birth_date_for_age
from tests.opportunities.conftest import ProfilesService, make_harness, random_id
from tests.opportunities.harness import Harness, detail_types, kickstart_overrides
from tests.support.databases import TestDatabases

ONE_DAY = dt.timedelta(days=1)


def _referred(api: Harness, person: str, opportunity: dict[str, Any]) -> dict[str, Any]:
    response = api.refer(person, opportunity["id"])
    assert response.status_code == 201, response.text
    return response.json()


def _browsable(api: Harness) -> list[str]:
    return [item["id"] for item in api.client.get("/opportunities", params={"limit": 100}).json()["items"]]


def _walk(api: Harness, referral_id: str, *statuses: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for status in statuses:
        response = api.move(referral_id, status, headers=headers)
        assert response.status_code == 200, f"{status}: {response.text}"
        body = response.json()
    return body


def test_referral_walks_the_pipeline_and_accepted_offers_fill_the_places(
    api: Harness, employer: dict[str, Any], profiles_service: ProfilesService
) -> None:
    opportunity = api.live(employer["id"], positions=2)
    first, second, third = (profiles_service.register() for _ in range(3))
    referral = _referred(api, first, opportunity)
    assert referral["status"] == "referred" and referral["adviser_id"] == "adviser-7" and referral["version"] == 1
    assert referral["employer_id"] == employer["id"] and referral["opportunity_title"] == opportunity["title"]
    as_employer = api.employer(employer["id"])
    accepted = _walk(api, referral["id"], "applied", "interviewing", "offered", "accepted", headers=as_employer)
    assert accepted["status"] == "accepted" and accepted["version"] == 5
    assert [(h["from_status"], h["to_status"]) for h in accepted["history"]] == [
        (None, "referred"),
        ("referred", "applied"),
        ("applied", "interviewing"),
        ("interviewing", "offered"),
        ("offered", "accepted"),
    ]
    after_one = api.client.get(f"/opportunities/{opportunity['id']}").json()
    assert after_one["status"] == "live" and after_one["positions_filled"] == 1

    other = _referred(api, second, opportunity)
    _walk(api, other["id"], "applied", "offered", "accepted")
    filled = api.client.get(f"/opportunities/{opportunity['id']}").json()
    assert filled["status"] == "filled" and filled["positions_filled"] == 2 and filled["closed_reason"] == "filled"
    closed_event = api.outbox(opportunity["id"])[-1]
    assert closed_event["event_type"] == "opportunity.closed"
    assert closed_event["payload"]["status"] == "filled" and closed_event["payload"]["positions_filled"] == 2
    assert opportunity["id"] not in _browsable(api)

    late = api.refer(third, opportunity["id"])
    assert late.status_code == 409 and detail_types(late) == {"opportunity_id": "opportunity_not_open"}

    events = [e["event_type"] for e in api.outbox(referral["id"])]
    assert events == ["referral.created"] + ["referral.status_changed"] * 4
    last = api.outbox(referral["id"])[-1]
    assert last["payload"]["previous_status"] == "offered" and last["payload"]["status"] == "accepted"
    assert last["aggregate_version"] == 5 and last["payload"]["opportunity_type"] == "job"


def test_a_referral_to_a_closed_or_unpublished_opportunity_is_refused(
    api: Harness, employer: dict[str, Any], person: str
) -> None:
    closed = api.live(employer["id"])
    api.client.post(f"/opportunities/{closed['id']}/close", json={"reason": "Withdrawn"}, headers=api.adviser())
    refused = api.refer(person, closed["id"])
    assert refused.status_code == 409 and detail_types(refused) == {"opportunity_id": "opportunity_not_open"}
    draft = api.draft(employer["id"])
    assert detail_types(api.refer(person, draft["id"])) == {"opportunity_id": "opportunity_exists"}
    assert detail_types(api.refer(person, random_id())) == {"opportunity_id": "opportunity_exists"}


def test_a_live_opportunity_past_its_closing_date_takes_no_referrals_even_before_the_sweep(
    api: Harness, employer: dict[str, Any], person: str
) -> None:
    opportunity = api.live(employer["id"])
    api.clock.advance(days=31)
    refused = api.refer(person, opportunity["id"])
    assert refused.status_code == 409 and detail_types(refused) == {"opportunity_id": "opportunity_not_open"}
    assert api.client.get(f"/opportunities/{opportunity['id']}").json()["status"] == "live"  # not swept yet
    assert opportunity["id"] not in _browsable(api)


def test_a_duplicate_open_referral_is_refused_but_a_new_one_after_an_outcome_is_not(
    api: Harness, employer: dict[str, Any], person: str
) -> None:
    opportunity = api.live(employer["id"], positions=3)
    first = _referred(api, person, opportunity)
    duplicate = api.refer(person, opportunity["id"])
    assert duplicate.status_code == 409 and detail_types(duplicate) == {"profile_id": "duplicate_referral"}
    _walk(api, first["id"], "applied")
    assert api.refer(person, opportunity["id"]).status_code == 409
    api.move(first["id"], "unsuccessful", feedback="We needed someone with a forklift licence.")
    again = _referred(api, person, opportunity)
    _walk(api, again["id"], "applied", "offered", "accepted")
    assert detail_types(api.refer(person, opportunity["id"])) == {"profile_id": "duplicate_referral"}


def test_age_at_the_start_date_is_checked_against_the_opportunitys_range(
    api: Harness, employer: dict[str, Any], profiles_service: ProfilesService
) -> None:
    opportunity = api.live(employer["id"], **kickstart_overrides())
    start = dt.date.fromisoformat(opportunity["start_date"])
    turns_25_on = birth_date_for_age(25, start, birthday=True)
    still_24 = profiles_service.register(date_of_birth=(turns_25_on + ONE_DAY).isoformat(), on_universal_credit=True)
    turns_25 = profiles_service.register(date_of_birth=turns_25_on.isoformat(), on_universal_credit=True)
    assert api.refer(still_24, opportunity["id"]).status_code == 201
    refused = api.refer(turns_25, opportunity["id"])
    assert refused.status_code == 422 and detail_types(refused) == {"profile_id": "age_at_start"}
    assert "25" in refused.json()["detail"][0]["msg"]

    adults = api.live(employer["id"], min_age=18)
    turns_18_on = birth_date_for_age(18, start, birthday=True)
    turns_18 = profiles_service.register(date_of_birth=turns_18_on.isoformat())
    still_17 = profiles_service.register(date_of_birth=(turns_18_on + ONE_DAY).isoformat())
    assert api.refer(turns_18, adults["id"]).status_code == 201
    assert detail_types(api.refer(still_17, adults["id"])) == {"profile_id": "age_at_start"}


def test_kickstart_takes_only_young_people_on_universal_credit(
    api: Harness, employer: dict[str, Any], profiles_service: ProfilesService
) -> None:
    opportunity = api.live(employer["id"], **kickstart_overrides(positions=3))
    on_uc = profiles_service.register(on_universal_credit=True)
    not_on_uc = profiles_service.register(on_universal_credit=False)
    assert api.refer(on_uc, opportunity["id"]).status_code == 201
    refused = api.refer(not_on_uc, opportunity["id"])
    assert refused.status_code == 422 and detail_types(refused) == {"profile_id": "universal_credit_required"}


def test_the_profile_must_exist_in_the_profiles_service(
    api: Harness, employer: dict[str, Any], profiles_service: ProfilesService
) -> None:
    opportunity = api.live(employer["id"])
    before = api.counts()
    unknown = api.refer(random_id(), opportunity["id"])
    assert unknown.status_code == 422 and detail_types(unknown) == {"profile_id": "profile_exists"}
    erased = profiles_service.register()
    profiles_service.erase(erased)
    assert detail_types(api.refer(erased, opportunity["id"])) == {"profile_id": "profile_exists"}
    assert api.counts() == before


def test_status_transitions_are_guarded(
    api: Harness, employer: dict[str, Any], profiles_service: ProfilesService
) -> None:
    opportunity = api.live(employer["id"], positions=1)
    referral = _referred(api, profiles_service.register(), opportunity)
    skip = api.move(referral["id"], "offered")
    assert skip.status_code == 409 and detail_types(skip) == {"status": "invalid_transition"}
    same = api.move(referral["id"], "referred")
    assert same.status_code == 409
    employer_withdraws = api.move(referral["id"], "withdrawn", headers=api.employer(employer["id"]))
    assert employer_withdraws.status_code == 403 and detail_types(employer_withdraws) == {"status": "adviser_only"}
    _walk(api, referral["id"], "applied", "interviewing")
    no_feedback = api.move(referral["id"], "unsuccessful")
    assert no_feedback.status_code == 422 and detail_types(no_feedback) == {"feedback": "feedback_required"}
    unsuccessful = api.move(
        referral["id"],
        "unsuccessful",
        headers=api.employer(employer["id"]),
        feedback="Good interview; practise examples of teamwork.",
    )
    assert unsuccessful.status_code == 200
    for status in ("applied", "accepted", "withdrawn", "referred"):
        final = api.move(referral["id"], status)
        assert final.status_code == 409, status
    seen_by_person = api.client.get(f"/referrals/{referral['id']}", headers=api.person(referral["profile_id"]))
    assert seen_by_person.json()["feedback"] == "Good interview; practise examples of teamwork."
    assert seen_by_person.json()["version"] == 4  # refused moves changed nothing


def test_no_offer_once_every_place_is_taken(
    api: Harness, employer: dict[str, Any], profiles_service: ProfilesService
) -> None:
    opportunity = api.live(employer["id"], positions=1)
    first = _referred(api, profiles_service.register(), opportunity)
    second = _referred(api, profiles_service.register(), opportunity)
    _walk(api, second["id"], "applied", "interviewing")
    _walk(api, first["id"], "applied", "offered", "accepted")
    refused = api.move(second["id"], "offered")
    assert refused.status_code == 409 and detail_types(refused) == {"status": "no_places_left"}
    assert _walk(api, second["id"], "withdrawn")["status"] == "withdrawn"


def test_a_young_person_says_they_are_interested_and_their_adviser_sees_the_request(
    api: Harness, employer: dict[str, Any], profiles_service: ProfilesService
) -> None:
    opportunity = api.live(employer["id"])
    person = profiles_service.register()
    someone_else = profiles_service.register()
    first = api.client.post(
        f"/opportunities/{opportunity['id']}/interest", json={"message": "I love cooking"}, headers=api.person(person)
    )
    assert first.status_code == 201, first.text
    interest = first.json()
    assert interest["adviser_id"] == "adviser-7" and interest["referral_id"] is None
    assert interest["employer_name"] == employer["name"]
    again = api.client.post(f"/opportunities/{opportunity['id']}/interest", headers=api.person(person))
    assert again.status_code == 200 and again.json()["id"] == interest["id"]
    assert [e["event_type"] for e in api.outbox(interest["id"])] == ["interest.expressed"]
    assert api.outbox(interest["id"])[0]["payload"]["subject"] == profiles_service.subject_of(person)

    requests = api.client.get(
        "/interests", params={"adviser_id": "adviser-7", "open_only": True}, headers=api.adviser()
    ).json()
    assert interest["id"] in [item["id"] for item in requests["items"]]
    referral = _referred(api, person, opportunity)
    linked = api.client.get("/interests", params={"profile_id": person}, headers=api.adviser()).json()["items"]
    assert [item["referral_id"] for item in linked] == [referral["id"]]
    still_open = api.client.get(
        "/interests", params={"open_only": True, "profile_id": person}, headers=api.adviser()
    ).json()
    assert still_open["total"] == 0

    own = api.client.get("/interests", headers=api.person(person)).json()
    assert [item["id"] for item in own["items"]] == [interest["id"]]
    assert (
        api.client.get("/interests", params={"profile_id": person}, headers=api.person(someone_else)).status_code == 403
    )
    assert api.client.get("/interests", headers=api.employer(employer["id"])).status_code == 403


def test_interest_only_in_open_opportunities_the_person_may_take(
    api: Harness, employer: dict[str, Any], profiles_service: ProfilesService
) -> None:
    person = profiles_service.register(on_universal_credit=False)
    draft = api.draft(employer["id"])
    assert api.client.post(f"/opportunities/{draft['id']}/interest", headers=api.person(person)).status_code == 404
    closed = api.live(employer["id"])
    api.client.post(f"/opportunities/{closed['id']}/close", json={"reason": "Filled internally"}, headers=api.adviser())
    assert api.client.post(f"/opportunities/{closed['id']}/interest", headers=api.person(person)).status_code == 409
    kickstart = api.live(employer["id"], **kickstart_overrides())
    refused = api.client.post(f"/opportunities/{kickstart['id']}/interest", headers=api.person(person))
    assert refused.status_code == 422 and detail_types(refused) == {"profile_id": "universal_credit_required"}
    assert api.client.post(f"/opportunities/{kickstart['id']}/interest", headers=api.adviser()).status_code == 403


def test_without_the_profiles_service_a_referral_is_refused_with_503_and_nothing_is_stored(
    databases: TestDatabases, profiles_service: ProfilesService
) -> None:
    unreachable = f"http://127.0.0.1:{free_port()}"
    for api in make_harness(databases, profiles_service, profiles_url=unreachable)():
        opportunity = api.live(api.new_employer()["id"])
        before = api.counts()
        response = api.refer(random_id(), opportunity["id"])
        assert response.status_code == 503 and "profiles service" in response.json()["detail"]
        assert api.counts() == before


def test_a_referral_names_its_opportunity_and_employer_wherever_it_is_read(
    api: Harness, employer: dict[str, Any], profiles_service: ProfilesService
) -> None:
    """What a confirmation says ("referred to <opportunity> at <employer>") comes from the service's answer."""
    opportunity = api.live(employer["id"], title="Cafe team member")
    person = profiles_service.register()
    made = _referred(api, person, opportunity)
    assert (made["opportunity_id"], made["opportunity_title"]) == (opportunity["id"], "Cafe team member")
    assert made["employer_name"] == employer["name"]
    read = api.client.get(f"/referrals/{made['id']}", headers=api.adviser()).json()
    listed = api.client.get("/referrals", params={"profile_id": person}, headers=api.adviser()).json()["items"]
    mine = api.client.get("/referrals", headers=api.employer(employer["id"])).json()["items"]
    for seen in (read, *listed, *mine):
        assert seen["employer_name"] == employer["name"], seen


def test_feedback_says_who_wrote_it(
    api: Harness, employer: dict[str, Any], profiles_service: ProfilesService
) -> None:
    """A young person's page labels feedback by its writer: the service keeps whether the adviser or the employer
    wrote it (the last status change can be someone else's)."""
    opportunity = api.live(employer["id"])
    by_employer = _referred(api, profiles_service.register(), opportunity)
    assert by_employer["feedback"] is None and by_employer["feedback_by"] is None
    moved = api.move(by_employer["id"], "unsuccessful", headers=api.employer(employer["id"]),
                     feedback="We chose someone with more experience.")
    assert moved.status_code == 200, moved.text
    assert (moved.json()["feedback"], moved.json()["feedback_by"]) == ("We chose someone with more experience.",
                                                                       "employer")

    later = _referred(api, profiles_service.register(), opportunity)
    applied = api.move(later["id"], "applied", headers=api.employer(employer["id"]), feedback="Interview on Monday.")
    assert applied.json()["feedback_by"] == "employer"
    withdrawn = api.move(later["id"], "withdrawn")  # the adviser moves it on, writing nothing
    assert withdrawn.status_code == 200, withdrawn.text
    read = api.client.get(f"/referrals/{later['id']}", headers=api.adviser()).json()
    assert read["history"][-1]["changed_by_role"] == "adviser"
    assert (read["feedback"], read["feedback_by"]) == ("Interview on Monday.", "employer")
    said = api.move(_referred(api, profiles_service.register(), opportunity)["id"], "withdrawn",
                    feedback="They found an apprenticeship nearer home.")
    assert said.json()["feedback_by"] == "adviser"
