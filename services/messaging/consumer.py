"""The consumer runner: polls topics, parses records against the contract, hands valid events to a handler,
sends what it cannot parse or handle to `<topic>.dlt` with the error in a header, and commits offsets only
after the handler has made its effect durable.

Positions are tied to the broker's log epoch (services/messaging/epoch.py): when the log is found replaced
(a restart of the in-memory broker), every partition is read again from the start; handlers are idempotent, so a
replay changes nothing that was applied. Each commit also records, as the committed offset of the epoch
partition, the epoch its offsets were read under, so offsets committed into a new log before the change was
noticed are recognised as stale by whoever is assigned those partitions next."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Protocol

import structlog
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.structs import OffsetAndMetadata
from prometheus_client import Counter
from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from services.common.clock import utcnow
from services.common.db import UtcDateTime
from services.messaging.broker import CONSUMER_LIMITS, BrokerSecurity, client_options, make_producer
from services.messaging.contract import EventEnvelope, InvalidEvent, dead_letter_topic, parse_event
from services.messaging.epoch import EPOCH_PARTITION, LogEpoch

log = structlog.get_logger("consumer")

HANDLED = Counter("yg_events_handled_total", "Events handled", ["group", "event_type"])
DEAD_LETTERED = Counter("yg_events_dead_lettered_total", "Records sent to a dead-letter topic", ["group", "topic"])
LOG_REPLAYS = Counter("yg_consumer_log_replays_total", "Times a consumer found the broker's log replaced", ["group"])

ERROR_HEADER = "x-error"
HANDLER_ATTEMPTS = 3


class DependencyUnavailable(Exception):
    """Raised by a handler when something it needs (not the event) is away, e.g. the key service: the runner does
    not dead-letter the batch but reconnects after a pause and reads it again."""


class BatchHandler(Protocol):
    def __call__(self, events: Sequence[EventEnvelope]) -> None:
        """Apply events durably and idempotently; raise to have them retried one by one."""


class ProcessedEventMixin:
    """Event ids a consumer has applied, written in the same transaction as the effect."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    consumer: Mapped[str] = mapped_column(String(100), primary_key=True)
    processed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


def transactional_handler(
    session_factory: sessionmaker[Session],
    processed_type: type[ProcessedEventMixin],
    consumer: str,
    apply: Callable[[Session, EventEnvelope], None],
) -> BatchHandler:
    """A batch handler applying each event in one transaction with its processed-id row; skips ids seen."""

    def handle(events: Sequence[EventEnvelope]) -> None:
        with session_factory() as session, session.begin():
            ids = [str(event.event_id) for event in events]
            seen = set(
                session.scalars(
                    select(processed_type.event_id).where(
                        processed_type.event_id.in_(ids), processed_type.consumer == consumer
                    )
                )
            )
            for event in events:
                key = str(event.event_id)
                if key in seen:
                    continue
                apply(session, event)
                session.add(processed_type(event_id=key, consumer=consumer))  # type: ignore[call-arg]
                session.flush()
                seen.add(key)

    return handle


