"""Free text that says something of special category about the person ("I have dyslexia and ADHD" in `about`, a
skill "ADHD") is accepted with a warning, kept with the restricted data and travels only on the restricted topic:
the plain topic, the employer view and the events service's store never see it; talk of work passes as it is."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from services.events.config import EventsSettings
from services.events.main import create_app as create_events_app
from services.messaging.contract import EventType, Topic
from tests.support.databases import TestDatabases, all_text_in_database
from tests.support.factories import profile_payload
from tests.support.keys import profiles_keys
from tests.support.services import client_for, running_relay
from tests.support.topics import TopicReader
from tests.support.waiting import wait_for

DISCLOSURE = "I have dyslexia and ADHD."
HIDDEN_WORDS = ("dyslexia", "adhd")


@pytest.fixture
def relay(profiles, bootstrap_servers):
    with running_relay("profiles", profiles.database_url, bootstrap_servers) as relay:
        yield relay



def _special(events: list[Any]) -> list[Any]:
    """The special category events among a person's restricted ones (their activity record travels there too)."""
    return [event for event in events if event.event_type is EventType.PROFILE_SPECIAL_CATEGORY_SET]


def _register(profiles, **fields: Any) -> dict[str, Any]:
    response = profiles.client.post("/profiles", json=profile_payload(**fields), headers=profiles.as_("adviser"))
    assert response.status_code == 201, response.text
    return response.json()


def test_a_disclosure_in_about_and_skills_is_kept_with_a_warning_and_only_on_the_restricted_topic(
    profiles, relay, bootstrap_servers
) -> None:
    plain = TopicReader(bootstrap_servers, Topic.PROFILES)
    restricted = TopicReader(bootstrap_servers, Topic.PROFILES_RESTRICTED)
    created = _register(profiles, about=DISCLOSURE, skills=["customer service", "ADHD"], interests=["cooking"],
                        consent_share_with_employers=True)
    pid = created["id"]

    assert [(w["field"], w["rule"], w["item"]) for w in created["warnings"]] == [
        ("about", "special_category", None), ("skills", "special_category", "ADHD")]
    assert created["warnings"][0]["categories"] == ["disability"]
    assert "disability or neurodivergence" in created["warnings"][0]["message"]
    assert "never shown to employers" in created["warnings"][0]["message"]
    # The adviser (and the young person) still see what was typed.
    assert created["about"] == DISCLOSURE and created["skills"] == ["customer service", "ADHD"]
    again = profiles.client.get(f"/profiles/{pid}", headers=profiles.as_("young_person", pid)).json()
    assert again["about"] == DISCLOSURE and [w["field"] for w in again["warnings"]] == ["about", "skills"]

    plain.wait_for(lambda records: len(profiles.events_for(records, pid)) == 1)
    (registered,) = profiles.events_for(plain.settle(1.0), pid)
    assert registered.event_type is EventType.PROFILE_REGISTERED
    assert registered.payload["about"] == "" and registered.payload["skills"] == ["customer service"]
    raw_plain = json.dumps(registered.payload).lower()
    assert not any(word in raw_plain for word in HIDDEN_WORDS)

    restricted.wait_for(lambda records: len(_special(profiles.events_for(records, pid))) == 1)
    (special,) = _special(profiles.events_for(restricted.records, pid))
    assert special.payload["screened_text"] == [
        {"field": "about", "text": DISCLOSURE, "categories": ["disability"]},
        {"field": "skills", "text": "ADHD", "categories": ["disability"]},
    ]

    opportunities = profiles.as_("service", "opportunities")
    employer_view = profiles.client.get(f"/profiles/{pid}/employer-view", headers=opportunities)
    assert employer_view.status_code == 200
    assert employer_view.json()["skills"] == ["customer service"]
    assert not any(word in employer_view.text.lower() for word in HIDDEN_WORDS)
    plain.close()
    restricted.close()


