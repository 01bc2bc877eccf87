"""The outbox relay loses nothing when the broker is down or restarts mid-stream (Tansu keeps topics in
memory, so a restart empties them: the relay notices and publishes the outbox again)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import create_engine, func, select
from structlog.testing import capture_logs

from infra.broker import LocalBroker, free_port
from services.messaging.contract import Topic, parse_event
from services.messaging.relay import TopicInspector
from services.profiles.config import ProfilesSettings
from services.profiles.main import create_app
from services.profiles.models import OutboxRecord
from tests.support.factories import profile_payload
from tests.support.services import bearer, client_for, running_relay
from tests.support.topics import TopicReader
from tests.support.waiting import wait_for

CHANGES = 500


def _outbox_state(database_url: str) -> tuple[int, int, set[str]]:
    """The outbox rows for the profiles topic (each registration also stages the activity record, for the restricted
    topic): how many, how many sent, and their event ids."""
    engine = create_engine(database_url)
    plain = OutboxRecord.topic == str(Topic.PROFILES)
    with engine.connect() as connection:
        total = connection.scalar(select(func.count()).select_from(OutboxRecord).where(plain)) or 0
        sent = connection.scalar(
            select(func.count()).select_from(OutboxRecord).where(plain, OutboxRecord.sent_at.is_not(None))
        )
        ids = set(connection.scalars(select(OutboxRecord.event_id).where(plain)))
    engine.dispose()
    return total, sent or 0, ids


@pytest.fixture
def own_broker(tmp_path) -> Iterator[LocalBroker]:
    """A broker of this test's own, since the test stops and restarts it."""
    broker = LocalBroker(port=free_port(), log_path=tmp_path / "tansu.log")
    broker.start()
    yield broker
    broker.stop()


def test_relay_survives_broker_stop_and_restart_mid_stream(databases, own_broker, tmp_path) -> None:
    broker = own_broker
    url = databases.new_url("relay")
    settings = ProfilesSettings(database_url=url, kafka_bootstrap_servers=broker.bootstrap_servers, data_dir=tmp_path)
    adviser = bearer(settings, "adviser", "relay-test")
    seen: dict[str, int] = {}

    def collect(reader: TopicReader) -> dict[str, int]:
        for record in reader.poll():
            event_id = str(parse_event(record.value).event_id)
            seen[event_id] = seen.get(event_id, 0) + 1
        return seen

    with client_for(create_app(settings)) as client, running_relay("profiles", url, broker.bootstrap_servers) as relay:
        broker.stop()
        ids: list[str] = []
        for _ in range(CHANGES // 2):  # broker down: changes pile up in the outbox
            ids.append(client.post("/profiles", json=profile_payload(), headers=adviser).json()["id"])
        assert _outbox_state(url)[1] == 0

        broker.start()
        reader = TopicReader(broker.bootstrap_servers, Topic.PROFILES, from_beginning=True)
        try:
            wait_for(lambda: collect(reader), what="an event after the broker came back", timeout=60, interval=0)
        finally:
            reader.close()

        broker.stop()  # mid-stream: the relay is still publishing or idle; the topic is emptied
        for profile_id in ids[: CHANGES // 2]:  # changes made while it is down and restarting
            response = client.patch(
                f"/profiles/{profile_id}", json={"about": f"update {uuid.uuid4()}"}, headers=adviser
            )
            assert response.status_code == 200
            if profile_id == ids[CHANGES // 4]:
                broker.start()
        seen.clear()
        reader = TopicReader(broker.bootstrap_servers, Topic.PROFILES, from_beginning=True)
        _, _, outbox_ids = _outbox_state(url)
        try:
            wait_for(lambda: outbox_ids - set(collect(reader)), until=lambda missing: not missing,
                     what="every outbox event on the restarted topic", timeout=120, interval=0)
        finally:
            reader.close()

        total, sent, outbox_ids = _outbox_state(url)
        assert total == CHANGES
        assert set(seen) == outbox_ids, f"{len(outbox_ids - set(seen))} events never arrived"
        assert sent == total
        assert max(seen.values()) == 1, "an event was published twice onto the restarted topic"
        assert relay.republished > 0


def test_relay_finds_nothing_lost_when_the_broker_holds_every_event(databases, own_broker, tmp_path) -> None:
    """Batches of several records (where Tansu's end offsets fall short) must not look like lost records."""
    url = databases.new_url("relay")
    settings = ProfilesSettings(
        database_url=url, kafka_bootstrap_servers=own_broker.bootstrap_servers, data_dir=tmp_path
    )
    adviser = bearer(settings, "adviser", "relay-test")
    with client_for(create_app(settings)) as client:
        for _ in range(40):
            assert client.post("/profiles", json=profile_payload(), headers=adviser).status_code == 201
        with running_relay("profiles", url, own_broker.bootstrap_servers) as relay:
            wait_for(lambda: _outbox_state(url)[1], until=lambda sent: sent >= 40, what="40 events sent", timeout=30)
            assert _outbox_state(url)[1] == 40
            inspector = TopicInspector(own_broker.bootstrap_servers)
            assert inspector.records_held([Topic.PROFILES]) == 40
            inspector.close()
            assert relay.reconcile() == 0
            assert relay.republished == 0


def test_a_relay_started_before_its_service_waits_for_the_outbox_quietly_then_publishes(
    databases, bootstrap_servers, tmp_path
) -> None:
    url = databases.new_url("relay_first")
    failures = ("yg_outbox_publish_failures_total", {"source": "profiles"})
    failed_before = REGISTRY.get_sample_value(*failures) or 0.0
    with capture_logs() as logs, running_relay("profiles", url, bootstrap_servers):
        wait_for(lambda: [e for e in logs if e["event"].startswith("waiting for the outbox")],
                 what="the relay to find no outbox", timeout=10)
        time.sleep(2.5)  # retries at 0.1, 0.2, 0.4, 0.8 s ... while the table is missing
        settings = ProfilesSettings(database_url=url, kafka_bootstrap_servers=bootstrap_servers, data_dir=tmp_path)
        with client_for(create_app(settings)) as client:  # its migrations create the outbox
            made = client.post("/profiles", json=profile_payload(), headers=bearer(settings, "adviser", "a-1"))
            assert made.status_code == 201
            wait_for(lambda: _outbox_state(url)[1], what="the registration published", timeout=30)
    waiting = [e for e in logs if e["event"].startswith("waiting for the outbox")]
    assert len(waiting) == 1 and waiting[0]["log_level"] == "info"
    assert not [e for e in logs if e["event"] == "relay publish failed; retrying"]
    assert (REGISTRY.get_sample_value(*failures) or 0.0) == failed_before
