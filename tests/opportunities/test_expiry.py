"""A live opportunity past its closing date stops being offered: closed automatically, with an event, by the
use case and by the service's own background sweep."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import pytest

from services.opportunities import lifecycle
from tests.opportunities.conftest import ProfilesService, make_harness
from tests.opportunities.harness import BASE_TIME, Harness
from tests.support.databases import TestDatabases
from tests.support.waiting import wait_for


@pytest.fixture(scope="module")
def sweeping(databases: TestDatabases, profiles_service: ProfilesService) -> Iterator[Harness]:
    """The service with its expiry sweep running every 0.1 s."""
    yield from make_harness(databases, profiles_service, expiry_interval_seconds=0.1)()


@pytest.fixture
def swept(sweeping: Harness) -> Harness:
    sweeping.clock.at = BASE_TIME
    return sweeping


def _status(api: Harness, opportunity_id: str) -> dict[str, Any]:
    return api.client.get(f"/opportunities/{opportunity_id}").json()


def _wait_for_status(api: Harness, opportunity_id: str, status: str) -> dict[str, Any]:
    return wait_for(lambda: _status(api, opportunity_id), until=lambda body: body["status"] == status,
                    what=f"opportunity {opportunity_id} {status}", timeout=5)


def test_the_use_case_closes_only_what_is_past_its_closing_date(api: Harness) -> None:
    employer = api.new_employer()
    due = api.live(employer["id"], closing_date=(api.today + dt.timedelta(days=5)).isoformat())
    later = api.live(employer["id"], closing_date=(api.today + dt.timedelta(days=6)).isoformat())
    factory = api.client.app.state.session_factory  # type: ignore[attr-defined]

    api.clock.at = dt.datetime.combine(api.today + dt.timedelta(days=5), dt.time(23, 59), tzinfo=dt.UTC)
    with factory() as session:
        assert lifecycle.expire_due_opportunities(session=session, now=api.clock.now()) == 0  # the closing day itself
    api.clock.advance(minutes=2)
    with factory() as session:
        closed = lifecycle.expire_due_opportunities(session=session, now=api.clock.now())
    assert closed == 1
    body = _status(api, due["id"])
    assert body["status"] == "closed" and body["closed_reason"] == "expired"
    assert body["closed_at"].startswith((api.today).isoformat())
    assert _status(api, later["id"])["status"] == "live"
    event = api.outbox(due["id"])[-1]
    assert event["event_type"] == "opportunity.closed" and event["payload"]["closed_reason"] == "expired"
    assert event["payload"]["status"] == "closed" and event["aggregate_version"] == due["version"] + 1
    assert event["occurred_at"].startswith(api.today.isoformat())
    with factory() as session:  # a second pass finds nothing new for the same day
        assert lifecycle.expire_due_opportunities(session=session, now=api.clock.now()) == 0
    assert len(api.outbox(due["id"])) == 2


def test_browse_hides_an_expired_opportunity_before_the_sweep_reaches_it(api: Harness) -> None:
    employer = api.new_employer()
    opportunity = api.live(employer["id"], title="Expiring florist")
    assert [i["id"] for i in api.client.get("/opportunities", params={"q": "Expiring florist"}).json()["items"]] == [
        opportunity["id"]
    ]
    api.clock.advance(days=31)
    assert api.client.get("/opportunities", params={"q": "Expiring florist"}).json()["total"] == 0
    assert _status(api, opportunity["id"])["status"] == "live"  # this service's sweep runs hourly
    revive = (api.today + dt.timedelta(days=10)).isoformat()
    refused = api.client.patch(
        f"/opportunities/{opportunity['id']}", json={"closing_date": revive}, headers=api.adviser()
    )
    assert refused.status_code == 409 and refused.json()["detail"][0]["type"] == "already_expired"


def test_the_background_sweep_closes_expired_opportunities(swept: Harness) -> None:
    employer = swept.new_employer()
    opportunity = swept.live(employer["id"])
    time.sleep(0.3)
    assert _status(swept, opportunity["id"])["status"] == "live"
    swept.clock.advance(days=31)
    body = _wait_for_status(swept, opportunity["id"], "closed")
    assert body["status"] == "closed" and body["closed_reason"] == "expired"
    assert [e["event_type"] for e in swept.outbox(opportunity["id"])] == ["opportunity.published", "opportunity.closed"]


def test_referrals_already_in_the_pipeline_carry_on_after_expiry(
    swept: Harness, profiles_service: ProfilesService
) -> None:
    employer = swept.new_employer()
    opportunity = swept.live(employer["id"], positions=1)
    referral = swept.refer(profiles_service.register(), opportunity["id"]).json()
    swept.clock.advance(days=31)
    assert _wait_for_status(swept, opportunity["id"], "closed")["status"] == "closed"
    for status in ("applied", "interviewing", "offered", "accepted"):
        assert swept.move(referral["id"], status).status_code == 200, status
    body = _status(swept, opportunity["id"])
    assert body["status"] == "closed" and body["positions_filled"] == 1
