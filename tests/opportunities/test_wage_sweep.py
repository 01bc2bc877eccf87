"""When a new rate in the dated minimum wage table takes effect, the service's sweep holds back every live posting
it leaves below the minimum for some age it admits, with an opportunity.held_back event and the fix in words;
a held-back posting leaves browse and takes no referrals until its employer raises the pay (or lowers the oldest
age) enough, which lifts the hold with an opportunity.updated."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from services.common.minimum_wage import WageRates
from tests.opportunities.conftest import ProfilesService, make_harness
from tests.opportunities.harness import BASE_TIME, Harness, detail_types
from tests.support.databases import TestDatabases
from tests.support.waiting import wait_for

# A made-up rate from April 2027, added to the table while postings starting after it are live.
NEW_RATE = WageRates(dt.date(2027, 4, 1), Decimal("8.50"), Decimal("8.50"), Decimal("11.40"), Decimal("13.20"))
DATES = {"start_date": "2027-06-01", "closing_date": "2026-07-01"}


@pytest.fixture(scope="module")
def sweeping(databases: TestDatabases, profiles_service: ProfilesService) -> Iterator[Harness]:
    """The service with its sweep running every 0.1 s."""
    yield from make_harness(databases, profiles_service, expiry_interval_seconds=0.1)()


def _get(api: Harness, opportunity_id: str) -> dict[str, Any]:
    return dict(api.client.get(f"/opportunities/{opportunity_id}", headers=api.adviser()).json())


def test_a_new_rate_holds_back_live_postings_below_it_until_their_employer_fixes_them(
    sweeping: Harness, profiles_service: ProfilesService
) -> None:
    api = sweeping
    api.clock.at = BASE_TIME
    employer = api.new_employer()
    as_employer = api.employer(employer["id"])
    job = api.live(employer["id"], title="Sweep counter assistant", min_age=16, wage_per_hour=12.71, **DATES)
    teens = api.live(employer["id"], title="Sweep teen helper", min_age=16, max_age=20, wage_per_hour=11.0, **DATES)
    generous = api.live(employer["id"], title="Sweep generous", wage_per_hour=14.0, **DATES)
    previous = api.client.app.state.wage_table  # type: ignore[attr-defined]

    api.client.app.state.wage_table = previous.with_row(NEW_RATE)  # type: ignore[attr-defined]
    try:
        held = wait_for(lambda: _get(api, job["id"]), until=lambda body: body["held_back_reason"] is not None,
                        what="the sweep holding back the job", timeout=10)
        assert held["status"] == "live" and held["version"] == job["version"] + 1
        assert held["held_back_reason"] == (
            "£12.71 an hour is below the legal minimum of £13.20 an hour for ages 21 and over on the start date, "
            "1 June 2027. Raise the pay to at least £13.20 an hour, or set the oldest age to 20 so that only people "
            "aged 16 to 20 can apply."
        )
        teen_hold = wait_for(lambda: _get(api, teens["id"]), until=lambda b: b["held_back_reason"] is not None,
                             what="the sweep holding back the job for 16-20s", timeout=10)
        assert "£11.40 an hour for ages 18 to 20" in teen_hold["held_back_reason"]
        assert _get(api, generous["id"])["held_back_reason"] is None
        events = api.outbox(job["id"])
        assert [e["event_type"] for e in events] == ["opportunity.published", "opportunity.held_back"]
        assert events[-1]["payload"]["held_back_reason"] == held["held_back_reason"]
        assert [e["event_type"] for e in api.outbox(generous["id"])] == ["opportunity.published"]

        listed = api.client.get("/opportunities", params={"q": "Sweep"}).json()
        assert [item["id"] for item in listed["items"]] == [generous["id"]]
        refused = api.refer(profiles_service.register(), job["id"])
        assert refused.status_code == 409 and detail_types(refused) == {"opportunity_id": "opportunity_not_open"}
        assert "held back" in refused.json()["detail"][0]["msg"]

        not_enough = api.client.patch(f"/opportunities/{job['id']}", json={"wage_per_hour": 13.0}, headers=as_employer)
        assert not_enough.status_code == 422 and detail_types(not_enough) == {"wage_per_hour": "minimum_wage"}
        lower = api.client.patch(f"/opportunities/{job['id']}", json={"wage_per_hour": 12.0}, headers=as_employer)
        assert lower.status_code == 422 and detail_types(lower) == {"wage_per_hour": "raise_only"}
        unchanged = _get(api, job["id"])
        assert unchanged["wage_per_hour"] == 12.71 and unchanged["version"] == held["version"]
        other = api.client.patch(f"/opportunities/{job['id']}", json={"title": "New title"}, headers=as_employer)
        assert other.status_code == 409 and detail_types(other) == {"title": "locked_when_live"}

        fixed = api.client.patch(f"/opportunities/{job['id']}", json={"wage_per_hour": 13.2}, headers=as_employer)
        assert fixed.status_code == 200, fixed.text
        assert fixed.json()["held_back_reason"] is None and fixed.json()["wage_per_hour"] == 13.2
        narrowed = api.client.patch(f"/opportunities/{teens['id']}", json={"max_age": 17}, headers=as_employer)
        assert narrowed.status_code == 200 and narrowed.json()["held_back_reason"] is None, narrowed.text
        assert api.client.patch(f"/opportunities/{generous['id']}", json={"max_age": 30},
                                headers=as_employer).status_code == 409  # not held back: nothing to fix
        last = api.outbox(job["id"])[-1]
        assert last["event_type"] == "opportunity.updated" and last["payload"]["held_back_reason"] is None
        assert last["payload"]["wage_per_hour"] == 13.2

        assert api.refer(profiles_service.register(), job["id"]).status_code == 201
        wait_for(lambda: len(api.client.get("/opportunities", params={"q": "Sweep"}).json()["items"]) == 3,
                 what="all three back in browse", timeout=5)
        assert [e["event_type"] for e in api.outbox(teens["id"])][-1] == "opportunity.updated"
    finally:
        api.client.app.state.wage_table = previous  # type: ignore[attr-defined]
