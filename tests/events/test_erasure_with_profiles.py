"""The real profiles service and its outbox relay feeding the events service through the broker: clocks from
real registrations and status changes, and erasure removing a person while the anonymous figures hold."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from infra.seed.synthetic import birth_date_for_age
from services.common.auth import Role
from services.common.clock import FixedClock
from services.events.config import EventsSettings
from services.events.guarantee import ClockRules, GroupTally, tally
from services.events.main import create_app as create_events_app
from services.messaging.sealing import KeyRing
from services.profiles.config import ProfilesSettings
from services.profiles.main import create_app as create_profiles_app
from tests.support.databases import TestDatabases
from tests.support.events import YoungPerson, days, keys_from, offer_flow
from tests.support.factories import profile_payload
from tests.support.keys import profiles_keys
from tests.support.services import bearer, client_for, running_relay
from tests.support.topics import TopicPublisher
from tests.support.waiting import wait_for

BASE = dt.datetime(2043, 3, 1, 9, tzinfo=dt.UTC)


@dataclass
class Stack:
    keys: KeyRing
    profiles: TestClient
    profiles_clock: FixedClock
    events: TestClient
    events_clock: FixedClock
    settings: EventsSettings
    publisher: TopicPublisher

    def adviser(self, sub: str) -> dict[str, str]:
        return bearer(self.settings, Role.ADVISER, sub)

    def get(self, path: str, **params: Any) -> Any:
        response = self.events.get(path, params=params, headers=self.adviser("auditor"))
        assert response.status_code == 200, response.text
        return response.json()

    def tallies(self, adviser: str) -> dict[str, GroupTally]:
        """The caseload's figures before disclosure control."""
        app = self.events.app
        with app.state.session_factory() as session:  # type: ignore[attr-defined]
            return tally(session=session, now=self.events_clock.now(),
                         rules=ClockRules.from_settings(self.settings), adviser=adviser)

    def register(self, adviser: str, at: dt.datetime, **overrides: Any) -> str:
        self.profiles_clock.at = at
        payload = profile_payload(date_of_birth=birth_date_for_age(20, at.date()).isoformat(), **overrides)
        response = self.profiles.post("/profiles", json=payload, headers=self.adviser(adviser))
        assert response.status_code == 201, response.text
        return str(response.json()["id"])


