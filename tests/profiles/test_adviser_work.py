"""Adviser work: planned actions (open, done, overdue across a caseload), appointments and their outcome, caseload
transfers with their history (the profile's event names the new adviser), the daily lapse run and the list of
lapsed people the notifications service reads. Advisers only; bad input names the field; nothing half-written."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from services.common.auth import Role
from services.common.clock import FixedClock
from services.messaging.contract import Topic
from services.profiles.config import ProfilesSettings
from services.profiles.lapses import DailyLapses
from services.profiles.main import create_app
from tests.profiles.conftest import ProfilesHarness
from tests.support.databases import TestDatabases
from tests.support.factories import profile_payload
from tests.support.services import bearer, client_for, running_relay
from tests.support.topics import TopicReader
from tests.support.waiting import wait_for

MONDAY = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
NEET_DAYS = 31  # the default currency of a NEET activity


class Hub(ProfilesHarness):
    clock: FixedClock

    def register(self, adviser: str = "adviser-1", **fields: Any) -> str:
        answer = self.client.post("/profiles", json=profile_payload(**fields), headers=self.as_("adviser", adviser))
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])

    def post(self, path: str, body: dict[str, Any], expect: int = 201) -> dict[str, Any]:
        answer = self.client.post(path, json=body, headers=self.as_("adviser"))
        assert answer.status_code == expect, answer.text
        return dict(answer.json())

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        answer = self.client.get(path, params=params, headers=self.as_("adviser"))
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def adviser(self, adviser_id: str, name: str) -> None:
        answer = self.client.put(f"/advisers/{adviser_id}", headers=self.as_("adviser", adviser_id), json={
            "name": name, "team": "Hub", "email": f"{adviser_id}@hub.example", "phone": "0161 000 0001"})
        assert answer.status_code == 200, answer.text

    def day(self, days: int = 0) -> str:
        return (self.clock.today() + dt.timedelta(days=days)).isoformat()


def make_hub(databases: TestDatabases, bootstrap_servers: str, tmp_path: Any, **settings: Any) -> Iterator[Hub]:
    url = databases.new_url("profiles")
    config = ProfilesSettings(database_url=url, kafka_bootstrap_servers=bootstrap_servers, data_dir=tmp_path,
                              **settings)
    clock = FixedClock(MONDAY)
    with client_for(create_app(config, clock=clock)) as client:
        harness = Hub(client=client, settings=config, database_url=url)
        harness.clock = clock
        yield harness


@pytest.fixture
def hub(databases: TestDatabases, bootstrap_servers: str, tmp_path) -> Iterator[Hub]:
    yield from make_hub(databases, bootstrap_servers, tmp_path, lapse_job=False)


def count(hub: Hub, table: str) -> int:
    engine = create_engine(hub.database_url)
    with engine.connect() as connection:
        found = int(connection.scalar(text(f"SELECT count(*) FROM {table}")) or 0)
    engine.dispose()
    return found


def test_planned_actions_are_listed_marked_done_and_overdue_ones_show_on_the_caseload(hub: Hub) -> None:
    mine, theirs = hub.register(), hub.register(adviser="adviser-2")
    cv = hub.post(f"/profiles/{mine}/actions", {"category": "cv_and_applications",
                                                "description": "Update the CV with the warehouse job",
                                                "due_on": hub.day(3)})
    assert (cv["status"], cv["overdue"], cv["done_on"], cv["created_by"]) == ("open", False, None, "adviser-1")
    search = hub.post(f"/profiles/{mine}/actions", {"category": "job_search", "description": "Three applications",
                                                    "due_on": hub.day(1)})
    hub.post(f"/profiles/{theirs}/actions", {"category": "other", "description": "Call back", "due_on": hub.day(1)})
    listed = hub.get(f"/profiles/{mine}/actions")
    assert [i["id"] for i in listed["items"]] == [search["id"], cv["id"]]  # open ones by due day
    assert hub.get("/actions/due", adviser_id="adviser-1")["items"] == []  # nothing due yet

    hub.clock.advance(days=2)
    due = hub.get("/actions/due", adviser_id="adviser-1")
    assert [(i["id"], i["overdue"], i["profile_id"]) for i in due["items"]] == [(search["id"], True, mine)]
    assert due["items"][0]["given_name"]  # the adviser's list names the person
    assert {i["adviser_id"] for i in hub.get("/actions/due")["items"]} == {"adviser-1", "adviser-2"}
    assert [i["id"] for i in hub.get("/actions/due", adviser_id="adviser-1", by=hub.day(1))["items"]] == [
        search["id"], cv["id"]]

    done = hub.post(f"/profiles/{mine}/actions/{search['id']}/done", {}, expect=200)
    assert (done["status"], done["done_on"], done["overdue"], done["done_by"]) == ("done", hub.day(), False,
                                                                                   "adviser-1")
    assert hub.get("/actions/due", adviser_id="adviser-1")["items"] == []
    again = hub.post(f"/profiles/{mine}/actions/{search['id']}/done", {}, expect=409)["detail"][0]
    assert (again["loc"][-1], again["type"]) == ("status", "already_done")
    assert [i["status"] for i in hub.get(f"/profiles/{mine}/actions")["items"]] == ["open", "done"]


def test_bad_action_input_names_the_field_and_nothing_is_written(hub: Hub) -> None:
    pid = hub.register()
    good = {"category": "job_search", "description": "Apply for two jobs", "due_on": hub.day(7)}
    cases = [
        ({**good, "category": "astrology"}, "category", None),
        ({**good, "description": ""}, "description", None),
        ({**good, "description": "x" * 501}, "description", None),
        ({**good, "due_on": "07/12/2026"}, "due_on", None),
        ({**good, "due_on": hub.day(-1)}, "due_on", "not_in_past"),
        ({**good, "status": "done"}, "status", None),
    ]
    for body, field, rule in cases:
        detail = hub.post(f"/profiles/{pid}/actions", body, expect=422)["detail"][0]
        assert detail["loc"][-1] == field, (body, detail)
        if rule:
            assert detail["type"] == rule, (body, detail)
    assert count(hub, "planned_actions") == 0
    action = hub.post(f"/profiles/{pid}/actions", good)
    for done_on in (hub.day(1), hub.day(-1)):
        detail = hub.post(f"/profiles/{pid}/actions/{action['id']}/done", {"done_on": done_on}, expect=422)
        assert (detail["detail"][0]["loc"][-1], detail["detail"][0]["type"]) == ("done_on",
                                                                                 "between_planned_and_today")
    assert hub.get(f"/profiles/{pid}/actions")["items"][0]["status"] == "open"
    other = hub.register()
    assert hub.client.post(f"/profiles/{other}/actions/{action['id']}/done", json={},
                           headers=hub.as_("adviser")).status_code == 404


def test_free_text_about_health_is_kept_for_advisers_with_a_warning(hub: Hub) -> None:
    pid = hub.register()
    action = hub.post(f"/profiles/{pid}/actions", {"category": "wellbeing_referral",
                                                   "description": "He has depression: refer to the wellbeing team",
                                                   "due_on": hub.day(2)})
    assert [(w["field"], w["categories"]) for w in action["warnings"]] == [("description", ["health"])]
    plain = hub.post(f"/profiles/{pid}/actions", {"category": "job_search", "description": "Look for care work",
                                                  "due_on": hub.day(2)})
    assert plain["warnings"] == []


def test_appointments_are_booked_and_their_outcome_recorded_once_when_due(hub: Hub) -> None:
    pid = hub.register()
    tomorrow = (MONDAY + dt.timedelta(days=1)).isoformat()
    meeting = hub.post(f"/profiles/{pid}/appointments", {"starts_at": tomorrow, "mode": "in_person",
                                                         "notes": "Hub office, room 2"})
    assert (meeting["mode"], meeting["notes"], meeting["outcome"]) == ("in_person", "Hub office, room 2", None)
    call = hub.post(f"/profiles/{pid}/appointments", {"starts_at": (MONDAY + dt.timedelta(days=3)).isoformat(),
                                                      "mode": "phone"})
    early = hub.post(f"/profiles/{pid}/appointments/{meeting['id']}/outcome", {"outcome": "attended"}, expect=422)
    assert (early["detail"][0]["loc"][-1], early["detail"][0]["type"]) == ("outcome", "not_yet_due")
    cancelled = hub.post(f"/profiles/{pid}/appointments/{call['id']}/outcome", {"outcome": "cancelled"}, expect=200)
    assert cancelled["outcome"] == "cancelled"
    hub.clock.advance(days=1, hours=1)
    missed = hub.post(f"/profiles/{pid}/appointments/{meeting['id']}/outcome", {"outcome": "missed"}, expect=200)
    assert (missed["outcome"], missed["outcome_recorded_by"]) == ("missed", "adviser-1")
    twice = hub.post(f"/profiles/{pid}/appointments/{meeting['id']}/outcome", {"outcome": "attended"}, expect=409)
    assert (twice["detail"][0]["loc"][-1], twice["detail"][0]["type"]) == ("outcome", "already_recorded")
    listed = hub.get(f"/profiles/{pid}/appointments")
    assert [(i["id"], i["outcome"]) for i in listed["items"]] == [(call["id"], "cancelled"),
                                                                  (meeting["id"], "missed")]
    for body, field in [({"starts_at": tomorrow, "mode": "carrier_pigeon"}, "mode"),
                        ({"starts_at": "tomorrow", "mode": "video"}, "starts_at"),
                        ({"starts_at": tomorrow, "mode": "video", "notes": "n" * 301}, "notes")]:
        assert hub.post(f"/profiles/{pid}/appointments", body, expect=422)["detail"][0]["loc"][-1] == field
    bad = hub.post(f"/profiles/{pid}/appointments/{call['id']}/outcome", {"outcome": "late"}, expect=422)
    assert bad["detail"][0]["loc"][-1] == "outcome"
    assert count(hub, "appointments") == 2


def test_a_transfer_moves_the_caseload_keeps_its_history_and_the_event_names_the_new_adviser(
    hub: Hub, bootstrap_servers: str
) -> None:
    hub.adviser("adviser-2", "Sam Okafor")
    hub.adviser("adviser-3", "Jo Price")
    reader = TopicReader(bootstrap_servers, Topic.PROFILES)
    with running_relay("profiles", hub.database_url, bootstrap_servers):
        pid = hub.register()
        first = hub.post(f"/profiles/{pid}/transfers", {"to_adviser_id": "adviser-2", "reason": "Moved to Hyde"})
        assert (first["from_adviser_id"], first["to_adviser_id"], first["transferred_by"]) == (
            "adviser-1", "adviser-2", "adviser-1")
        hub.clock.advance(days=5)
        hub.post(f"/profiles/{pid}/transfers", {"to_adviser_id": "adviser-3", "reason": "Caseload balancing"})
        reader.wait_for(lambda records: len(hub.events_for(records, pid)) >= 3)
        events = hub.events_for(reader.settle(1.0), pid)
    reader.close()
    assert [(e.event_type, e.payload["adviser_id"]) for e in events] == [
        ("profile.registered", "adviser-1"), ("profile.updated", "adviser-2"), ("profile.updated", "adviser-3")]
    history = hub.get(f"/profiles/{pid}/transfers")["items"]
    assert [(h["from_adviser_id"], h["to_adviser_id"], h["reason"]) for h in history] == [
        ("adviser-2", "adviser-3", "Caseload balancing"), ("adviser-1", "adviser-2", "Moved to Hyde")]
    assert hub.get(f"/profiles/{pid}")["adviser_id"] == "adviser-3"

    for body, field, rule in [({"to_adviser_id": "nobody", "reason": "x"}, "to_adviser_id", "unknown_adviser"),
                              ({"to_adviser_id": "adviser-3", "reason": "again"}, "to_adviser_id", "same_adviser"),
                              ({"to_adviser_id": "adviser-2", "reason": ""}, "reason", None),
                              ({"to_adviser_id": "adviser-2"}, "reason", None)]:
        detail = hub.post(f"/profiles/{pid}/transfers", body, expect=422)["detail"][0]
        assert detail["loc"][-1] == field, (body, detail)
        if rule:
            assert detail["type"] == rule
    assert count(hub, "caseload_transfers") == 2
    assert hub.get(f"/profiles/{pid}")["adviser_id"] == "adviser-3"


def test_only_advisers_see_or_do_adviser_work_and_erasure_removes_it(hub: Hub) -> None:
    hub.adviser("adviser-2", "Sam Okafor")
    pid = hub.register()
    action = hub.post(f"/profiles/{pid}/actions", {"category": "other", "description": "Ring", "due_on": hub.day()})
    meeting = hub.post(f"/profiles/{pid}/appointments", {"starts_at": MONDAY.isoformat(), "mode": "video"})
    hub.post(f"/profiles/{pid}/transfers", {"to_adviser_id": "adviser-2", "reason": "Moved"})
    attempts = [
        ("POST", f"/profiles/{pid}/actions", {"category": "other", "description": "x", "due_on": hub.day()}),
        ("GET", f"/profiles/{pid}/actions", None),
        ("POST", f"/profiles/{pid}/actions/{action['id']}/done", {}),
        ("GET", "/actions/due", None),
        ("POST", f"/profiles/{pid}/appointments", {"starts_at": MONDAY.isoformat(), "mode": "video"}),
        ("GET", f"/profiles/{pid}/appointments", None),
        ("POST", f"/profiles/{pid}/appointments/{meeting['id']}/outcome", {"outcome": "attended"}),
        ("POST", f"/profiles/{pid}/transfers", {"to_adviser_id": "adviser-1", "reason": "x"}),
        ("GET", f"/profiles/{pid}/transfers", None),
    ]
    for role, sub in ((Role.YOUNG_PERSON, pid), (Role.EMPLOYER, "employer-1"), (Role.SERVICE, "notifications")):
        for method, path, body in attempts:
            answer = hub.client.request(method, path, json=body, headers=bearer(hub.settings, role, sub))
            assert answer.status_code == 403, (role, method, path, answer.text)
    assert hub.client.get(f"/profiles/{pid}/actions").status_code == 401
    assert (count(hub, "planned_actions"), count(hub, "appointments"), count(hub, "caseload_transfers")) == (1, 1, 1)
    assert hub.client.get("/profiles/00000000-0000-0000-0000-000000000000/actions",
                          headers=hub.as_("adviser")).status_code == 404
    assert hub.client.delete(f"/profiles/{pid}", headers=hub.as_("adviser")).status_code == 204
    assert (count(hub, "planned_actions"), count(hub, "appointments"), count(hub, "caseload_transfers")) == (0, 0, 0)


def test_the_daily_run_writes_a_lapse_on_its_day_once(hub: Hub) -> None:
    pid = hub.register(status="neet")
    job = DailyLapses(hub.client.app.state.session_factory, hub.settings.model_copy(update={"lapse_hour": 6}),
                      hub.clock)  # type: ignore[attr-defined]
    lapse_day = MONDAY + dt.timedelta(days=NEET_DAYS)
    hub.clock.at = lapse_day - dt.timedelta(days=1)
    assert job.tick() == 0  # the last day it is current
    hub.clock.at = lapse_day.replace(hour=5)
    assert job.tick() is None  # before the hour
    assert hub.get(f"/profiles/{pid}")["status"] == "neet"
    hub.clock.at = lapse_day.replace(hour=6)
    assert job.tick() == 1
    assert hub.get(f"/profiles/{pid}")["status"] == "not_known"
    spells = hub.get(f"/profiles/{pid}/activity")["spells"]
    assert (spells[0]["code"], spells[0]["started_on"], spells[0]["source"]) == (810, lapse_day.date().isoformat(),
                                                                                  "lapsed")
    hub.clock.at = lapse_day.replace(hour=23)
    assert job.tick() is None  # once a day
    hub.clock.at = lapse_day.replace(hour=6) + dt.timedelta(days=1)
    assert job.tick() == 0
    assert [s["code"] for s in hub.get(f"/profiles/{pid}/activity")["spells"]] == [810, 610]


def test_the_service_runs_the_lapses_by_itself_unless_turned_off(databases: TestDatabases, bootstrap_servers: str,
                                                                  tmp_path) -> None:
    for enabled in (True, False):
        for hub in make_hub(databases, bootstrap_servers, tmp_path, lapse_job=enabled, lapse_hour=0,
                            lapse_check_interval_seconds=0.05):
            pid = hub.register(status="neet")
            hub.clock.advance(days=NEET_DAYS)
            if enabled:
                wait_for(lambda hub=hub, pid=pid: hub.get(f"/profiles/{pid}")["status"],
                         until=lambda status: status == "not_known",
                         what="the daily run to write the lapse", timeout=10)
            else:
                time.sleep(0.5)  # ten checks' worth
                assert hub.get(f"/profiles/{pid}")["status"] == "neet"
            assert (hub.client.app.state.lapse_job is None) is not enabled  # type: ignore[attr-defined]


def test_the_lapsed_list_names_people_by_id_and_day_for_the_notifications_service_only(hub: Hub) -> None:
    lapses, recorded, other = hub.register(status="neet"), hub.register(status="neet"), hub.register(adviser="a-2")
    hub.post(f"/profiles/{recorded}/activity", {"code": 810, "started_on": hub.day(), "source": "adviser"})
    hub.clock.advance(days=NEET_DAYS)
    service = bearer(hub.settings, Role.SERVICE, "notifications")
    answer = hub.client.get("/activity/lapsed", params={"adviser_id": "adviser-1"}, headers=service)
    assert answer.status_code == 200, answer.text
    lapsed_on = (MONDAY + dt.timedelta(days=NEET_DAYS)).date().isoformat()
    assert answer.json() == {"items": [{"profile_id": lapses, "since": lapsed_on}], "count": 1}
    assert other not in answer.text
    assert hub.client.get("/activity/lapsed", params={"adviser_id": "a-2"}, headers=service).json()["count"] == 1
    assert hub.client.get("/activity/lapsed", headers=service).status_code == 422  # adviser_id is required
    for role, sub in ((Role.SERVICE, "opportunities"), (Role.YOUNG_PERSON, lapses), (Role.EMPLOYER, "e-1")):
        refused = hub.client.get("/activity/lapsed", params={"adviser_id": "adviser-1"},
                                 headers=bearer(hub.settings, role, sub))
        assert refused.status_code == 403, role
    # The notifications service reads nothing else here about people's activity.
    assert hub.client.get("/activity/not-known", headers=service).status_code == 403
    assert hub.client.get(f"/profiles/{lapses}/activity", headers=service).status_code == 403