class ConsumerRunner:
    def __init__(
        self,
        *,
        bootstrap_servers: str,
        topics: Sequence[str],
        group_id: str,
        handler: BatchHandler,
        max_records: int = 256,
        poll_timeout_ms: int = 200,
        producer: KafkaProducer | None = None,
        security: BrokerSecurity | None = None,
        epoch_check_seconds: float = 1.0,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.security = security
        self.topics = list(topics)
        self.group_id = group_id
        self.handler = handler
        self.max_records = max_records
        self.poll_timeout_ms = poll_timeout_ms
        self._producer = producer
        self._consumer: KafkaConsumer | None = None
        self._lock = threading.Lock()
        self.assigned = threading.Event()
        self.handled = 0
        self.dead_lettered = 0
        self.epoch_check_seconds = epoch_check_seconds
        self.epoch: int | None = None  # the log epoch the current positions were read under
        self.log_replays = 0
        self._epochs: LogEpoch | None = None
        self._next_epoch_check = 0.0
        self._checked: set[TopicPartition] = set()

    def _dlt_producer(self) -> KafkaProducer:
        if self._producer is None:
            self._producer = make_producer(self.bootstrap_servers, client_id=f"{self.group_id}-dlt",
                                           security=self.security)
        return self._producer

    def _current_epoch(self) -> int:
        if self._epochs is None:
            self._epochs = LogEpoch(self.bootstrap_servers, client_id=self.group_id, security=self.security)
        self._next_epoch_check = time.monotonic() + self.epoch_check_seconds
        return self._epochs.read()

    def _log_replaced(self) -> int | None:
        """The new epoch when the broker's log is no longer the one the positions were read under, else None
        (asks the broker at most once every epoch_check_seconds)."""
        if time.monotonic() < self._next_epoch_check:
            return None
        current = self._current_epoch()
        if current == self.epoch:
            return None
        log.warning("the broker's log was replaced (a restart of an in-memory broker?); reading again from the start",
                    group=self.group_id)
        self.log_replays += 1
        LOG_REPLAYS.labels(self.group_id).inc()
        return current

    def _connect(self) -> KafkaConsumer:
        self.epoch = self._current_epoch()
        self._checked = set()
        return KafkaConsumer(
            *self.topics,
            **client_options(self.security),
            bootstrap_servers=self.bootstrap_servers,
            group_id=self.group_id,
            client_id=f"{self.group_id}-{uuid.uuid4().hex[:6]}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self.max_records,
            # Tansu answers a join after half the session timeout: 6 s keeps a start and a failover quick.
            session_timeout_ms=6000,
            heartbeat_interval_ms=1000,
            **CONSUMER_LIMITS,
        )

    def dead_letter(self, record: ConsumerRecord, error: str) -> None:
        topic = record.topic
        self._dlt_producer().send(
            dead_letter_topic(topic),
            key=record.key,
            value=record.value,
            headers=[
                (ERROR_HEADER, error.encode()[:4000]),
                ("x-original-topic", topic.encode()),
                ("x-original-partition", str(record.partition).encode()),
                ("x-original-offset", str(record.offset).encode()),
            ],
        ).get(timeout=15)
        self.dead_lettered += 1
        DEAD_LETTERED.labels(self.group_id, topic).inc()
        log.warning("dead-lettered a record", group=self.group_id, topic=topic, error=error[:200])

    def process(self, records: Sequence[ConsumerRecord]) -> None:
        """Parse and handle one polled batch; records that fail go to the dead-letter topic."""
        parsed: list[tuple[ConsumerRecord, EventEnvelope]] = []
        for record in records:
            try:
                parsed.append((record, parse_event(record.value)))
            except InvalidEvent as exc:
                self.dead_letter(record, f"invalid event: {exc}")
        if not parsed:
            return
        try:
            self.handler([event for _, event in parsed])
        except DependencyUnavailable:
            raise
        except Exception as batch_error:  # noqa: BLE001 - retried one by one to isolate the bad event
            log.warning("batch failed; retrying events one by one", group=self.group_id, error=repr(batch_error))
            for record, event in parsed:
                self._handle_one(record, event)
        for _, event in parsed:
            HANDLED.labels(self.group_id, str(event.event_type)).inc()
        self.handled += len(parsed)

    def _handle_one(self, record: ConsumerRecord, event: EventEnvelope) -> None:
        error: Exception | None = None
        for _ in range(HANDLER_ATTEMPTS):
            try:
                self.handler([event])
                return
            except DependencyUnavailable:
                raise
            except Exception as exc:  # noqa: BLE001 - recorded on the dead-letter record
                error = exc
        self.dead_letter(record, f"handler failed: {error!r}")

    def poll_once(self) -> int:
        """Poll, process and commit one batch; returns the number of records seen."""
        consumer = self._consumer
        assert consumer is not None
        batches = consumer.poll(timeout_ms=self.poll_timeout_ms, max_records=self.max_records)
        assignment = set(consumer.assignment())
        if assignment:
            self.assigned.set()
        stale = self._stale_partitions(consumer, assignment)
        if stale:
            consumer.seek_to_beginning(*stale)
            batches = {tp: records for tp, records in batches.items() if tp not in stale}
        records = [record for partition_records in batches.values() for record in partition_records]
        if records:
            self.process(records)
            self._commit(consumer, {tp: recs[-1].offset + 1 for tp, recs in batches.items() if recs})
        return len(records)

    def _commit(self, consumer: KafkaConsumer, offsets: dict[TopicPartition, int]) -> None:
        assert self.epoch is not None
        commit = {tp: OffsetAndMetadata(offset, "", -1) for tp, offset in offsets.items()}
        commit[EPOCH_PARTITION] = OffsetAndMetadata(self.epoch, "", -1)
        consumer.commit(commit)

    def _stale_partitions(self, consumer: KafkaConsumer, assignment: set[TopicPartition]) -> set[TopicPartition]:
        """Partitions whose positions belong to an earlier life of the log: every one when the epoch changed, and
        newly assigned ones whose committed offsets were written under another epoch (or none)."""
        new_epoch = self._log_replaced()
        if new_epoch is not None:
            self.epoch = new_epoch
            self._checked = assignment
            if assignment:
                self._commit(consumer, dict.fromkeys(assignment, 0))
            return assignment
        fresh = assignment - self._checked
        self._checked = assignment
        if fresh and consumer.committed(EPOCH_PARTITION) != self.epoch:
            return fresh
        return set()

    def is_assigned(self) -> bool:
        return self.assigned.is_set()

    def lag(self) -> int | None:
        """Records on the assigned partitions not yet processed (None before assignment)."""
        with self._lock:
            consumer = self._consumer
            if consumer is None or not consumer.assignment():
                return None
            partitions: list[TopicPartition] = list(consumer.assignment())
            try:
                ends = consumer.end_offsets(partitions)
                # Tansu's ListOffsets can fall short of the end; the high watermark of our own fetches does not.
                return sum(
                    max(0, max(ends[tp], consumer.highwater(tp) or 0) - consumer.position(tp)) for tp in partitions
                )
            except Exception:  # noqa: BLE001 - lag is best effort while rebalancing
                return None

    def run(self, stop: threading.Event) -> None:
        """Consume until stopped; reconnects with back-off if the broker goes away."""
        backoff = 0.5
        while not stop.is_set():
            try:
                with self._lock:
                    self._consumer = self._connect()
                backoff = 0.5
                while not stop.is_set():
                    with self._lock:
                        self.poll_once()
            except Exception as exc:  # noqa: BLE001 - reconnect after any client failure
                log.warning("consumer failed; reconnecting", group=self.group_id, error=repr(exc)[:200])
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                self.assigned.clear()
                with self._lock:
                    if self._consumer is not None:
                        try:
                            self._consumer.close()
                        except Exception:  # noqa: BLE001
                            pass
                        self._consumer = None
        if self._producer is not None:
            self._producer.close(timeout=2)
        if self._epochs is not None:
            self._epochs.close()

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run, args=(stop,), name=f"consumer-{self.group_id}", daemon=True)
        thread.start()
        return thread
