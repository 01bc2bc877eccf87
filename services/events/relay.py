"""The outbox relay: publishes unsent outbox rows in order, keyed by aggregate id, with acks=all, then marks
them sent. When the broker is down it backs off and retries; nothing is lost, a row is marked sent once."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

import structlog
from kafka import KafkaProducer
from prometheus_client import Counter
from sqlalchemy import Engine, column, select, table, update
from sqlalchemy.types import JSON, DateTime, Integer, String

from services.events.outbox import OUTBOX_TABLE, utcnow

log = structlog.get_logger("relay")

PUBLISHED = Counter("yg_outbox_published_total", "Outbox rows published", ["source"])
FAILURES = Counter("yg_outbox_publish_failures_total", "Failed outbox publish attempts", ["source"])

_outbox = table(
    OUTBOX_TABLE,
    column("id", Integer),
    column("topic", String),
    column("aggregate_id", String),
    column("envelope", JSON),
    column("sent_at", DateTime(timezone=True)),
    column("attempts", Integer),
    column("last_error", String),
)

ProducerFactory = Callable[[], KafkaProducer]


class OutboxRelay:
    def __init__(
        self,
        *,
        source: str,
        engine: Engine,
        producer_factory: ProducerFactory,
        batch_size: int = 200,
        idle_seconds: float = 0.05,
        max_backoff_seconds: float = 5.0,
    ) -> None:
        self.source = source
        self.engine = engine
        self.producer_factory = producer_factory
        self.batch_size = batch_size
        self.idle_seconds = idle_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self._producer: KafkaProducer | None = None

    def _producer_or_new(self) -> KafkaProducer:
        if self._producer is None:
            self._producer = self.producer_factory()
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
                futures.append(
                    (row.id, producer.send(row.topic, key=row.aggregate_id.encode(), value=value))
                )
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
                connection.execute(
                    update(_outbox)
                    .where(_outbox.c.id.in_(sent_ids), _outbox.c.sent_at.is_(None))
                    .values(sent_at=now)
                )
            if error is not None:
                failed = [row.id for row in rows if row.id not in set(sent_ids)]
                connection.execute(
                    update(_outbox)
                    .where(_outbox.c.id.in_(failed))
                    .values(attempts=_outbox.c.attempts + 1, last_error=repr(error)[:500])
                )
            connection.commit()
        PUBLISHED.labels(self.source).inc(len(sent_ids))
        if error is not None:
            raise error
        return len(sent_ids)

    def run(self, stop: threading.Event) -> None:
        """Relay until stopped, backing off exponentially while the broker or database fails."""
        backoff = 0.1
        while not stop.is_set():
            try:
                published = self.publish_batch()
                backoff = 0.1
                if published == 0:
                    stop.wait(self.idle_seconds)
            except Exception as exc:  # noqa: BLE001 - any failure means wait and retry
                FAILURES.labels(self.source).inc()
                log.warning("relay publish failed; retrying", source=self.source, error=repr(exc)[:200],
                            retry_in_s=round(backoff, 2))
                self._drop_producer()
                stop.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff_seconds)
        self._drop_producer()


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