@pytest.fixture(scope="module")
def stack(databases: TestDatabases, bootstrap_servers: str, publisher: TopicPublisher,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    profiles_url = databases.new_url("profiles")
    profiles_settings = ProfilesSettings(database_url=profiles_url, kafka_bootstrap_servers=bootstrap_servers,
                                         data_dir=tmp_path_factory.mktemp("profiles"))
    events_settings = EventsSettings(database_url=databases.new_url("events"),
                                     kafka_bootstrap_servers=bootstrap_servers,
                                     consumer_group=f"events-erasure-{uuid.uuid4().hex[:8]}", environment="test")
    profiles_clock, events_clock = FixedClock(BASE), FixedClock(BASE)
    with client_for(create_profiles_app(profiles_settings, clock=profiles_clock)) as profiles:
        keys = profiles_keys(profiles, profiles_settings)
        events_app = create_events_app(events_settings, clock=events_clock, keys=keys)
        with running_relay("profiles", profiles_url, bootstrap_servers), client_for(events_app) as events:
            wait_for(events_app.state.consumer.assigned.is_set, what="the consumer's partitions", timeout=60)
            yield Stack(keys, profiles, profiles_clock, events, events_clock, events_settings, publisher)


def _person(stack: Stack, profile_id: str, adviser: str, registered_at: dt.datetime) -> YoungPerson:
    """A handle to produce referral events about a person the profiles service registered (with their keys)."""
    pid = uuid.UUID(profile_id)
    return YoungPerson(adviser, registered_at, profile_id=pid, keys=keys_from(stack.keys, pid))


def test_real_status_changes_restart_the_clock(stack: Stack) -> None:
    adviser = f"adviser-{uuid.uuid4().hex[:8]}"
    profile_id = stack.register(adviser, BASE)
    for status, day in (("employment", 30), ("neet", 60)):
        stack.profiles_clock.at = BASE + days(day)
        response = stack.profiles.patch(f"/profiles/{profile_id}", json={"status": status},
                                        headers=stack.adviser(adviser))
        assert response.status_code == 200, response.text
    stack.events_clock.at = BASE + days(70)

    def clock() -> dict[str, Any] | None:
        response = stack.events.get(f"/guarantee/{profile_id}", headers=stack.adviser(adviser))
        return response.json() if response.status_code == 200 else None

    body = wait_for(clock, until=lambda b: b is not None and len(b["episodes"]) == 2)
    assert body is not None
    assert [e["status"] for e in body["episodes"]] == ["ended_without_offer", "on_track"]
    assert body["current"]["days_waiting"] == 10
    assert body["current"]["registered_at"].startswith(BASE.date().isoformat())
    assert body["current"]["priority_groups"] == ["care_leaver"]


def test_erasure_removes_the_person_from_lists_and_keeps_the_anonymous_figures(stack: Stack) -> None:
    adviser = f"adviser-{uuid.uuid4().hex[:8]}"
    start = dt.datetime(2045, 11, 1, 9, tzinfo=dt.UTC)  # months of its own for /stats
    offered = []
    for index in range(6):
        special: dict[str, Any] = (
            {"priority_groups": ["care_leaver", "send"], "ethnicity": "Synthetic ethnicity"} if index < 2 else {})
        offered.append(stack.register(adviser, start + dt.timedelta(hours=index), **special))
    waiting = stack.register(adviser, start + days(1))
    events = []
    for index, profile_id in enumerate(offered):
        person = _person(stack, profile_id, adviser, start)
        events += offer_flow(person, referred=start + days(5), offered=start + days(10 * (index + 1)))
    stack.publisher.publish(*events)
    stack.events_clock.at = start + days(80)

    rows = wait_for(lambda: stack.get("/guarantee", adviser=adviser)["items"],
                    until=lambda r: [x["status"] for x in r] == ["on_track"] + ["met"] * 6
                    and sum("send" in x["priority_groups"] for x in r) == 2)
    assert rows[0]["profile_id"] == waiting
    raw = stack.events.get("/guarantee", params={"adviser": adviser}, headers=stack.adviser("a")).text.lower()
    assert "ethnicity" not in raw
    before, published_before = stack.tallies(adviser), stack.get("/guarantee/summary", adviser=adviser)
    overall = before["all"]
    assert (overall.size, overall.counts["on_track"], overall.counts["met"]) == (7, 1, 6)
    assert overall.median_days_to_offer == 34.9  # (30d - 2h + 40d - 3h) / 2
    assert overall.share_within_deadline == 1.0
    assert before["send"].size == 2
    assert published_before["overall"]["counts"]["on_track"] == {"value": None, "suppressed": True}
    send_group = next(g for g in published_before["groups"] if g["group"] == "send")
    assert send_group["size"] == {"value": None, "suppressed": True}
    months = [{"month": "2045-11"}, {"month": "2045-12"}, {}]  # the offers fall in November and December
    stats_before = [stack.get("/stats", **month) for month in months]
    assert stats_before[0]["registered_young_people"] in (7, None)  # None only if hidden to protect another month

    erased, erased_waiting = offered[0], waiting
    for profile_id in (erased, erased_waiting):
        stack.profiles_clock.at = start + days(79)
        response = stack.profiles.delete(f"/profiles/{profile_id}", headers=stack.adviser(adviser))
        assert response.status_code == 204, response.text
    wait_for(lambda: [stack.events.get(f"/guarantee/{p}", headers=stack.adviser("a")).status_code
                      for p in (erased, erased_waiting)], until=lambda codes: codes == [404, 404])

    rows = stack.get("/guarantee", adviser=adviser)["items"]
    assert {r["profile_id"] for r in rows} == set(offered[1:])
    after, published_after = stack.tallies(adviser), stack.get("/guarantee/summary", adviser=adviser)
    overall = after["all"]
    assert overall.counts["met"] == 6, "the erased person's offer still counts"
    assert overall.counts["on_track"] == 0, "a running clock leaves the figures"
    assert overall.size == 6
    assert overall.median_days_to_offer == before["all"].median_days_to_offer
    assert overall.share_within_deadline == before["all"].share_within_deadline
    assert any("erased" in note for note in published_after["notes"])
    for row in (published_after["overall"], *published_after["groups"]):  # what is shown is the truth
        for status, figure in row["counts"].items():
            assert figure["suppressed"] or figure["value"] == after[row["group"]].counts[status]
    stats_after = [stack.get("/stats", **month) for month in months]
    for before_month, after_month in zip(stats_before, stats_after, strict=True):
        for key in ("registered_young_people", "referrals", "interviews", "offers", "starts"):
            assert after_month[key] == before_month[key], (before_month["month"], key)
    assert stats_after[2]["neet_now"] == stats_before[2]["neet_now"] - 2

    trail = stack.get("/events", profile_id=erased, order="asc")["items"]
    types = [e["event_type"] for e in trail]
    assert types.count("profile.registered") == 1 and types.count("referral.status_changed") == 2
    assert "profile.special_category_set" in types and types[-1] == "profile.erased"
    for event in trail[:-1]:
        assert event["payload"] == {"redacted": True} and event["redacted"], event
        assert event["occurred_at"] and event["aggregate_version"] >= 1
    # the erasure itself stays, unredacted, found by the profile id's one-way mark (the id is no longer kept)
    assert set(trail[-1]["payload"]) == {"erased_at"} and not trail[-1]["redacted"]
    assert "Synthetic ethnicity" not in json.dumps(stack.get("/events", limit=1000))
