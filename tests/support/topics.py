"""The real broker's topics as a test sees them: a publisher of events or raw records, and an independent reader
(no consumer group, starting at the current end or the beginning)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from services.messaging.broker import make_producer
from services.messaging.contract import EventEnvelope
from tests.support.waiting import wait_for


class TopicPublisher:
    """Puts records on topics and returns once the broker has acknowledged every one."""

    def __init__(self, bootstrap_servers: str, client_id: str = "tests") -> None:
        self.producer = make_producer(bootstrap_servers, client_id=client_id)

    def publish(self, *events: EventEnvelope) -> None:
        """Events to their contract topics, each keyed by its aggregate id, in the order given."""
        self._send([(str(event.topic), event.aggregate_id.encode(), event) for event in events])

    def send(self, topic: str, *values: EventEnvelope | bytes, key: bytes) -> None:
        """Records under one key (so on one partition, in this order): bytes as they are, events as JSON."""
        self._send([(str(topic), key, value) for value in values])

    def _send(self, records: list[tuple[str, bytes, EventEnvelope | bytes]]) -> None:
        futures = [
            self.producer.send(topic, key=key, value=value if isinstance(value, bytes) else _json(value))
            for topic, key, value in records
        ]
        self.producer.flush(timeout=15)
        for future in futures:
            future.get(timeout=15)

    def close(self) -> None:
        self.producer.close(timeout=5)


def _json(event: EventEnvelope) -> bytes:
    return event.model_dump_json().encode()


class TopicReader:
    def __init__(self, bootstrap_servers: str, topic: str, from_beginning: bool = False):
        self.topic = topic
        self.consumer = KafkaConsumer(
            bootstrap_servers=bootstrap_servers, enable_auto_commit=False, consumer_timeout_ms=200
        )
        partitions = wait_for(lambda: self.consumer.partitions_for_topic(topic), what=f"the partitions of {topic}",
                              timeout=10)
        self.partitions = [TopicPartition(topic, p) for p in sorted(partitions)]
        self.consumer.assign(self.partitions)
        if from_beginning:
            self.consumer.seek_to_beginning(*self.partitions)
        else:
            self.consumer.seek_to_end(*self.partitions)
            for tp in self.partitions:
                self.consumer.position(tp)
        self.records: list[Any] = []

    def poll(self) -> list[Any]:
        batches = self.consumer.poll(timeout_ms=200)
        new = [record for records in batches.values() for record in records]
        self.records.extend(new)
        return new

    def _all_records(self) -> list[Any]:
        self.poll()
        return self.records

    def wait_for(self, predicate: Callable[[list[Any]], bool], timeout: float = 20.0) -> list[Any]:
        """Poll until predicate(all records so far) holds; returns the records (fails after the timeout)."""
        return wait_for(self._all_records, until=predicate, what=f"the records on {self.topic}", timeout=timeout,
                        interval=0)

    def settle(self, seconds: float = 1.0) -> list[Any]:
        """Keep reading for a while so late duplicates would show up."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.poll()
        return self.records

    def close(self) -> None:
        self.consumer.close()
