"""A referral's note, an outcome's feedback and an interest's message that say something of special category
about the young person are accepted with a warning and held back: advisers and the young person see them, the
employer (even with the person's consent) never does, and erasure removes them."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.opportunities.erasure import forget_person
from services.opportunities.models import HeldBackText, Referral
from tests.opportunities.conftest import ProfilesService
from tests.opportunities.harness import Harness
from tests.support.databases import all_text_in_database

NOTE = "She has epilepsy and needs a role without ladders."


def _warned(body: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    return [(w["field"], w["rule"], w["categories"]) for w in body["warnings"]]


def test_a_note_about_the_persons_health_is_held_back_from_the_employer(
    api: Harness, employer: dict[str, Any], profiles_service: ProfilesService
) -> None:
    person = profiles_service.register(consent_share_with_employers=True)
    opportunity = api.live(employer["id"])
    created = api.refer(person, opportunity["id"], note=NOTE)
    assert created.status_code == 201, created.text
    referral = created.json()
    assert _warned(referral) == [("note", "special_category", ["health"])]
    assert "not shown to the employer" in referral["warnings"][0]["message"]
    assert referral["note"] == NOTE

    with api.engine.connect() as connection:
        stored = connection.execute(select(Referral.note).where(Referral.id == referral["id"])).scalar_one()
    assert stored == ""
    as_employer = api.client.get(f"/referrals/{referral['id']}", headers=api.employer(employer["id"])).json()
    assert as_employer["note"] == "" and as_employer["warnings"] == []
    assert as_employer["candidate"]["consent_share_with_employers"] is True
    listed = api.client.get(f"/opportunities/{opportunity['id']}/referrals", headers=api.employer(employer["id"]))
    assert "epilepsy" not in listed.text.lower()
    as_person = api.client.get(f"/referrals/{referral['id']}", headers=api.person(person)).json()
    assert as_person["note"] == NOTE and _warned(as_person) == [("note", "special_category", ["health"])]
    assert all("epilepsy" not in str(row["payload"]).lower() for row in api.outbox(referral["id"]))


def test_a_work_note_reaches_the_consenting_employer_as_written(
    api: Harness, employer: dict[str, Any], profiles_service: ProfilesService
) -> None:
    person = profiles_service.register(consent_share_with_employers=True)
    note = "Wants to work in mental health support; great with customers."
    referral = api.refer(person, api.live(employer["id"])["id"], note=note).json()
    assert referral["warnings"] == []
    as_employer = api.client.get(f"/referrals/{referral['id']}", headers=api.employer(employer["id"])).json()
    assert as_employer["note"] == note


def test_feedback_that_discloses_is_for_the_young_person_and_advisers_only(
    api: Harness, employer: dict[str, Any], profiles_service: ProfilesService
) -> None:
    person = profiles_service.register(consent_share_with_employers=True)
    referral = api.refer(person, api.live(employer["id"])["id"]).json()
    feedback = "He told us he is on probation, so we could not offer the cash-handling role."
    moved = api.move(referral["id"], "unsuccessful", headers=api.employer(employer["id"]), feedback=feedback)
    assert moved.status_code == 200, moved.text
    assert _warned(moved.json()) == [("feedback", "special_category", ["criminal_offence"])]
    assert moved.json()["feedback"] is None
    again = api.client.get(f"/referrals/{referral['id']}", headers=api.employer(employer["id"])).json()
    assert again["feedback"] is None and again["warnings"] == []
    own = api.client.get(f"/referrals/{referral['id']}", headers=api.person(person)).json()
    assert own["feedback"] == feedback
    adviser = api.client.get("/referrals", params={"profile_id": person}, headers=api.adviser()).json()["items"]
    assert [(item["feedback"], _warned(item)) for item in adviser] == [
        (feedback, [("feedback", "special_category", ["criminal_offence"])])]


def test_an_interest_message_that_discloses_is_held_back_and_forgetting_the_person_removes_it(
    api: Harness, employer: dict[str, Any], profiles_service: ProfilesService
) -> None:
    person = profiles_service.register()
    opportunity = api.live(employer["id"])
    message = "I'm autistic and would like the interview questions in advance."
    response = api.client.post(f"/opportunities/{opportunity['id']}/interest", json={"message": message},
                               headers=api.person(person))
    assert response.status_code == 201, response.text
    assert _warned(response.json()) == [("message", "special_category", ["disability"])]
    seen = api.client.get("/interests", params={"profile_id": person}, headers=api.adviser()).json()["items"]
    assert [item["message"] for item in seen] == [message]
    api.refer(person, opportunity["id"], note="I have dyslexia and ADHD.")

    def held() -> int:
        with api.engine.connect() as connection:
            count = select(func.count()).select_from(HeldBackText).where(HeldBackText.profile_id == person)
            return int(connection.execute(count).scalar_one())

    assert held() == 2
    with Session(api.engine) as session:  # what the consumer does on profile.erased (see test_erasure.py)
        forget_person(session=session, profile_id=uuid.UUID(person), now=api.clock.at)
        session.commit()
    assert held() == 0
    assert "autistic" not in all_text_in_database(api.settings.resolved_database_url())
