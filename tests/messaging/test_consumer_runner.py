"""The consumer runner: poison records go to <topic>.dlt with the error in a header and the records after
them are still handled; handled events are applied once even when delivered twice; offsets are committed."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from services.common.db import make_engine, make_session_factory
from services.messaging.consumer import ERROR_HEADER, ConsumerRunner, ProcessedEventMixin, transactional_handler
from services.messaging.contract import EventEnvelope, Topic, dead_letter_topic
from tests.support.events import interest_event
from tests.support.topics import TopicPublisher, TopicReader
from tests.support.waiting import wait_for


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
    return interest_event(uuid.uuid4(), interest_id=note, at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))


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


def _notes(sessions) -> set[str]:
    with sessions() as session:
        return set(session.scalars(select(Seen.note)))


def test_poison_record_goes_to_dlt_with_error_and_later_records_are_handled(
    runner, bootstrap_servers, publisher: TopicPublisher
) -> None:
    consumer, sessions, _ = runner
    dlt = TopicReader(bootstrap_servers, dead_letter_topic(TOPIC))
    key = uuid.uuid4()
    before = _interest(uuid.uuid4())
    after = _interest(uuid.uuid4())
    partition_key = str(key).encode()
    publisher.send(TOPIC, before, b"{not json at all", b'{"event_type": "profile.registered", "payload": {}}', after,
                   key=partition_key)

    wait_for(lambda: {before.aggregate_id, after.aggregate_id} <= _notes(sessions), what="both good records handled")
    records = dlt.wait_for(lambda records: len([r for r in records if r.key == partition_key]) == 2)
    poison = [r for r in records if r.key == partition_key]
    assert [r.value for r in poison] == [b"{not json at all", b'{"event_type": "profile.registered", "payload": {}}']
    for record in poison:
        headers = dict(record.headers)
        assert headers[ERROR_HEADER].startswith(b"invalid event")
        assert headers["x-original-topic"] == TOPIC.encode()
    dlt.close()


def test_duplicate_delivery_is_applied_once(runner, publisher: TopicPublisher) -> None:
    consumer, sessions, _ = runner
    event = _interest(uuid.uuid4())
    marker = _interest(uuid.uuid4())
    publisher.send(TOPIC, event, event, event, marker, key=event.aggregate_id.encode())
    wait_for(lambda: marker.aggregate_id in _notes(sessions), what="the marker after the duplicates handled")
    with sessions() as session:
        rows = session.scalars(select(Seen).where(Seen.note == event.aggregate_id)).all()
    assert len(rows) == 1


def test_event_the_handler_keeps_failing_on_goes_to_dlt_and_ingest_goes_on(
    runner, bootstrap_servers, publisher: TopicPublisher
) -> None:
    consumer, sessions, fail_for = runner
    dlt = TopicReader(bootstrap_servers, dead_letter_topic(TOPIC))
    bad, good = _interest(uuid.uuid4()), _interest(uuid.uuid4())
    fail_for.add(bad.aggregate_id)
    publisher.send(TOPIC, bad, good, key=b"same-key")
    wait_for(lambda: good.aggregate_id in _notes(sessions), what="the good record after the failing one handled")
    assert bad.aggregate_id not in _notes(sessions)
    records = dlt.wait_for(lambda records: any(bad.aggregate_id.encode() in r.value for r in records))
    (dead,) = [r for r in records if bad.aggregate_id.encode() in r.value]
    assert dict(dead.headers)[ERROR_HEADER].startswith(b"handler failed")
    dlt.close()


def test_offsets_are_committed_after_handling(runner) -> None:
    consumer, _, _ = runner
    wait_for(lambda: consumer.lag() == 0, what="no lag")
