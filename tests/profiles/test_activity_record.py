"""The activity record: NCCIS spells give the profile's status; an unconfirmed activity turns not known on the day
it lapses; failed contact attempts lead to 820 and a refusal to 830; every confirmation is kept; September Guarantee
offers are recorded for the Year 11 and Year 12 cohorts; each change stages one profile.activity_recorded with the
whole record, sealed on the restricted topic; a health code never reaches a plain event nor any topic in clear."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from services.common.clock import FixedClock
from services.messaging.contract import KEY_PURPOSES, ActivityRecordV1, EventType, Topic, parse_event
from services.messaging.sealing import InMemorySubjectBook, Opener
from services.profiles.config import ProfilesSettings
from services.profiles.main import create_app
from tests.profiles.conftest import ProfilesHarness
from tests.support.databases import TestDatabases
from tests.support.factories import profile_payload
from tests.support.keys import profiles_keys
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

    def offer(self, pid: str, year: object, body: dict[str, Any], expect: int = 200) -> dict[str, Any]:
        answer = self.client.put(f"/profiles/{pid}/september-guarantee/{year}", json=body, headers=self.as_("adviser"))
        assert answer.status_code == expect, answer.text
        return dict(answer.json())

    def activity_versions(self) -> dict[str, int]:
        engine = create_engine(self.database_url)
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT id, activity_version FROM profiles")).all()
        engine.dispose()
        return {str(pid): version for pid, version in rows}


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
    hub.clock.advance(days=2)
    hub.attempt(pid, "wrong_details")
    assert hub.record(pid)["current_code"] == 810
    hub.clock.advance(days=2)
    third = hub.attempt(pid, "message_left")
    assert (third["current_code"], third["current_label"]) == (820, "Cannot be contacted")
    assert [s["code"] for s in third["spells"]] == [820, 810, 610]
    assert hub.status(pid) == "not_known"
    queue = hub.client.get("/activity/not-known", headers=hub.as_("adviser")).json()["items"]
    ours = {item["profile_id"]: item for item in queue}
    # On the list since they stopped being known (the lapse), with every attempt since: not since the 820.
    assert (ours[pid]["code"], ours[pid]["since"], ours[pid]["failed_attempts"], ours[pid]["attempts"]) == (
        820, first["current_since"], 3, 3)
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
    restricted = TopicReader(bootstrap_servers, Topic.PROFILES_RESTRICTED)
    with running_relay("profiles", hub.database_url, bootstrap_servers):
        pid = hub.register(status="employment", date_of_birth="2009-03-01")
        hub.post(f"/profiles/{pid}/activity", {"code": 640, "started_on": hub.clock.today().isoformat(),
                                               "source": "young_person"})
        hub.offer(pid, 2026, {"outcome": "offer_not_appropriate"})
        reader.wait_for(lambda records: len(hub.events_for(records, pid)) >= 2)
        restricted.wait_for(lambda records: sum(e.event_type is EventType.PROFILE_ACTIVITY_RECORDED
                                                for e in hub.events_for(records, pid)) >= 3)
        events = hub.events_for(reader.settle(1.0), pid)
        activity = hub.events_for(restricted.settle(1.0), pid)
    reader.close()
    restricted.close()
    assert [e.payload["status"] for e in events] == ["employment", "neet"]
    assert not any("640" in str(e.payload) or "illness" in str(e.payload).lower() for e in events)
    # The code travels only inside the sealed activity record, opened with the special category key.
    activity = [e for e in activity if e.event_type is EventType.PROFILE_ACTIVITY_RECORDED]
    assert [s["code"] for s in activity[-1].payload["spells"]] == [330, 640]
    subject = hub.client.get(f"/profiles/{pid}/subject", headers=hub.as_("service", "events")).json()["subject"]
    theirs = [r for r in reader.records + restricted.records if r.key == subject.encode()]
    assert len(theirs) >= 5
    for record in theirs:
        raw = record.value.decode().lower()
        assert '"code"' not in raw and "illness" not in raw and "offer_not_appropriate" not in raw
        assert parse_event(record.value).schema_version == 2 and '"sealed"' in raw
    assert hub.client.delete(f"/profiles/{pid}", headers=hub.as_("adviser")).status_code == 204
    engine = create_engine(hub.database_url)
    with engine.connect() as connection:
        left = [connection.scalar(text(f"SELECT count(*) FROM {table}"))
                for table in ("activity_spells", "activity_confirmations", "contact_attempts", "september_guarantee")]
    engine.dispose()
    assert left == [0, 0, 0, 0]
    # Erasure destroyed the keys: what is left of the record on the topic opens for nobody, the events service included.
    opener = Opener(profiles_keys(hub.client, hub.settings), InMemorySubjectBook(), purposes=KEY_PURPOSES)
    kept = opener.open([parse_event(r.value) for r in theirs
                        if parse_event(r.value).event_type is EventType.PROFILE_ACTIVITY_RECORDED])
    assert len(kept) == 3 and opener.unreadable == 3 and opener.opened == 0
    assert all("sealed" in event.payload and "spells" not in event.payload for event in kept)


def test_every_confirmation_is_kept_and_the_latest_is_the_spells_confirmed_on(hub: Hub) -> None:
    pid = hub.register(status="neet")
    hub.clock.advance(days=10)
    hub.post(f"/profiles/{pid}/activity/confirmation", {}, expect=200)
    hub.post(f"/profiles/{pid}/activity/confirmation", {}, expect=200)  # the same day again: kept once
    remembered = (MONDAY.date() + dt.timedelta(days=3)).isoformat()
    hub.post(f"/profiles/{pid}/activity/confirmation", {"confirmed_on": remembered}, expect=200)
    hub.clock.advance(days=10)
    (spell,) = hub.post(f"/profiles/{pid}/activity/confirmation", {}, expect=200)["spells"]
    assert spell["confirmations"] == ["2026-12-07", remembered, "2026-12-17", "2026-12-27"]
    assert (spell["confirmed_on"], spell["lapses_on"]) == ("2026-12-27", "2027-01-27")
    record = hub.post(f"/profiles/{pid}/activity", {"code": 230, "started_on": "2026-12-20", "source": "adviser",
                                                    "confirmed_on": "2026-12-22"})
    assert [s["confirmations"] for s in record["spells"]] == [["2026-12-22"], spell["confirmations"]]
    # Registration, three new confirmation days and the new activity: five changes (the repeat was none).
    assert hub.activity_versions()[pid] == 5


def test_each_change_to_the_record_stages_one_sealed_event_with_the_whole_record_in_version_order(
        hub: Hub, bootstrap_servers) -> None:
    restricted = TopicReader(bootstrap_servers, Topic.PROFILES_RESTRICTED)
    shared = TopicReader(bootstrap_servers, Topic.PROFILES)
    with running_relay("profiles", hub.database_url, bootstrap_servers):
        pid = hub.register(status="neet", date_of_birth="2009-03-01")  # 1: registration's spell
        hub.clock.advance(days=5)
        hub.post(f"/profiles/{pid}/activity/confirmation", {}, expect=200)  # 2
        hub.post(f"/profiles/{pid}/activity/confirmation", {}, expect=200)  # the same day: no change, no event
        hub.client.patch(f"/profiles/{pid}", json={"status": "education"}, headers=hub.as_("adviser"))  # 3
        hub.client.patch(f"/profiles/{pid}", json={"skills": ["baking"]}, headers=hub.as_("adviser"))  # not the record
        hub.offer(pid, 2026, {"outcome": "offer_made"})  # 4
        hub.offer(pid, 2026, {"outcome": "offer_made"})  # the same: no change
        hub.clock.advance(days=400)
        hub.post("/activity/lapses", {}, expect=200)  # 5: education lapsed to 810
        for _ in range(hub.settings.failed_contacts_until_cannot_contact):  # 6: the last one makes it 820
            hub.attempt(pid, "no_answer")
        hub.attempt(pid, "refused")  # 7: 830
        restricted.wait_for(lambda records: len(hub.events_for(records, pid)) >= 7)
        events = hub.events_for(restricted.settle(1.5), pid)
        plain = hub.events_for(shared.settle(0.5), pid)
    restricted.close()
    shared.close()
    assert [e.event_type for e in events] == [EventType.PROFILE_ACTIVITY_RECORDED] * 7
    assert [e.aggregate_version for e in events] == [1, 2, 3, 4, 5, 6, 7]
    assert hub.activity_versions()[pid] == 7
    assert not any(e.event_type is EventType.PROFILE_ACTIVITY_RECORDED for e in plain)
    records = [ActivityRecordV1.model_validate(e.payload) for e in events]
    assert [[s.code for s in r.spells] for r in records] == [
        [610], [610], [610, 270], [610, 270], [610, 270, 810], [610, 270, 810, 820], [610, 270, 810, 820, 830]]
    assert records[1].spells[0].confirmed_on == [dt.date(2026, 12, 7), dt.date(2026, 12, 12)]
    assert [(o.year, o.outcome) for o in records[3].september_guarantee] == [(2026, "offer_made")]
    last = records[-1]
    assert [(o.year, o.outcome) for o in last.september_guarantee] == [(2026, "offer_made")]
    assert [s.source for s in last.spells] == ["adviser", "adviser", "lapsed", "adviser", "adviser"]
    assert last.spells[1].ended_on == last.spells[2].started_on == dt.date(2027, 12, 12)  # 365 days after 12 Dec


def test_september_guarantee_offers_for_the_year_11_and_12_cohorts_and_bad_input_names_the_field(hub: Hub) -> None:
    pid = hub.register(status="education", date_of_birth="2009-03-01")  # 16 on 31 August 2025, 17 in 2026
    record = hub.offer(pid, 2026, {"outcome": "offer_made"})
    hub.offer(pid, 2025, {"outcome": "no_offer"})
    record = hub.offer(pid, 2026, {"outcome": "offer_not_appropriate"})  # a new outcome replaces the year's
    expected = [
        {"year": 2025, "cohort": "year_11", "outcome": "no_offer", "recorded_on": "2026-12-07",
         "recorded_by": "adviser-1"},
        {"year": 2026, "cohort": "year_12", "outcome": "offer_not_appropriate", "recorded_on": "2026-12-07",
         "recorded_by": "adviser-1"},
    ]
    assert record["september_guarantee"] == expected
    assert hub.record(pid)["september_guarantee"] == expected
    version = hub.activity_versions()[pid]
    assert version == 4  # registration and three offers recorded
    cases = [
        (2024, {"outcome": "offer_made"}, ["path", "year"], "not_in_cohort"),  # 15 on 31 August 2024
        (2027, {"outcome": "offer_made"}, ["path", "year"], "not_in_future"),
        (1999, {"outcome": "offer_made"}, ["path", "year"], "too_early"),
        ("twenty", {"outcome": "offer_made"}, ["path", "year"], None),
        (2026, {"outcome": "maybe"}, ["body", "outcome"], None),
        (2026, {}, ["body", "outcome"], None),
        (2026, {"outcome": "offer_made", "note": "x"}, ["body", "note"], None),
    ]
    for year, body, loc, rule in cases:
        detail = hub.offer(pid, year, body, expect=422)["detail"][0]
        assert detail["loc"] == loc, (year, body, detail)
        if rule:
            assert detail["type"] == rule, (year, body, detail)
    assert "this person was 15" in hub.offer(pid, 2024, {"outcome": "offer_made"}, expect=422)["detail"][0]["msg"]
    older = hub.register(status="neet")  # 19: in no cohort of the years they could be recorded for
    assert hub.offer(older, 2026, {"outcome": "offer_made"}, expect=422)["detail"][0]["type"] == "not_in_cohort"
    assert hub.record(pid)["september_guarantee"] == expected  # nothing half-written
    assert hub.activity_versions()[pid] == version
    assert hub.record(older)["september_guarantee"] == []
    young = hub.client.put(f"/profiles/{pid}/september-guarantee/2026", json={"outcome": "no_offer"},
                           headers=hub.as_("young_person", pid))
    assert young.status_code == 403
    nobody = hub.client.put(f"/profiles/{uuid.uuid4()}/september-guarantee/2026", json={"outcome": "no_offer"},
                            headers=hub.as_("adviser"))
    assert nobody.status_code == 404
