"""Every change reaches its topic: the outbox relay publishes to the real broker and an independent reader
reads back employer, opportunity, referral and interest events, in order, with the domain clock's times."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from services.messaging.contract import EventType, Topic, parse_event
from tests.opportunities.conftest import ProfilesService, make_harness
from tests.opportunities.harness import BASE_TIME, Harness
from tests.support.databases import TestDatabases
from tests.support.keys import Openings, profiles_keys
from tests.support.services import running_relay
from tests.support.topics import TopicReader


@pytest.fixture(scope="module")
def published(
    databases: TestDatabases, profiles_service: ProfilesService, bootstrap_servers: str
) -> Iterator[tuple[Harness, dict[Topic, TopicReader]]]:
    """The service, a relay publishing its outbox, and readers positioned at the end of each topic."""
    readers = {
        topic: TopicReader(bootstrap_servers, str(topic))
        for topic in (Topic.EMPLOYERS, Topic.OPPORTUNITIES, Topic.REFERRALS)
    }
    for harness in make_harness(databases, profiles_service, expiry_interval_seconds=0.1)():
        with running_relay("opportunities", harness.settings.resolved_database_url(), bootstrap_servers):
            yield harness, readers
    for reader in readers.values():
        reader.close()


def _records_of(reader: TopicReader, aggregate_id: str) -> list[Any]:
    return [r for r in reader.records if r.key == aggregate_id.encode()]


def _events_of(reader: TopicReader, aggregate_id: str, count: int) -> list[Any]:
    def enough(records: list[Any]) -> bool:
        return len([r for r in records if r.key == aggregate_id.encode()]) >= count

    reader.wait_for(enough, timeout=30)
    reader.settle(0.5)
    return [parse_event(r.value) for r in reader.records if r.key == aggregate_id.encode()]


def test_each_change_is_published_on_its_topic(
    published: tuple[Harness, dict[Topic, TopicReader]], profiles_service: ProfilesService
) -> None:
    api, readers = published
    api.clock.at = BASE_TIME
    employer = api.new_employer(name="Evented Bakery Ltd")
    api.clock.advance(hours=1)
    api.client.patch(f"/employers/{employer['id']}", json={"living_wage_employer": True}, headers=api.adviser())

    api.clock.advance(hours=1)
    opportunity = api.live(employer["id"], positions=1, title="Evented baker")
    api.clock.advance(hours=1)
    later = (api.today + dt.timedelta(days=40)).isoformat()
    api.client.patch(f"/opportunities/{opportunity['id']}", json={"closing_date": later}, headers=api.adviser())
    closing = api.live(employer["id"], title="Evented cashier")
    api.clock.advance(hours=1)
    api.client.post(f"/opportunities/{closing['id']}/close", json={"reason": "Budget cut"}, headers=api.adviser())

    person = profiles_service.register(on_universal_credit=True)
    api.clock.advance(hours=1)
    interest = api.client.post(f"/opportunities/{opportunity['id']}/interest", headers=api.person(person)).json()
    api.clock.advance(hours=1)
    referral = api.refer(person, opportunity["id"]).json()
    moved_at = []
    for status in ("applied", "interviewing", "offered", "accepted"):
        api.clock.advance(days=1)
        moved_at.append(api.clock.now())
        assert api.move(referral["id"], status, headers=api.employer(employer["id"])).status_code == 200

    employer_events = _events_of(readers[Topic.EMPLOYERS], employer["id"], 2)
    assert [e.event_type for e in employer_events] == [EventType.EMPLOYER_REGISTERED, EventType.EMPLOYER_UPDATED]
    assert [e.aggregate_version for e in employer_events] == [1, 2]
    assert employer_events[0].occurred_at == BASE_TIME
    assert employer_events[1].typed_payload().living_wage_employer is True
    assert employer_events[1].typed_payload().postcode_district == "SK1"

    opportunity_events = _events_of(readers[Topic.OPPORTUNITIES], opportunity["id"], 3)
    assert [e.event_type for e in opportunity_events] == [
        EventType.OPPORTUNITY_PUBLISHED,
        EventType.OPPORTUNITY_UPDATED,
        EventType.OPPORTUNITY_CLOSED,
    ]
    versions = [e.aggregate_version for e in opportunity_events]
    assert versions == sorted(versions) and len(set(versions)) == 3
    filled = opportunity_events[-1].typed_payload()
    assert filled.status == "filled" and filled.closed_reason == "filled" and filled.positions_filled == 1
    assert opportunity_events[-1].occurred_at == moved_at[-1]
    assert opportunity_events[1].typed_payload().closing_date.isoformat() == later
    assert opportunity_events[0].typed_payload().title == "Evented baker"

    closed_events = _events_of(readers[Topic.OPPORTUNITIES], closing["id"], 2)
    assert [e.event_type for e in closed_events] == [EventType.OPPORTUNITY_PUBLISHED, EventType.OPPORTUNITY_CLOSED]
    assert closed_events[-1].typed_payload().closed_reason == "Budget cut"

    referral_events = _events_of(readers[Topic.REFERRALS], referral["id"], 5)
    assert [e.event_type for e in referral_events] == [EventType.REFERRAL_CREATED] + [
        EventType.REFERRAL_STATUS_CHANGED
    ] * 4
    assert [e.aggregate_version for e in referral_events] == [1, 2, 3, 4, 5]
    payloads = [e.typed_payload() for e in referral_events]
    assert [(p.previous_status, p.status) for p in payloads] == [
        (None, "referred"),
        ("referred", "applied"),
        ("applied", "interviewing"),
        ("interviewing", "offered"),
        ("offered", "accepted"),
    ]
    assert [p.changed_at for p in payloads[1:]] == moved_at
    assert all(p.adviser_id == "adviser-7" for p in payloads)
    # the person is named by their subject reference; opened with the profiles service's keys, by their id
    assert {str(p.subject) for p in payloads} == {profiles_service.subject_of(person)}
    keys = profiles_keys(httpx.Client(base_url=profiles_service.url), profiles_service.settings)
    assert {e.payload["profile_id"] for e in Openings(keys)(_records_of(readers[Topic.REFERRALS], referral["id"]))} == {
        person}

    interest_events = _events_of(readers[Topic.REFERRALS], interest["id"], 1)
    assert [e.event_type for e in interest_events] == [EventType.INTEREST_EXPRESSED]
    assert str(interest_events[0].typed_payload().opportunity_id) == opportunity["id"]


def test_expiry_is_published_as_opportunity_closed(published: tuple[Harness, dict[Topic, TopicReader]]) -> None:
    api, readers = published
    api.clock.at = BASE_TIME
    employer = api.new_employer()
    opportunity = api.live(employer["id"], title="Evented porter")
    api.clock.advance(days=31)
    events = _events_of(readers[Topic.OPPORTUNITIES], opportunity["id"], 2)
    assert events[-1].event_type == EventType.OPPORTUNITY_CLOSED
    payload = events[-1].typed_payload()
    assert payload.status == "closed" and payload.closed_reason == "expired"
    assert events[-1].occurred_at.date() == api.today


def test_published_records_carry_no_personal_details(
    published: tuple[Harness, dict[Topic, TopicReader]], profiles_service: ProfilesService
) -> None:
    api, readers = published
    api.clock.at = BASE_TIME
    employer = api.new_employer()
    opportunity = api.live(employer["id"])
    person = profiles_service.register(given_name="Zebedee", family_name="Quartermain")
    referral = api.refer(person, opportunity["id"], note="Zebedee's note").json()
    _events_of(readers[Topic.REFERRALS], referral["id"], 1)
    raw = [json.loads(r.value) for r in readers[Topic.REFERRALS].records if r.key == referral["id"].encode()]
    text = json.dumps(raw)
    assert "Zebedee" not in text and "Quartermain" not in text and "note" not in text
