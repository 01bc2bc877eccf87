"""Remote only for work that can be done from home: the publishing rule (services.messaging.vocabulary.can_be_remote,
which the seed follows too), checked again on every edit of a live posting."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from sqlalchemy import update

from services.messaging.vocabulary import REMOTE_SECTORS, SECTORS, can_be_remote
from services.opportunities.models import Opportunity
from services.opportunities.rules import SECTOR_WORK
from tests.opportunities.harness import Harness, opportunity_payload


def _publish(api: Harness, employer_id: str, **overrides: Any) -> Any:
    created = api.client.post(
        "/opportunities", json=opportunity_payload(employer_id, api.today, **overrides), headers=api.adviser()
    )
    assert created.status_code == 201, created.text
    return api.client.post(f"/opportunities/{created.json()['id']}/publish", headers=api.adviser())


def test_a_remote_hairdressing_apprenticeship_is_refused_in_words(api: Harness, employer: dict[str, Any]) -> None:
    response = _publish(api, employer["id"], type="apprenticeship", level=2, sector="hair_beauty",
                        title="Hairdressing apprentice", remote=True, wage_per_hour=8.0, duration_months=12,
                        max_age=18)
    assert response.status_code == 422, response.text
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["body", "remote"] and problem["type"] == "remote_not_possible"
    assert problem["msg"] == ("Hair and beauty work can't be done from home, so it can't be remote: people work "
                              "at the postcode you give.")
    in_the_salon = _publish(api, employer["id"], type="apprenticeship", level=2, sector="hair_beauty",
                            title="Hairdressing apprentice", remote=False, wage_per_hour=8.0, duration_months=12,
                            max_age=18)
    assert in_the_salon.status_code == 200, in_the_salon.text


@pytest.mark.parametrize(("sector", "kind"), [("digital", "job"), ("business_administration", "apprenticeship"),
                                              ("care_services", "training")])
def test_desk_work_and_online_courses_may_be_remote(
    api: Harness, employer: dict[str, Any], sector: str, kind: str
) -> None:
    extra: dict[str, Any] = {"level": 3, "duration_months": 18} if kind == "apprenticeship" else {}
    response = _publish(api, employer["id"], sector=sector, type=kind, remote=True, **extra)
    assert response.status_code == 200, response.text
    assert response.json()["remote"] is True


def test_every_area_of_work_either_may_be_remote_or_says_why_not() -> None:
    for sector in SECTORS:
        assert (sector in REMOTE_SECTORS) != (sector in SECTOR_WORK), sector
        assert can_be_remote(sector, "job") == (sector in REMOTE_SECTORS)
        assert can_be_remote(sector, "training")


def test_an_edit_of_a_live_posting_is_checked_against_the_remote_rule_too(
    api: Harness, employer: dict[str, Any]
) -> None:
    live = api.live(employer["id"], title="Kitchen porter")
    # Published before the rule existed: a kitchen job that says it is remote.
    with api.engine.begin() as connection:
        connection.execute(update(Opportunity).where(Opportunity.id == uuid.UUID(live["id"])).values(remote=True))
    staged = len(api.outbox(live["id"]))
    later = (dt.date.fromisoformat(live["closing_date"]) + dt.timedelta(days=7)).isoformat()

    refused = api.client.patch(f"/opportunities/{live['id']}", json={"closing_date": later}, headers=api.adviser())
    assert refused.status_code == 422, refused.text
    [problem] = refused.json()["detail"]
    assert problem["loc"] == ["body", "remote"] and problem["type"] == "remote_not_possible"
    assert problem["msg"] == ("Kitchen and hospitality work can't be done from home, so it can't be remote: people "
                              "work at the postcode you give.")
    unchanged = api.client.get(f"/opportunities/{live['id']}").json()
    assert unchanged["closing_date"] == live["closing_date"] and len(api.outbox(live["id"])) == staged

    # The correction the rule asks for goes through with the edit, and tells the other services.
    fixed = api.client.patch(f"/opportunities/{live['id']}", json={"closing_date": later, "remote": False},
                             headers=api.adviser())
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["remote"] is False and fixed.json()["closing_date"] == later
    [event] = api.outbox(live["id"])[staged:]
    assert event["event_type"] == "opportunity.updated"

    # Otherwise remote stays as it was published, as every other field of a live posting does.
    desk = api.live(employer["id"], sector="digital", remote=True)
    assert api.client.patch(f"/opportunities/{desk['id']}", json={"remote": False},
                            headers=api.adviser()).status_code == 409
