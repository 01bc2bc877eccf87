"""Human oversight in the opportunities service: an adviser dismisses a suggestion, or refers outside the top
suggestions, with a reason from the list and/or in words. The decision's event names the list, the rank and the
reason's code (never the words, never the profile id); words that say something of special category are held back;
bad reasons are refused naming the field; erasure removes the dismissals and the words."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.opportunities.erasure import forget_person
from services.opportunities.models import Dismissal, HeldBackText
from tests.opportunities.conftest import ProfilesService
from tests.opportunities.harness import Harness
from tests.support.databases import all_text_in_database


def _dismiss(api: Harness, person: str, **body: Any) -> Any:
    return api.client.post(f"/profiles/{person}/dismissals", json=body, headers=api.adviser())


def _dismissals(api: Harness, person: str) -> int:
    with api.engine.connect() as connection:
        count = select(func.count()).select_from(Dismissal).where(Dismissal.profile_id == uuid.UUID(person))
        return int(connection.execute(count).scalar_one())


def test_a_dismissal_with_a_reason_is_recorded_and_shown_back(
    api: Harness, employer: dict[str, Any], profiles_service: ProfilesService
) -> None:
    person = profiles_service.register()
    opportunity = api.live(employer["id"])
    list_id = str(uuid.uuid4())
    words = "Two buses each way before eight"
    response = _dismiss(api, person, opportunity_id=opportunity["id"], list_id=list_id, rank=7, reason="too_far",
                        words=words)
    assert response.status_code == 201, response.text
    dismissal = response.json()
    assert dismissal["suggestion"] == {"list_id": list_id, "rank": 7, "reason": "too_far", "words": words}
    assert dismissal["adviser_id"] == "adviser-7" and dismissal["warnings"] == []

    [event] = api.outbox(dismissal["id"])
    assert event["event_type"] == "suggestion.dismissed" and event["schema_version"] == 2
    payload = event["payload"]
    assert payload["subject"] == profiles_service.subject_of(person)
    assert payload["oversight"] == {"list_id": list_id, "rank": 7, "top": 5, "within_top": False,
                                    "reason": "too_far", "has_words": True}
    assert person not in json.dumps(event) and "buses" not in json.dumps(event)

    again = _dismiss(api, person, opportunity_id=opportunity["id"], reason="not_ready")
    assert again.status_code == 200 and again.json()["id"] == dismissal["id"]
    listed = api.client.get("/dismissals", params={"profile_id": person}, headers=api.adviser()).json()
    assert [(item["id"], item["suggestion"]["words"]) for item in listed["items"]] == [(dismissal["id"], words)]
    mine = api.client.get("/dismissals", params={"adviser_id": "adviser-7"}, headers=api.adviser()).json()
    assert dismissal["id"] in [item["id"] for item in mine["items"]]
    assert api.client.get("/dismissals", headers=api.person(person)).status_code == 403


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        ({"reason": "bored"}, "reason", "literal_error"),
        ({}, "reason", "reason_required"),
        ({"words": "   "}, "reason", "reason_required"),
        ({"reason": "other"}, "words", "words_for_other"),
        ({"reason": "too_far", "list_id": "00000000-0000-4000-8000-000000000001"}, "rank", "list_and_rank_together"),
        ({"reason": "too_far", "rank": 2}, "list_id", "list_and_rank_together"),
        ({"reason": "too_far", "rank": 0, "list_id": "00000000-0000-4000-8000-000000000001"}, "rank",
         "greater_than_equal"),
        ({"reason": "too_far", "words": "x" * 501}, "words", "string_too_long"),
    ],
)
def test_a_bad_reason_is_refused_naming_the_field_and_nothing_is_written(
    api: Harness, employer: dict[str, Any], person: str, body: dict[str, Any], field: str, rule: str
) -> None:
    opportunity = api.live(employer["id"])
    response = _dismiss(api, person, opportunity_id=opportunity["id"], **body)
    assert response.status_code == 422, response.text
    [problem] = response.json()["detail"]
    assert (problem["loc"][-1], problem["type"]) == (field, rule)
    assert _dismissals(api, person) == 0


def test_a_referral_records_where_it_stands_to_the_suggestions(
    api: Harness, employer: dict[str, Any], profiles_service: ProfilesService
) -> None:
    person = profiles_service.register(consent_share_with_employers=True)
    first, second, third = (api.live(employer["id"]) for _ in range(3))
    list_id = str(uuid.uuid4())
    chosen = {
        first["id"]: {"list_id": list_id, "rank": 8, "reason": "other", "words": "She asked for this employer by name"},
        second["id"]: {"list_id": list_id, "rank": 2},
        third["id"]: None,
    }
    made = {}
    for opportunity_id, suggestion in chosen.items():
        response = api.client.post(
            "/referrals",
            json={"profile_id": person, "opportunity_id": opportunity_id, "suggestion": suggestion},
            headers=api.adviser(),
        )
        assert response.status_code == 201, response.text
        made[opportunity_id] = response.json()
    outside = made[first["id"]]
    assert outside["suggestion"] == {"list_id": list_id, "rank": 8, "reason": "other",
                                     "words": "She asked for this employer by name"}

    def oversight(opportunity_id: str) -> dict[str, Any]:
        [event] = api.outbox(made[opportunity_id]["id"])
        assert event["event_type"] == "referral.created"
        return event["payload"]["oversight"]

    assert oversight(first["id"]) == {"list_id": list_id, "rank": 8, "top": 5, "within_top": False,
                                      "reason": "other", "has_words": True}
    assert oversight(second["id"]) == {"list_id": list_id, "rank": 2, "top": 5, "within_top": True,
                                       "reason": None, "has_words": False}
    assert oversight(third["id"]) == {"list_id": None, "rank": None, "top": 5, "within_top": False,
                                      "reason": None, "has_words": False}
    assert "asked for this employer" not in json.dumps(api.outbox(outside["id"]))
    for reader in (api.employer(employer["id"]), api.person(person)):  # the adviser's reason is for advisers
        read = api.client.get(f"/referrals/{outside['id']}", headers=reader)
        assert read.status_code == 200 and read.json()["suggestion"] is None

    refused = api.client.post(
        "/referrals",
        json={"profile_id": person, "opportunity_id": api.live(employer["id"])["id"],
              "suggestion": {"list_id": list_id, "reason": "too_far"}},
        headers=api.adviser(),
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "suggestion", "rank"]


def test_words_that_disclose_are_held_back_and_erasure_removes_the_dismissals(
    api: Harness, employer: dict[str, Any], profiles_service: ProfilesService
) -> None:
    person = profiles_service.register()
    opportunity = api.live(employer["id"])
    words = "He has depression and can't face interviews yet"
    response = _dismiss(api, person, opportunity_id=opportunity["id"], reason="not_ready", words=words)
    assert response.status_code == 201, response.text
    dismissal = response.json()
    assert [(w["field"], w["categories"]) for w in dismissal["warnings"]] == [("reason_words", ["health"])]
    assert dismissal["suggestion"]["words"] == words  # advisers still read it
    with Session(api.engine) as session:
        row = session.get(Dismissal, uuid.UUID(dismissal["id"]))
        assert row is not None and row.words == ""
        kept = session.scalars(select(HeldBackText).where(HeldBackText.owner_id == row.id)).one()
        assert kept.text == words

    with Session(api.engine) as session:  # what the consumer does on profile.erased
        forget_person(session=session, profile_id=uuid.UUID(person), now=api.clock.at)
        session.commit()
    assert _dismissals(api, person) == 0
    assert api.outbox(dismissal["id"]) == []  # not sent yet (no relay here), so dropped; a sent one keeps no payload
    assert "depression" not in all_text_in_database(api.settings.resolved_database_url())
