"""Referral outcomes write the activity record by themselves: the profiles service's consumer reads
referral.status_changed off the real broker, and an accepted referral opens the spell its opportunity starts (once,
however often the event comes), and a late one never rewrites history; any other status writes nothing."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import create_engine, text

from services.common.clock import FixedClock
from services.messaging.contract import EventType
from services.profiles.config import ProfilesSettings
from services.profiles.main import create_app
from tests.support.databases import TestDatabases
from tests.support.events import keys_from, referral_event, referral_snapshot, reissued
from tests.support.factories import profile_payload
from tests.support.keys import profiles_keys
from tests.support.services import bearer, client_for
from tests.support.topics import TopicPublisher
from tests.support.waiting import wait_for

MONDAY = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


def test_an_accepted_referral_opens_its_spell_once_and_the_status_follows_a_withdrawn_one_writes_nothing(
        databases: TestDatabases, bootstrap_servers: str, publisher: TopicPublisher, tmp_path) -> None:
    url = databases.new_url("profiles")
    settings = ProfilesSettings(database_url=url, kafka_bootstrap_servers=bootstrap_servers, data_dir=tmp_path,
                                consume=True, consumer_group=f"profiles-{uuid.uuid4().hex[:8]}")
    clock = FixedClock(MONDAY)
    adviser = bearer(settings, "adviser", "adviser-1")
    with client_for(create_app(settings, clock=clock)) as client:
        def register() -> str:
            answer = client.post("/profiles", json=profile_payload(status="neet"), headers=adviser)
            assert answer.status_code == 201, answer.text
            return str(answer.json()["id"])

        def record(pid: str) -> dict[str, Any]:
            return dict(client.get(f"/profiles/{pid}/activity", headers=adviser).json())

        apprentice, withdrawn, late, unknown = register(), register(), register(), register()
        clock.advance(days=4)
        # Recorded before their acceptances (dated day 2) reach the service: an activity for `late`, and a refusal
        # to say for `unknown` (830, not known).
        answer = client.post(f"/profiles/{late}/activity", json={"code": 550, "started_on": clock.today().isoformat(),
                                                                 "source": "adviser"}, headers=adviser)
        assert answer.status_code == 201, answer.text
        answer = client.post(f"/profiles/{unknown}/contact-attempts", headers=adviser, json={
            "method": "phone", "outcome": "refused", "attempted_on": clock.today().isoformat()})
        assert answer.json()["current_code"] == 830, answer.text
        clock.advance(days=1)
        ring = profiles_keys(client, settings)
        accepted_at = MONDAY + dt.timedelta(days=2)

        def outcome(pid: str, status: str, opportunity_type: str) -> Any:
            referral = referral_snapshot(profile_id=uuid.UUID(pid), status=status, previous_status="offered",
                                         opportunity_type=opportunity_type, changed_at=accepted_at)
            return referral_event(referral, version=5, at=accepted_at, keys=keys_from(ring, uuid.UUID(pid)))

        accepted = outcome(apprentice, "accepted", "apprenticeship")
        publisher.publish(outcome(withdrawn, "withdrawn", "job"), accepted, accepted, reissued(accepted),
                          outcome(late, "accepted", "job"), outcome(unknown, "accepted", "kickstart"))
        consumer = client.app.state.consumer  # type: ignore[attr-defined]
        wait_for(lambda: (record(apprentice)["current_code"], record(unknown)["current_code"], consumer.lag()),
                 until=lambda seen: seen == (310, 350, 0), what="the acceptances applied and the topic read")

        spells = record(apprentice)["spells"]
        assert [(s["code"], s["started_on"], s["ended_on"], s["source"]) for s in spells] == [
            (310, "2026-12-09", None, "referral_outcome"), (610, "2026-12-07", "2026-12-09", "adviser")]
        assert client.get(f"/profiles/{apprentice}", headers=adviser).json()["status"] == "employment"
        # Dated before a newer spell: what the adviser recorded since stands; a not known one gives way from the day
        # the acceptance arrived. The spells before keep their dates either way.
        assert [(s["code"], s["started_on"], s["ended_on"]) for s in record(late)["spells"]] == [
            (550, "2026-12-11", None), (610, "2026-12-07", "2026-12-11")]
        assert [(s["code"], s["started_on"], s["ended_on"]) for s in record(unknown)["spells"]] == [
            (350, "2026-12-12", None), (830, "2026-12-11", "2026-12-12"), (610, "2026-12-07", "2026-12-11")]
        assert client.get(f"/profiles/{unknown}", headers=adviser).json()["status"] == "employment"
        assert [s["code"] for s in record(withdrawn)["spells"]] == [610]
        assert client.get(f"/profiles/{withdrawn}", headers=adviser).json()["status"] == "neet"

    engine = create_engine(url)
    with engine.connect() as connection:
        versions = dict(connection.execute(text("SELECT id, activity_version FROM profiles")).all())
        staged = connection.scalar(text("SELECT count(*) FROM outbox WHERE event_type = :kind"),
                                   {"kind": str(EventType.PROFILE_ACTIVITY_RECORDED)})
    engine.dispose()
    # Registration, then the acceptance once (the duplicate and the reissue opened nothing); the adviser's record
    # for `late`; the refusal and the acceptance for `unknown`; nothing for the withdrawn referral.
    assert {str(k): v for k, v in versions.items()} == {apprentice: 2, withdrawn: 1, late: 2, unknown: 3}
    assert staged == 8
