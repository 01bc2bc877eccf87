"""Erasure reaches this service: the real profiles app erases a person, its relay puts profile.erased on the real
broker, and this service's consumer removes the person: interests go, referrals stay as anonymous outcomes (the
opportunity's places do not move), and the outbox keeps no personal data of them."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, select

from services.common.auth import Role
from services.common.clock import FixedClock
from services.messaging.contract import EventType
from services.opportunities.models import OutboxRecord, ProcessedEvent, Referral
from services.profiles.config import ProfilesSettings
from services.profiles.main import create_app as create_profiles_app
from services.profiles.models import OutboxRecord as ProfilesOutbox
from tests.opportunities.conftest import ProfilesService, make_harness
from tests.opportunities.harness import BASE_TIME, Harness
from tests.support.databases import TestDatabases, all_text_in_database
from tests.support.live_server import live_server
from tests.support.services import bearer, running_relay
from tests.support.waiting import wait_for

ERASURE_SECONDS = 15


@dataclass
class Stack:
    api: Harness
    profiles: ProfilesService


@pytest.fixture(scope="module")
def stack(databases: TestDatabases, bootstrap_servers: str) -> Iterator[Stack]:
    """The real profiles app and this service (consumer on) on their own databases, each with its relay."""
    profiles_settings = ProfilesSettings(
        database_url=databases.new_url("erasure_profiles"),
        environment="test",
        kafka_bootstrap_servers=bootstrap_servers,
    )
    with live_server(create_profiles_app(profiles_settings, clock=FixedClock(BASE_TIME))) as url:
        profiles = ProfilesService(url=url, settings=profiles_settings)
        harness = make_harness(
            databases,
            profiles,
            consume=True,
            kafka_bootstrap_servers=bootstrap_servers,
            consumer_group=f"opportunities-erasure-{uuid.uuid4().hex[:8]}",
        )
        for api in harness():
            with (
                running_relay("profiles", profiles_settings.resolved_database_url(), bootstrap_servers),
                running_relay("opportunities", api.settings.resolved_database_url(), bootstrap_servers),
            ):
                ready = wait_for(partial(_ready, api), what="the opportunities service ready", timeout=60,
                                 ignoring=(AssertionError,))
                assert "events_handled" in ready
                yield Stack(api, profiles)


def _ready(api: Harness) -> dict[str, Any]:
    """/ready answers 200 once the consumer has its partitions, and reports the consumer."""
    response = api.client.get("/ready")
    assert response.status_code == 200, response.text
    return response.json()


def _linked_people(api: Harness) -> set[str]:
    with api.engine.connect() as connection:
        return {str(profile_id) for profile_id in connection.execute(select(Referral.profile_id)).scalars()}


def test_erasing_a_person_removes_them_and_keeps_the_anonymous_outcome(stack: Stack) -> None:
    api, profiles = stack.api, stack.profiles
    api.clock.at = BASE_TIME
    tag = uuid.uuid4().hex[:8]
    note, feedback, message = f"Note-{tag} rides a unicycle", f"Feedback-{tag} be punctual", f"Message-{tag} hire me"
    employer = api.new_employer()
    employer_headers = api.employer(employer["id"])
    single = api.live(employer["id"], positions=1, title=f"Single place {tag}")
    shared = api.live(employer["id"], positions=3, title=f"Shared places {tag}")
    pending = api.live(employer["id"], positions=2, title=f"Pending {tag}")
    person = profiles.register(given_name="Ottoline", family_name=f"Erasable{tag}")
    bystander = profiles.register()

    interest = api.client.post(
        f"/opportunities/{single['id']}/interest", json={"message": message}, headers=api.person(person)
    )
    assert interest.status_code == 201, interest.text
    accepted = api.refer(person, single["id"], note=note).json()
    for status in ("applied", "interviewing", "offered", "accepted"):
        assert api.move(accepted["id"], status, headers=employer_headers).status_code == 200
    turned_down = api.refer(person, shared["id"], note=note).json()
    assert api.move(turned_down["id"], "unsuccessful", headers=employer_headers, feedback=feedback).status_code == 200
    in_progress = api.refer(person, pending["id"], note=note).json()
    assert api.move(in_progress["id"], "applied", headers=employer_headers).status_code == 200
    kept = api.refer(bystander, shared["id"], note=f"Bystander-{tag}").json()
    assert api.client.post(f"/opportunities/{shared['id']}/interest", headers=api.person(bystander)).status_code == 201

    before = api.client.get(f"/opportunities/{single['id']}").json()
    assert (before["status"], before["positions_filled"]) == ("filled", 1)
    ours = [accepted["id"], turned_down["id"], in_progress["id"], interest.json()["id"]]

    def all_sent() -> bool:
        with api.engine.connect() as connection:
            rows = connection.execute(select(OutboxRecord.sent_at).where(OutboxRecord.aggregate_id.in_(ours))).scalars()
            return all(sent is not None for sent in rows)

    wait_for(all_sent, what="the relay publishing the referral events", timeout=30)

    erased = httpx.delete(
        f"{profiles.url}/profiles/{person}", headers=bearer(profiles.settings, Role.ADVISER, "adviser-7"), timeout=10
    )
    assert erased.status_code == 204, erased.text
    started = time.monotonic()
    wait_for(lambda: person not in _linked_people(api), what="erasure in the opportunities service",
             timeout=ERASURE_SECONDS)
    seconds = time.monotonic() - started
    print(f"erasure reached the opportunities service in {seconds:.2f} s")

    # Nothing of the person is left in any table, outbox payloads included.
    everything = all_text_in_database(api.settings.resolved_database_url())
    for personal in (person, uuid.UUID(person).hex, note, feedback, message, f"erasable{tag}"):
        assert personal.lower() not in everything, f"{personal!r} survived erasure"
    assert f"bystander-{tag}" in everything and bystander in everything

    # The anonymous outcome stays: the place is still taken and the opportunity still filled.
    after = api.client.get(f"/opportunities/{single['id']}").json()
    assert (after["status"], after["positions_filled"]) == ("filled", 1)
    for headers in (employer_headers, api.adviser()):
        listed = api.client.get(f"/opportunities/{single['id']}/referrals", headers=headers).json()["items"]
        assert [(item["status"], item["profile_id"], item["note"], item["candidate"]) for item in listed] == [
            ("accepted", None, None, None)
        ]
        assert listed[0]["erased_at"] is not None
    shared_listed = api.client.get(f"/opportunities/{shared['id']}/referrals", headers=api.adviser()).json()["items"]
    by_id = {item["id"]: item for item in shared_listed}
    assert by_id[turned_down["id"]]["status"] == "unsuccessful" and by_id[turned_down["id"]]["feedback"] is None
    assert by_id[kept["id"]]["profile_id"] == bystander and by_id[kept["id"]]["note"] == f"Bystander-{tag}"

    # An open referral is withdrawn by the service, and an erased referral cannot move on.
    withdrawn = api.client.get(f"/referrals/{in_progress['id']}", headers=api.adviser()).json()
    assert withdrawn["status"] == "withdrawn" and withdrawn["profile_id"] is None
    assert (withdrawn["history"][-1]["from_status"], withdrawn["history"][-1]["changed_by_role"]) == (
        "applied",
        "service",
    )
    refused = api.move(accepted["id"], "withdrawn")
    assert refused.status_code == 409 and refused.json()["detail"][0]["type"] == "person_erased"
    pending_now = api.client.get(f"/opportunities/{pending['id']}").json()
    assert (pending_now["status"], pending_now["positions_filled"]) == ("live", 0)

    # The person's own lists are empty; the bystander's are not.
    assert api.client.get("/referrals", params={"profile_id": person}, headers=api.adviser()).json()["total"] == 0
    assert api.client.get("/interests", params={"profile_id": person}, headers=api.adviser()).json()["total"] == 0
    assert api.client.get("/interests", params={"profile_id": bystander}, headers=api.adviser()).json()["total"] == 1

    # Sent events keep their headers with a redacted payload; the bystander's keep theirs.
    for aggregate in ours:
        envelopes = api.outbox(aggregate)
        assert envelopes and all(envelope["payload"] == {"redacted": True} for envelope in envelopes)
    # (named by their subject reference, never by profile id)
    assert api.outbox(kept["id"])[0]["payload"]["subject"] == profiles.subject_of(bystander)


def test_only_erasures_are_recorded_as_processed(stack: Stack) -> None:
    """Other profile events are dropped before any transaction; the erasure is recorded by its event id. The
    registration comes first on the same partition, so it was seen before the erasure was applied."""
    api, profiles = stack.api, stack.profiles
    person = profiles.register()
    subject = profiles.subject_of(person)  # what the person's profile events travel under
    engine = create_engine(profiles.settings.resolved_database_url())

    def sent_events() -> dict[str, str]:
        with engine.connect() as connection:
            rows = connection.execute(
                select(ProfilesOutbox.event_type, ProfilesOutbox.event_id).where(
                    ProfilesOutbox.aggregate_id == subject, ProfilesOutbox.sent_at.is_not(None)
                )
            )
            return {event_type: event_id for event_type, event_id in rows}

    wait_for(lambda: EventType.PROFILE_REGISTERED in sent_events(), what="publishing the registration", timeout=30)
    erased = httpx.delete(
        f"{profiles.url}/profiles/{person}", headers=bearer(profiles.settings, Role.ADVISER, "adviser-7"), timeout=10
    )
    assert erased.status_code == 204
    wait_for(lambda: EventType.PROFILE_ERASED in sent_events(), what="publishing the erasure", timeout=30)
    events = sent_events()
    engine.dispose()

    def processed() -> set[str]:
        with api.engine.connect() as connection:
            return set(connection.execute(select(ProcessedEvent.event_id)).scalars())

    wait_for(lambda: events[EventType.PROFILE_ERASED] in processed(), what="the erasure", timeout=ERASURE_SECONDS)
    assert events[EventType.PROFILE_REGISTERED] not in processed()
