"""The activity record: NCCIS spells give the profile's status; an unconfirmed activity turns not known on the day
it lapses; failed contact attempts lead to 820 and a refusal to 830; a health code never reaches a plain event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from services.common.clock import FixedClock
from services.messaging.contract import Topic
from services.profiles.config import ProfilesSettings
from services.profiles.main import create_app
from tests.profiles.conftest import ProfilesHarness
from tests.support.databases import TestDatabases
from tests.support.factories import profile_payload
from tests.support.services import client_for, running_relay
from tests.support.topics import TopicReader

MONDAY = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
NEET_DAYS = 31  # the default currency of a NEET activity


class Hub(ProfilesHarness):
    clock: FixedClock

    def register(self, **fields: Any) -> str:
        answer = self.client.post("/profiles", json=profile_payload(**fields), headers=self.as_("adviser"))
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])

    def record(self, pid: str) -> dict[str, Any]:
        answer = self.client.get(f"/profiles/{pid}/activity", headers=self.as_("adviser"))
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def post(self, path: str, body: dict[str, Any], expect: int = 201) -> dict[str, Any]:
        answer = self.client.post(path, json=body, headers=self.as_("adviser"))
        assert answer.status_code == expect, answer.text
        return dict(answer.json())

    def attempt(self, pid: str, outcome: str, on: dt.date | None = None) -> dict[str, Any]:
        day = (on or self.clock.today()).isoformat()
        return self.post(f"/profiles/{pid}/contact-attempts", {"method": "phone", "outcome": outcome,
                                                              "attempted_on": day})

    def status(self, pid: str) -> str:
        return str(self.client.get(f"/profiles/{pid}", headers=self.as_("adviser")).json()["status"])


@pytest.fixture
def hub(databases: TestDatabases, bootstrap_servers: str, tmp_path) -> Iterator[Hub]:
    url = databases.new_url("profiles")
    settings = ProfilesSettings(database_url=url, kafka_bootstrap_servers=bootstrap_servers, data_dir=tmp_path)
    clock = FixedClock(MONDAY)
    with client_for(create_app(settings, clock=clock)) as client:
        harness = Hub(client=client, settings=settings, database_url=url)
        harness.clock = clock
        yield harness


def test_registering_opens_a_spell_and_each_new_activity_ends_the_last_and_moves_the_status(hub: Hub) -> None:
    pid = hub.register(status="neet")
    record = hub.record(pid)
    assert (record["current_code"], record["current_group"], record["current_since"]) == (610, "neet_available",
                                                                                          "2026-12-07")
    hub.clock.advance(days=10)
    started = hub.clock.today().isoformat()
    record = hub.post(f"/profiles/{pid}/activity", {"code": 310, "started_on": started, "source": "employer"})
    assert (record["current_code"], record["current_label"]) == (310, "Apprenticeship")
    assert [(s["code"], s["started_on"], s["ended_on"]) for s in record["spells"]] == [
        (310, started, None), (610, "2026-12-07", started)]
    assert record["spells"][0]["lapses_on"] == (hub.clock.today() + dt.timedelta(days=365)).isoformat()
    assert hub.status(pid) == "employment"  # an apprenticeship is employment
    # A status set on the profile is recorded as a spell too, so the two never disagree.
    hub.client.patch(f"/profiles/{pid}", json={"status": "education"}, headers=hub.as_("adviser"))
    assert hub.record(pid)["current_code"] == 270


def test_an_unconfirmed_activity_turns_not_known_the_day_it_lapses_and_the_adviser_sees_it(hub: Hub) -> None:
    pid = hub.register(status="neet")
    confirmed = hub.register(status="neet")
    hub.clock.advance(days=20)
    hub.post(f"/profiles/{confirmed}/activity/confirmation", {}, expect=200)
    hub.clock.advance(days=NEET_DAYS - 20 - 1)
    assert hub.record(pid)["current_code"] == 610  # the last day it is current
    assert hub.post("/activity/lapses", {}, expect=200) == {"lapsed": 0}
    hub.clock.advance(days=1)
    record = hub.record(pid)
    lapsed_on = (MONDAY.date() + dt.timedelta(days=NEET_DAYS)).isoformat()
    assert (record["current_code"], record["current_since"], record["lapsed_from"]) == (810, lapsed_on, 610)
    assert hub.record(confirmed)["current_code"] == 610  # confirmed on day 20: current until day 51
    queue = hub.client.get("/activity/not-known", headers=hub.as_("adviser")).json()
    assert [(i["profile_id"], i["code"], i["since"]) for i in queue["items"]] == [(pid, 810, lapsed_on)]
    assert hub.status(pid) == "neet"  # until the lapse is written down
    assert hub.post("/activity/lapses", {}, expect=200) == {"lapsed": 1}
    assert hub.post("/activity/lapses", {}, expect=200) == {"lapsed": 0}
    assert hub.status(pid) == "not_known"
    spells = hub.record(pid)["spells"]
    assert [(s["code"], s["started_on"], s["ended_on"], s["source"]) for s in spells] == [
        (810, lapsed_on, None, "lapsed"), (610, "2026-12-07", lapsed_on, "adviser")]
    too_late = hub.post(f"/profiles/{confirmed}/activity/confirmation",
                        {"confirmed_on": (MONDAY.date() + dt.timedelta(days=60)).isoformat()}, expect=422)
    assert too_late["detail"][0]["loc"][-1] == "confirmed_on"


def test_failed_contacts_after_the_lapse_make_cannot_be_contacted_and_a_refusal_830(hub: Hub) -> None:
    pid, refuses = hub.register(status="neet"), hub.register(status="neet")
    hub.attempt(pid, "no_answer")  # before the lapse: does not count towards 820
    hub.clock.advance(days=NEET_DAYS + 5)
    first = hub.attempt(pid, "no_answer")
    assert first["current_code"] == 810 and first["lapsed_from"] == 610
    hub.attempt(pid, "wrong_details")
    assert hub.record(pid)["current_code"] == 810
    third = hub.attempt(pid, "message_left")
    assert (third["current_code"], third["current_label"]) == (820, "Cannot be contacted")
    assert [s["code"] for s in third["spells"]] == [820, 810, 610]
    assert hub.status(pid) == "not_known"
    queue = hub.client.get("/activity/not-known", headers=hub.as_("adviser")).json()["items"]
    ours = {item["profile_id"]: item for item in queue}
    assert (ours[pid]["code"], ours[pid]["failed_attempts"], ours[pid]["attempts"]) == (820, 3, 3)
    assert hub.attempt(refuses, "refused")["current_code"] == 830
    # Found again: a new activity ends the not known spell and takes them off the list.
    hub.post(f"/profiles/{pid}/activity", {"code": 230, "started_on": hub.clock.today().isoformat(),
                                           "source": "school_or_college"})
    assert hub.status(pid) == "education"
    queue = hub.client.get("/activity/not-known", headers=hub.as_("adviser")).json()["items"]
    assert pid not in {item["profile_id"] for item in queue}


def test_bad_activity_input_names_the_field_and_only_advisers_record(hub: Hub) -> None:
    pid = hub.register(status="neet")
    today = hub.clock.today()
    cases = [
        ({"code": 999, "started_on": today.isoformat(), "source": "adviser"}, "code", "activity_code"),
        ({"code": "310", "started_on": today.isoformat(), "source": "adviser"}, "code", None),
        ({"code": 310, "started_on": (today + dt.timedelta(days=1)).isoformat(), "source": "adviser"}, "started_on",
         "not_in_future"),
        ({"code": 310, "started_on": (today - dt.timedelta(days=1)).isoformat(), "source": "adviser"}, "started_on",
         "after_current_spell"),
        ({"code": 310, "started_on": today.isoformat(), "source": "rumour"}, "source", None),
        ({"code": 310, "started_on": today.isoformat(), "source": "adviser",
          "confirmed_on": (today + dt.timedelta(days=1)).isoformat()}, "confirmed_on", "between_start_and_today"),
    ]
    for body, field, rule in cases:
        detail = hub.post(f"/profiles/{pid}/activity", body, expect=422)["detail"][0]
        assert detail["loc"][-1] == field, (body, detail)
        if rule:
            assert detail["type"] == rule, (body, detail)
    bad = hub.post(f"/profiles/{pid}/contact-attempts", {"method": "pigeon", "outcome": "no_answer",
                                                        "attempted_on": today.isoformat()}, expect=422)
    assert bad["detail"][0]["loc"][-1] == "method"
    assert [s["code"] for s in hub.record(pid)["spells"]] == [610]  # nothing half-written
    young = hub.client.post(f"/profiles/{pid}/activity", json=cases[0][0], headers=hub.as_("young_person", pid))
    assert young.status_code == 403


def test_a_health_code_stays_in_the_record_the_event_says_neet_and_erasure_removes_the_record(hub: Hub,
                                                                                            bootstrap_servers) -> None:
    reader = TopicReader(bootstrap_servers, Topic.PROFILES)
    with running_relay("profiles", hub.database_url, bootstrap_servers):
        pid = hub.register(status="employment")
        hub.post(f"/profiles/{pid}/activity", {"code": 640, "started_on": hub.clock.today().isoformat(),
                                               "source": "young_person"})
        reader.wait_for(lambda records: len(hub.events_for(records, pid)) >= 2)
        events = hub.events_for(reader.settle(1.0), pid)
    reader.close()
    assert [e.payload["status"] for e in events] == ["employment", "neet"]
    assert not any("640" in str(e.payload) or "illness" in str(e.payload).lower() for e in events)
    assert hub.client.delete(f"/profiles/{pid}", headers=hub.as_("adviser")).status_code == 204
    engine = create_engine(hub.database_url)
    with engine.connect() as connection:
        left = [connection.scalar(text(f"SELECT count(*) FROM {table}"))
                for table in ("activity_spells", "contact_attempts")]
    engine.dispose()
    assert left == [0, 0]
