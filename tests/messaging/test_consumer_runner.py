"""The consumer runner: poison records go to <topic>.dlt with the error in a header and the records after
them are still handled; handled events are applied once even when delivered twice; offsets are committed."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from services.common.db import make_engine, make_session_factory
from services.messaging.broker import make_producer
from services.messaging.consumer import ERROR_HEADER, ConsumerRunner, ProcessedEventMixin, transactional_handler
from services.messaging.contract import (
    EventEnvelope,
    EventType,
    InterestV1,
    Topic,
    dead_letter_topic,
    make_event,
)
from tests.support.topics import TopicReader, produce_raw


class Base(DeclarativeBase):
    pass


class Seen(Base):
    __tablename__ = "seen"
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    note: Mapped[str] = mapped_column(String(100))


class Processed(ProcessedEventMixin, Base):
    pass


TOPIC = Topic.REFERRALS


def _interest(note: uuid.UUID) -> EventEnvelope:
    return make_event(
        EventType.INTEREST_EXPRESSED,
        producer="test",
        aggregate_id=str(note),
        aggregate_version=1,
        payload=InterestV1(
            interest_id=note, profile_id=uuid.uuid4(), opportunity_id=uuid.uuid4(), expressed_at="2026-01-01T00:00:00Z"
        ),
    )


@pytest.fixture(scope="module")
def runner(databases, bootstrap_servers) -> Iterator[tuple[ConsumerRunner, object]]:
    engine = make_engine(databases.new_url("consumer"))
    Base.metadata.create_all(engine)
    sessions = make_session_factory(engine)
    fail_for: set[str] = set()

    def apply(session: Session, event: EventEnvelope) -> None:
        if str(event.aggregate_id) in fail_for:
            raise RuntimeError("handler cannot apply this one")
        session.add(Seen(event_id=str(event.event_id), note=event.aggregate_id))

    consumer = ConsumerRunner(
        bootstrap_servers=bootstrap_servers,
        topics=[TOPIC],
        group_id=f"test-runner-{uuid.uuid4().hex[:6]}",
        handler=transactional_handler(sessions, Processed, "test-runner", apply),
    )
    stop = threading.Event()
    thread = consumer.start(stop)
    assert consumer.assigned.wait(30), "consumer group never got an assignment"
    yield consumer, sessions, fail_for
    stop.set()
    thread.join(timeout=20)
    engine.dispose()


def _wait(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        time.sleep(0.05)


def _notes(sessions) -> set[str]:
    with sessions() as session:
        return set(session.scalars(select(Seen.note)))


def test_poison_record_goes_to_dlt_with_error_and_later_records_are_handled(runner, bootstrap_servers) -> None:
    consumer, sessions, _ = runner
    dlt = TopicReader(bootstrap_servers, dead_letter_topic(TOPIC))
    key = uuid.uuid4()
    before = _interest(uuid.uuid4())
    after = _interest(uuid.uuid4())
    producer = make_producer(bootstrap_servers, "test")
    partition_key = str(key).encode()
    producer.send(TOPIC, key=partition_key, value=before.model_dump_json().encode())
    producer.send(TOPIC, key=partition_key, value=b"{not json at all")
    producer.send(TOPIC, key=partition_key, value=b'{"event_type": "profile.registered", "payload": {}}')
    producer.send(TOPIC, key=partition_key, value=after.model_dump_json().encode())
    producer.flush()
    producer.close()

    _wait(lambda: {before.aggregate_id, after.aggregate_id} <= _notes(sessions))
    records = dlt.wait_for(lambda records: len([r for r in records if r.key == partition_key]) == 2)
    poison = [r for r in records if r.key == partition_key]
    assert [r.value for r in poison] == [b"{not json at all", b'{"event_type": "profile.registered", "payload": {}}']
    for record in poison:
        headers = dict(record.headers)
        assert headers[ERROR_HEADER].startswith(b"invalid event")
        assert headers["x-original-topic"] == TOPIC.encode()
    dlt.close()


def test_duplicate_delivery_is_applied_once(runner, bootstrap_servers) -> None:
    consumer, sessions, _ = runner
    event = _interest(uuid.uuid4())
    for _ in range(3):
        produce_raw(bootstrap_servers, TOPIC, event.aggregate_id.encode(), event.model_dump_json().encode())
    marker = _interest(uuid.uuid4())
    produce_raw(bootstrap_servers, TOPIC, event.aggregate_id.encode(), marker.model_dump_json().encode())
    _wait(lambda: marker.aggregate_id in _notes(sessions))
    with sessions() as session:
        rows = session.scalars(select(Seen).where(Seen.note == event.aggregate_id)).all()
    assert len(rows) == 1


def test_event_the_handler_keeps_failing_on_goes_to_dlt_and_ingest_goes_on(runner, bootstrap_servers) -> None:
    consumer, sessions, fail_for = runner
    dlt = TopicReader(bootstrap_servers, dead_letter_topic(TOPIC))
    bad, good = _interest(uuid.uuid4()), _interest(uuid.uuid4())
    fail_for.add(bad.aggregate_id)
    key = b"same-key"
    produce_raw(bootstrap_servers, TOPIC, key, bad.model_dump_json().encode())
    produce_raw(bootstrap_servers, TOPIC, key, good.model_dump_json().encode())
    _wait(lambda: good.aggregate_id in _notes(sessions))
    assert bad.aggregate_id not in _notes(sessions)
    records = dlt.wait_for(lambda records: any(bad.aggregate_id.encode() in r.value for r in records))
    (dead,) = [r for r in records if bad.aggregate_id.encode() in r.value]
    assert dict(dead.headers)[ERROR_HEADER].startswith(b"handler failed")
    dlt.close()


def test_offsets_are_committed_after_handling(runner) -> None:
    consumer, _, _ = runner
    _wait(lambda: consumer.lag() == 0)