def test_work_talk_is_not_held_back(profiles, relay, bootstrap_servers) -> None:
    plain = TopicReader(bootstrap_servers, Topic.PROFILES)
    about = "I want to work in mental health support and I'd like to care for disabled adults."
    created = _register(profiles, about=about, skills=["autism awareness training"])
    assert created["warnings"] == []
    pid = created["id"]
    plain.wait_for(lambda records: len(profiles.events_for(records, pid)) == 1)
    (registered,) = profiles.events_for(plain.records, pid)
    assert registered.payload["about"] == about
    assert registered.payload["skills"] == ["autism awareness training"]
    plain.close()


def test_changing_the_text_moves_it_between_the_plain_profile_and_the_restricted_data(
    profiles, relay, bootstrap_servers
) -> None:
    plain = TopicReader(bootstrap_servers, Topic.PROFILES)
    restricted = TopicReader(bootstrap_servers, Topic.PROFILES_RESTRICTED)
    adviser = profiles.as_("adviser")
    pid = _register(profiles, about="I love cooking.", interests=["football"])["id"]

    held = profiles.client.patch(f"/profiles/{pid}", json={"about": "I'm on probation until March."}, headers=adviser)
    assert held.status_code == 200, held.text
    assert [(w["field"], w["categories"]) for w in held.json()["warnings"]] == [("about", ["criminal_offence"])]
    assert held.json()["about"] == "I'm on probation until March." and held.json()["interests"] == ["football"]

    cleared = profiles.client.patch(f"/profiles/{pid}", json={"about": "I want to be a chef."}, headers=adviser)
    assert cleared.json()["warnings"] == [] and cleared.json()["about"] == "I want to be a chef."

    plain.wait_for(lambda records: len(profiles.events_for(records, pid)) == 3)
    assert [event.payload["about"] for event in profiles.events_for(plain.records, pid)] == [
        "I love cooking.", "", "I want to be a chef."]
    restricted.wait_for(lambda records: len(_special(profiles.events_for(records, pid))) == 2)
    assert [event.payload["screened_text"] for event in _special(profiles.events_for(restricted.records, pid))] == [
        [{"field": "about", "text": "I'm on probation until March.", "categories": ["criminal_offence"]}], []]
    assert "probation" not in json.dumps([e.payload for e in profiles.events_for(plain.settle(1.0), pid)]).lower()
    plain.close()
    restricted.close()


@pytest.fixture
def events_service(databases: TestDatabases, bootstrap_servers: str, profiles) -> Iterator[str]:
    """The events service consuming every topic (the restricted one too) into its own database, with the keys of
    the profiles service under test."""
    url = databases.new_url("events")
    settings = EventsSettings(database_url=url, kafka_bootstrap_servers=bootstrap_servers,
                              consumer_group=f"events-screening-{uuid.uuid4().hex[:8]}", environment="test")
    app = create_events_app(settings, keys=profiles_keys(profiles.client, profiles.settings))
    with client_for(app):
        wait_for(app.state.consumer.assigned.is_set, what="the consumer's partitions", timeout=60)
        yield url


def test_the_events_service_stores_neither_the_text_nor_its_categories(
    profiles, relay, events_service: str
) -> None:
    pid = _register(profiles, about=DISCLOSURE, priority_groups=["send"], skills=["ADHD"])["id"]

    def stored() -> str:
        return all_text_in_database(events_service)

    def both_stored(dump: str) -> bool:
        lines = [line for line in dump.splitlines() if pid in line]
        return any("profile.registered" in line for line in lines) and any(
            "profile.special_category_set" in line for line in lines)

    dump = wait_for(stored, until=both_stored, what="both events of the person stored")
    about_them = [line for line in dump.splitlines() if pid in line]
    assert any("special_category_set" in line and "[withheld]" in line for line in about_them)
    assert not any(word in dump for word in HIDDEN_WORDS)
    assert not any("disability" in line for line in about_them)
