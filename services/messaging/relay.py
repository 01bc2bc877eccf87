"""The outbox relay: publishes unsent outbox rows in order, keyed by aggregate id, with acks=all, then marks
them sent. When the broker is down it backs off and retries; nothing is lost, a row is marked sent once."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import psycopg
import structlog
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from prometheus_client import Counter
from sqlalchemy import Connection, Engine, column, func, select, table, update
from sqlalchemy.types import JSON, Integer, String

from services.common.clock import utcnow
from services.common.db import UtcDateTime
from services.messaging.broker import CONSUMER_LIMITS, BrokerSecurity, client_options, ensure_topics, make_producer
from services.messaging.contract import dead_letter_topic
from services.messaging.epoch import LogEpoch
from services.messaging.outbox import OUTBOX_CHANNEL, OUTBOX_TABLE

log = structlog.get_logger("relay")

PUBLISHED = Counter("yg_outbox_published_total", "Outbox rows published", ["source"])
FAILURES = Counter("yg_outbox_publish_failures_total", "Failed outbox publish attempts", ["source"])

_outbox = table(
    OUTBOX_TABLE,
    column("id", Integer),
    column("topic", String),
    column("aggregate_id", String),
    column("envelope", JSON),
    column("sent_at", UtcDateTime()),
    column("attempts", Integer),
    column("last_error", String),
    column("redacted_at", UtcDateTime()),
    column("event_id", String),
)
_SENT_AND_INTACT = _outbox.c.sent_at.is_not(None) & _outbox.c.redacted_at.is_(None)


class OutboxRelay:
    def __init__(
        self,
        *,
        source: str,
        engine: Engine,
        bootstrap_servers: str,
        batch_size: int = 200,
        idle_seconds: float = 0.05,
        listening_idle_seconds: float = 1.0,
        max_backoff_seconds: float = 5.0,
        reconcile_every_seconds: float = 2.0,
        recount_every_seconds: float = 60.0,
        security: BrokerSecurity | None = None,
    ) -> None:
        self.source = source
        self.security = security
        self.engine = engine
        self.bootstrap_servers = bootstrap_servers
        self.batch_size = batch_size
        self.idle_seconds = idle_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.reconcile_every_seconds = reconcile_every_seconds
        self.recount_every_seconds = recount_every_seconds
        # What reconcile compares with the broker, counted in the outbox now and then (each count reads the whole
        # table) and kept up to date from what this relay publishes between counts.
        self._topics: set[str] = set()
        self._sent_at_most: int | None = None
        self._next_count = 0.0
        self.wakeups = OutboxWakeups(engine, f"relay-{source}", idle_seconds, listening_idle_seconds)
        self._producer: KafkaProducer | None = None
        self._inspector: TopicInspector | None = None
        self._epochs: LogEpoch | None = None
        self._epoch: int | None = None
        self.republished = 0

    def _producer_or_new(self) -> KafkaProducer:
        if self._producer is None:
            self._producer = make_producer(self.bootstrap_servers, client_id=f"relay-{self.source}",
                                           security=self.security)
        return self._producer

    def _drop_producer(self) -> None:
        if self._producer is not None:
            try:
                self._producer.close(timeout=1)
            except Exception:  # noqa: BLE001 - closing a broken producer
                pass
        self._producer = None

    def publish_batch(self) -> int:
        """Publish one batch of unsent rows; returns how many were marked sent. Raises when the broker fails."""
        query = select(_outbox.c.id, _outbox.c.topic, _outbox.c.aggregate_id, _outbox.c.envelope)
        query = query.where(_outbox.c.sent_at.is_(None)).order_by(_outbox.c.id).limit(self.batch_size)
        with self.engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = connection.execute(query).all()
            if not rows:
                return 0
            producer = self._producer_or_new()
            sent_ids: list[int] = []
            error: Exception | None = None
            futures = []
            for row in rows:
                value = _encode(row.envelope)
                futures.append((row.id, producer.send(row.topic, key=row.aggregate_id.encode(), value=value)))
            producer.flush(timeout=15)
            for row_id, future in futures:
                try:
                    future.get(timeout=15)
                except Exception as exc:  # noqa: BLE001 - rows after the first failure wait for a retry
                    error = exc
                    break
                sent_ids.append(row_id)
            now = utcnow()
            if sent_ids:
                self._mark_sent(connection, sent_ids, now)
            if error is not None:
                failed = [row.id for row in rows if row.id not in set(sent_ids)]
                connection.execute(
                    update(_outbox)
                    .where(_outbox.c.id.in_(failed))
                    .values(attempts=_outbox.c.attempts + 1, last_error=repr(error)[:500])
                )
            connection.commit()
        published = set(sent_ids)
        self._topics.update(row.topic for row in rows if row.id in published)
        if self._sent_at_most is not None:
            self._sent_at_most += len(sent_ids)
        PUBLISHED.labels(self.source).inc(len(sent_ids))
        if error is not None:
            raise error
        return len(sent_ids)

    def _mark_sent(self, connection: Connection, row_ids: list[int], now: dt.datetime) -> None:
        """Record rows the broker acknowledged (a crash just before this publishes them again: at least once)."""
        connection.execute(
            update(_outbox).where(_outbox.c.id.in_(row_ids), _outbox.c.sent_at.is_(None)).values(sent_at=now)
        )

    def reconcile(self) -> int:
        """Compare what the broker holds with what the outbox marked sent. Tansu keeps topics in memory, so a
        broker restart loses them: rows whose events the broker no longer holds are marked unsent and published
        again (consumers are idempotent). On a durable Kafka this finds nothing. Returns the rows queued again.
        The counts answer most rounds; after the log epoch changed the event ids are always compared, since
        copies of an event published twice (a relay stopped between the broker's ack and marking the row sent) can
        make up the count of the new log.
        The outbox is counted at the first round, once every `recount_every_seconds` and whenever the broker seems
        to hold less; in between, the rows sent are the last count plus what this relay has marked sent since: at
        most as many as are sent (a redaction only lowers the true count), so a round that finds the broker holding
        at least that many would have found so with a fresh count."""
        sent = self._sent_at_most
        if sent is None or time.monotonic() >= self._next_count:
            sent = self._count_outbox()
        topics = sorted(self._topics)
        if not topics:
            return 0
        if self._epochs is None:
            self._epochs = LogEpoch(self.bootstrap_servers, client_id=f"relay-{self.source}", security=self.security)
        epoch = self._epochs.read()
        replaced = self._epoch is not None and epoch != self._epoch
        inspector = self._inspector_or_new()
        if not replaced:
            held = inspector.records_held(topics)
            if held < sent:
                sent = self._count_outbox()
            if held >= sent:
                self._epoch = epoch
                return 0
        held_ids = inspector.event_ids_held(topics)
        with self.engine.begin() as connection:
            rows = connection.execute(select(_outbox.c.id, _outbox.c.event_id).where(_SENT_AND_INTACT)).all()
            lost = [row.id for row in rows if row.event_id not in held_ids]
            for start in range(0, len(lost), 500):
                connection.execute(
                    update(_outbox).where(_outbox.c.id.in_(lost[start : start + 500])).values(sent_at=None)
                )
        if lost:
            log.warning("broker lost published events; publishing them again", source=self.source, count=len(lost))
        self.republished += len(lost)
        self._epoch = epoch
        self._sent_at_most = None
        return len(lost)

    def _count_outbox(self) -> int:
        """Count the rows sent (and read the topics) afresh; returns the count."""
        with self.engine.connect() as connection:
            self._topics = set(connection.execute(select(_outbox.c.topic).distinct()).scalars())
            sent: int = connection.execute(
                select(func.count()).select_from(_outbox).where(_SENT_AND_INTACT)
            ).scalar_one()
        self._sent_at_most = sent
        self._next_count = time.monotonic() + self.recount_every_seconds
        return sent

    def _inspector_or_new(self) -> TopicInspector:
        if self._inspector is None:
            self._inspector = TopicInspector(self.bootstrap_servers, self.security)
        return self._inspector

    def _drop_clients(self) -> None:
        self._drop_producer()
        self.wakeups.close()
        if self._inspector is not None:
            self._inspector.close()
        self._inspector = None
        if self._epochs is not None:
            self._epochs.close()
        self._epochs = None

    def run(self, stop: threading.Event) -> None:
        """Relay until stopped, backing off exponentially while the broker or database fails."""
        backoff = 0.1
        next_check = 0.0
        waiting_for_table = False
        while not stop.is_set():
            try:
                if time.monotonic() >= next_check:
                    self.reconcile()
                    next_check = time.monotonic() + self.reconcile_every_seconds
                published = self.publish_batch()
                backoff = 0.1
                waiting_for_table = False
                if published == 0:
                    self.wakeups.wait(stop)
            except Exception as exc:  # noqa: BLE001 - any failure means wait and retry
                if _no_outbox_yet(exc):  # its service has not migrated yet (a stack starting): nothing failed
                    if not waiting_for_table:
                        log.info("waiting for the outbox: its service has not created it yet", source=self.source)
                    waiting_for_table = True
                else:
                    FAILURES.labels(self.source).inc()
                    log.warning(
                        "relay publish failed; retrying",
                        source=self.source,
                        error=repr(exc)[:200],
                        retry_in_s=round(backoff, 2),
                    )
                self._drop_clients()
                next_check = 0.0
                stop.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff_seconds)
        self._drop_clients()


def _no_outbox_yet(exc: Exception) -> bool:
    """The outbox table does not exist: PostgreSQL's undefined_table, SQLite's 'no such table'."""
    cause = getattr(exc, "orig", None)
    return isinstance(cause, psycopg.errors.UndefinedTable) or f"no such table: {OUTBOX_TABLE}" in str(cause)


_LISTEN_RETRY_SECONDS = 5.0


class OutboxWakeups:
    """How the relay waits for new outbox rows. On PostgreSQL it listens on OUTBOX_CHANNEL, which the outbox's
    trigger notifies when rows are committed, so it publishes at once and hardly queries an idle database; it still
    looks every `listening_idle_seconds`. Elsewhere, or while it cannot listen, it polls every `idle_seconds`."""

    def __init__(self, engine: Engine, name: str, idle_seconds: float, listening_idle_seconds: float) -> None:
        self.engine = engine
        self.name = name
        self.idle_seconds = idle_seconds
        self.listening_idle_seconds = listening_idle_seconds
        self.can_listen = engine.dialect.name == "postgresql"
        self._listener: psycopg.Connection | None = None
        self._next_attempt = 0.0

    @property
    def listening(self) -> bool:
        return self._listener is not None

    def wait(self, stop: threading.Event) -> None:
        """Return when rows may have been added (or on stop). A connection just (re)opened returns at once: rows
        committed before it listened would wake nobody."""
        if self._listener is None:
            if not self.can_listen or time.monotonic() < self._next_attempt or not self._listen():
                stop.wait(self.idle_seconds)
            return
        deadline = time.monotonic() + self.listening_idle_seconds
        try:
            while not stop.is_set() and time.monotonic() < deadline:
                # In slices, so that a stop is seen within a quarter of a second.
                timeout = min(0.25, max(0.0, deadline - time.monotonic()))
                if list(self._listener.notifies(timeout=timeout, stop_after=1)):
                    # Drain what else arrived: the query that follows sees every row committed before it.
                    for _ in self._listener.notifies(timeout=0):
                        pass
                    return
        except psycopg.Error as exc:
            log.warning("relay lost its listening connection; polling until it listens again",
                        relay=self.name, error=repr(exc)[:200])
            self.close()

    def _listen(self) -> bool:
        url = self.engine.url.set(drivername="postgresql")
        try:
            listener = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True,
                                       application_name=f"{self.name}-listen", connect_timeout=3)
            listener.execute(f"LISTEN {OUTBOX_CHANNEL}")
        except psycopg.Error as exc:
            log.warning("relay cannot listen for outbox rows; polling", relay=self.name, error=repr(exc)[:200])
            self._next_attempt = time.monotonic() + _LISTEN_RETRY_SECONDS
            return False
        self._listener = listener
        return True

    def close(self) -> None:
        if self._listener is not None:
            try:
                self._listener.close()
            except psycopg.Error:
                pass
        self._listener = None


class TopicInspector:
    """Reads what the broker holds on a set of topics, without a consumer group."""

    def __init__(self, bootstrap_servers: str, security: BrokerSecurity | None = None):
        self.bootstrap_servers = bootstrap_servers
        self.security = security
        self.consumer = self._new_consumer()

    def _new_consumer(self) -> KafkaConsumer:
        return KafkaConsumer(
            bootstrap_servers=self.bootstrap_servers,
            enable_auto_commit=False,
            request_timeout_ms=10000,
            **client_options(self.security),
            **CONSUMER_LIMITS,
        )

    def _partitions(self, topics: list[str]) -> list[TopicPartition]:
        missing = [topic for topic in topics if not self.consumer.partitions_for_topic(topic)]
        if missing:
            ensure_topics(
                self.bootstrap_servers,
                [*missing, *(dead_letter_topic(topic) for topic in missing)],
                security=self.security,
            )
            self.consumer.close()
            self.consumer = self._new_consumer()
        return [
            TopicPartition(topic, partition)
            for topic in topics
            for partition in sorted(self.consumer.partitions_for_topic(topic) or ())
        ]

    def records_held(self, topics: list[str]) -> int:
        """Records the broker holds on the topics. Tansu's ListOffsets answer (end_offsets) can fall short of
        the true end when the last batch holds several records, so the high watermark of a fetch from just
        before that offset is taken instead."""
        partitions = self._partitions(topics)
        if not partitions:
            return 0
        ends = self.consumer.end_offsets(partitions)
        self.consumer.assign(partitions)
        for tp in partitions:
            self.consumer.seek(tp, max(0, ends[tp] - 1))
        deadline = time.monotonic() + 10
        while any(self.consumer.highwater(tp) is None for tp in partitions):
            if time.monotonic() > deadline:
                raise TimeoutError("no high watermark from the broker")
            self.consumer.poll(timeout_ms=100)
        held = sum(max(ends[tp], self.consumer.highwater(tp) or 0) for tp in partitions)
        self.consumer.unsubscribe()
        return held

    def event_ids_held(self, topics: list[str]) -> set[str]:
        """Every event id on the topics (read from the start; used only after the broker lost records)."""
        partitions = self._partitions(topics)
        ends = self.consumer.end_offsets(partitions)
        self.consumer.assign(partitions)
        self.consumer.seek_to_beginning(*partitions)
        ids: set[str] = set()
        deadline = time.monotonic() + 60
        while any(self.consumer.position(tp) < ends[tp] for tp in partitions):
            if time.monotonic() > deadline:
                raise TimeoutError("could not read the topics back to reconcile the outbox")
            for records in self.consumer.poll(timeout_ms=200).values():
                for record in records:
                    try:
                        ids.add(str(json.loads(record.value)["event_id"]))
                    except (ValueError, KeyError, TypeError):
                        continue
        self.consumer.unsubscribe()
        return ids

    def close(self) -> None:
        try:
            self.consumer.close()
        except Exception:  # noqa: BLE001 - closing a broken client
            pass


def _encode(envelope: object) -> bytes:
    return json.dumps(envelope, separators=(",", ":")).encode()


def run_relays(relays: list[OutboxRelay], stop: threading.Event) -> None:
    """Run several relays (one per source database) until stopped."""
    threads = [threading.Thread(target=relay.run, args=(stop,), name=f"relay-{relay.source}") for relay in relays]
    for thread in threads:
        thread.start()
    try:
        while any(thread.is_alive() for thread in threads):
            time.sleep(0.2)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
