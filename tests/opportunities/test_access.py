"""Object-level access: employer A versus employer B, young people versus other people's referrals, what an
employer may see of a referred person (only with consent, never special category data), and who needs a token."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from services.common.auth import Role
from tests.opportunities.conftest import ProfilesService
from tests.opportunities.harness import Harness, employer_payload, new_id, opportunity_payload
from tests.support.figures import report
from tests.support.services import bearer


@pytest.fixture
def world(api: Harness, profiles_service: ProfilesService) -> dict[str, Any]:
    """Employer A with a draft, a live opportunity and a referral on it; employer B with its own live one."""
    a, b = api.new_employer(), api.new_employer()
    person = profiles_service.register(consent_share_with_employers=True)
    a_live = api.live(a["id"])
    referral = api.refer(person, a_live["id"]).json()
    return {
        "a": a,
        "b": b,
        "person": person,
        "referral": referral,
        "a_draft": api.draft(a["id"]),
        "a_live": a_live,
        "b_live": api.live(b["id"]),
    }


def test_another_employer_cannot_read_or_change_an_employers_opportunities(api: Harness, world: dict[str, Any]) -> None:
    as_b = api.employer(world["b"]["id"])
    draft, live = world["a_draft"]["id"], world["a_live"]["id"]
    later = (api.today + dt.timedelta(days=40)).isoformat()
    assert api.client.get(f"/opportunities/{draft}", headers=as_b).status_code == 404
    assert api.client.patch(f"/opportunities/{draft}", json={"title": "Mine now"}, headers=as_b).status_code == 404
    assert api.client.post(f"/opportunities/{draft}/publish", headers=as_b).status_code == 404
    sabotage = {"reason": "sabotage"}
    assert api.client.post(f"/opportunities/{draft}/close", json=sabotage, headers=as_b).status_code == 404
    # a live opportunity is public, but still not B's to change
    assert api.client.get(f"/opportunities/{live}", headers=as_b).status_code == 200
    assert api.client.patch(f"/opportunities/{live}", json={"closing_date": later}, headers=as_b).status_code == 403
    assert api.client.post(f"/opportunities/{live}/close", json={"reason": "sabotage"}, headers=as_b).status_code == 403
    assert api.client.get(f"/employers/{world['a']['id']}/opportunities", headers=as_b).status_code == 404
    assert api.client.get(f"/employers/{world['a']['id']}", headers=as_b).status_code == 404
    assert api.client.patch(f"/employers/{world['a']['id']}", json={"name": "B's now"}, headers=as_b).status_code == 404
    posting_for_a = api.client.post(
        "/opportunities", json=opportunity_payload(world["a"]["id"], api.today), headers=as_b
    )
    assert posting_for_a.status_code == 403
    # nothing changed
    after = api.client.get(f"/opportunities/{draft}", headers=api.adviser()).json()
    assert after["status"] == "draft" and after["version"] == 1
    assert api.client.get(f"/opportunities/{live}").json()["status"] == "live"


def test_the_owning_employer_reads_and_changes_its_own(api: Harness, world: dict[str, Any]) -> None:
    as_a = api.employer(world["a"]["id"])
    draft = world["a_draft"]["id"]
    assert api.client.get(f"/opportunities/{draft}", headers=as_a).status_code == 200
    assert api.client.patch(f"/opportunities/{draft}", json={"title": "Sous chef"}, headers=as_a).status_code == 200
    assert api.client.post(f"/opportunities/{draft}/publish", headers=as_a).status_code == 200
    assert (
        api.client.patch(f"/employers/{world['a']['id']}", json={"living_wage_employer": True}, headers=as_a).json()[
            "living_wage_employer"
        ]
        is True
    )


def test_another_employer_cannot_see_or_move_an_employers_referrals(api: Harness, world: dict[str, Any]) -> None:
    as_b = api.employer(world["b"]["id"])
    referral = world["referral"]["id"]
    assert api.client.get(f"/opportunities/{world['a_live']['id']}/referrals", headers=as_b).status_code == 404
    assert api.client.get(f"/referrals/{referral}", headers=as_b).status_code == 404
    assert api.client.patch(f"/referrals/{referral}", json={"status": "applied"}, headers=as_b).status_code == 404
    listed = api.client.get("/referrals", headers=as_b).json()
    assert referral not in [item["id"] for item in listed["items"]]
    as_a = api.employer(world["a"]["id"])
    assert referral in [item["id"] for item in api.client.get("/referrals", headers=as_a).json()["items"]]
    assert api.client.patch(f"/referrals/{referral}", json={"status": "applied"}, headers=as_a).status_code == 200


def test_a_young_person_sees_only_their_own_referrals(
    api: Harness, world: dict[str, Any], profiles_service: ProfilesService
) -> None:
    mine = world["person"]
    stranger = profiles_service.register()
    referral = world["referral"]["id"]
    as_me, as_stranger = api.person(mine), api.person(stranger)
    assert api.client.get(f"/referrals/{referral}", headers=as_me).status_code == 200
    assert [i["id"] for i in api.client.get("/referrals", headers=as_me).json()["items"]] == [referral]
    assert api.client.get(f"/referrals/{referral}", headers=as_stranger).status_code == 404
    assert api.client.get("/referrals", params={"profile_id": mine}, headers=as_stranger).status_code == 403
    assert api.client.get("/referrals", headers=as_stranger).json()["items"] == []
    assert api.client.get(f"/opportunities/{world['a_live']['id']}/referrals", headers=as_me).status_code == 403
    assert api.client.patch(f"/referrals/{referral}", json={"status": "withdrawn"}, headers=as_me).status_code == 403
    assert api.refer(mine, world["b_live"]["id"]).status_code == 201  # an adviser may
    assert (
        api.client.post(
            "/referrals", json={"profile_id": mine, "opportunity_id": world["b_live"]["id"]}, headers=as_me
        ).status_code
        == 403
    )


def test_the_employer_sees_a_referred_persons_details_only_with_consent_and_never_special_category(
    api: Harness, employer: dict[str, Any], profiles_service: ProfilesService
) -> None:
    opportunity = api.live(employer["id"], positions=3)
    consenting = profiles_service.register(
        consent_share_with_employers=True,
        given_name="Amira",
        skills=["baking"],
        priority_groups=["send", "care_leaver"],
        ethnicity="Pakistani",
    )
    private = profiles_service.register(consent_share_with_employers=False, given_name="Jordan", skills=["welding"])
    shared_id = api.refer(consenting, opportunity["id"], note="Amira shone at the job club.").json()["id"]
    private_id = api.refer(private, opportunity["id"], note="Jordan is shy at first.").json()["id"]

    response = api.client.get(f"/opportunities/{opportunity['id']}/referrals", headers=api.employer(employer["id"]))
    assert response.status_code == 200
    by_person = {item["id"]: item for item in response.json()["items"]}
    assert by_person.keys() == {shared_id, private_id}
    shared, hidden = by_person[shared_id], by_person[private_id]
    assert shared["candidate"]["given_name"] == "Amira" and shared["candidate"]["skills"] == ["baking"]
    assert shared["note"] == "Amira shone at the job club."
    assert hidden["candidate"]["consent_share_with_employers"] is False
    assert hidden["candidate"]["given_name"] is None and hidden["candidate"]["skills"] == []
    assert hidden["note"] is None
    text = response.text.lower()
    assert "jordan" not in text and "shy" not in text and "welding" not in text
    assert "pakistani" not in text and "ethnicity" not in text and '"send"' not in text and "care_leaver" not in text
    assert consenting not in text and private not in text  # no profile id, not even of the person who consented

    for_adviser = api.client.get(f"/opportunities/{opportunity['id']}/referrals", headers=api.adviser()).json()
    notes = {item["profile_id"]: item["note"] for item in for_adviser["items"]}
    assert notes[private] == "Jordan is shy at first."


def test_browsing_is_public_but_changing_needs_a_token_with_the_right_role(api: Harness, world: dict[str, Any]) -> None:
    live = world["a_live"]["id"]
    assert api.client.get("/opportunities").status_code == 200
    assert api.client.get(f"/opportunities/{live}").status_code == 200
    assert api.client.get(f"/opportunities/{live}", headers={"Authorization": "Bearer junk"}).status_code == 401
    payload = opportunity_payload(world["a"]["id"], api.today)
    assert api.client.post("/opportunities", json=payload).status_code == 401
    assert api.client.post("/opportunities", json=payload, headers=api.person(world["person"])).status_code == 403
    service = bearer(api.settings, Role.SERVICE, "matching")
    assert api.client.post(f"/opportunities/{live}/close", json={"reason": "x" * 5}, headers=service).status_code == 403
    assert api.client.post("/employers", json={}, headers=api.person(world["person"])).status_code == 403
    assert api.client.get("/employers", headers=api.employer(world["a"]["id"])).status_code == 403
    assert api.client.get("/referrals").status_code == 401


def test_an_employer_registers_itself_under_its_token_id(api: Harness) -> None:
    me = new_id()
    created = api.client.post("/employers", json=employer_payload(), headers=api.employer(me))
    assert created.status_code == 201 and created.json()["id"] == me
    assert api.client.post("/employers", json=employer_payload(), headers=api.employer(me)).status_code == 409
    assert api.client.post("/employers", json=employer_payload(), headers=api.employer("not-a-uuid")).status_code == 403
    assert api.client.get(f"/employers/{me}", headers=api.employer(me)).status_code == 200


def test_employer_answers_name_a_person_by_a_pseudonym_of_the_referral_only(
    api: Harness, employer: dict[str, Any], profiles_service: ProfilesService
) -> None:
    """No employer-facing answer carries the profile id: a person referred twice to the same employer gets two
    unrelated pseudonyms, one per referral, stable across reads of that referral."""
    person = profiles_service.register(consent_share_with_employers=False, given_name="Robin")
    first, second = (api.live(employer["id"], positions=2) for _ in range(2))
    referrals = [api.refer(person, opportunity["id"]).json()["id"] for opportunity in (first, second)]
    mine = api.employer(employer["id"])
    answers = [
        api.client.get("/referrals", headers=mine),
        *(api.client.get(f"/referrals/{referral}", headers=mine) for referral in referrals),
        *(api.client.get(f"/opportunities/{o['id']}/referrals", headers=mine) for o in (first, second)),
        api.move(referrals[0], "applied", headers=mine),
    ]
    pseudonyms: dict[str, set[str]] = {referral: set() for referral in referrals}
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert person not in answer.text and uuid.UUID(person).hex not in answer.text
        body = answer.json()
        for item in body.get("items", [body]):
            assert item["profile_id"] is None
            pseudonyms[item["id"]].add(item["candidate"]["pseudonym"])
    assert all(len(names) == 1 for names in pseudonyms.values()), pseudonyms
    assert pseudonyms[referrals[0]] != pseudonyms[referrals[1]]
    adviser_view = api.client.get(f"/referrals/{referrals[0]}", headers=api.adviser()).json()
    assert adviser_view["profile_id"] == person and adviser_view["candidate"] is None
    report(f"pseudonyms: employer answers checked: {len(answers)}, profile id in none; pseudonyms per referral: "
           f"{sorted(next(iter(names)) for names in pseudonyms.values())}")
