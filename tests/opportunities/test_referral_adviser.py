"""The employer sees who referred each person and how to reach them: the adviser's record, asked of the real
profiles service, whatever the person's consent (it is the adviser's work contact, not the person's data)."""

from __future__ import annotations

from typing import Any

import httpx

from services.common.auth import Role
from tests.opportunities.conftest import ProfilesService
from tests.opportunities.harness import Harness
from tests.support.services import bearer

CHRIS = {"name": "Chris Okafor", "team": "Stockport West youth team", "email": "chris.okafor@hub.example.org",
         "phone": "0161 496 0177"}


def test_an_employer_sees_the_referring_advisers_name_and_contact_on_each_referral(
    api: Harness, employer: dict[str, Any], profiles_service: ProfilesService
) -> None:
    saved = httpx.put(f"{profiles_service.url}/advisers/adviser-7", json=CHRIS, timeout=10,
                      headers=bearer(profiles_service.settings, Role.ADVISER, "adviser-7"))
    assert saved.status_code == 200, saved.text
    opportunity = api.live(employer["id"])
    private = profiles_service.register(consent_share_with_employers=False)
    sharing = profiles_service.register(consent_share_with_employers=True)
    for person in (private, sharing):
        assert api.refer(person, opportunity["id"]).status_code == 201

    seen = api.client.get("/referrals", headers=api.employer(employer["id"])).json()["items"]
    assert len(seen) == 2
    for referral in seen:
        assert referral["adviser_id"] == "adviser-7"
        assert referral["adviser"] == {"id": "adviser-7", **CHRIS}
    assert {r["candidate"]["consent_share_with_employers"] for r in seen} == {True, False}

    one = api.client.get(f"/referrals/{seen[0]['id']}", headers=api.employer(employer["id"])).json()
    assert one["adviser"]["phone"] == CHRIS["phone"]


def test_a_referral_by_an_adviser_the_hub_has_no_record_of_shows_no_contact(
    api: Harness, employer: dict[str, Any], person: str
) -> None:
    opportunity = api.live(employer["id"])
    response = api.client.post("/referrals", headers=api.adviser("adviser-unknown"), json={
        "profile_id": person, "opportunity_id": opportunity["id"], "note": "Keen."})
    assert response.status_code == 201, response.text
    assert response.json()["adviser_id"] == "adviser-unknown" and response.json()["adviser"] is None
