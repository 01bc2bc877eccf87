"""An independent reader of what is really on a topic: no consumer group, starts at the current end."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition


class TopicReader:
    def __init__(self, bootstrap_servers: str, topic: str, from_beginning: bool = False):
        self.topic = topic
        self.consumer = KafkaConsumer(
            bootstrap_servers=bootstrap_servers, enable_auto_commit=False, consumer_timeout_ms=200
        )
        partitions = self.consumer.partitions_for_topic(topic) or set()
        deadline = time.monotonic() + 10
        while not partitions and time.monotonic() < deadline:
            time.sleep(0.1)
            partitions = self.consumer.partitions_for_topic(topic) or set()
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

    def wait_for(self, predicate: Callable[[list[Any]], bool], timeout: float = 20.0) -> list[Any]:
        """Poll until predicate(all records so far) holds; returns the records (raises on timeout)."""
        deadline = time.monotonic() + timeout
        while True:
            self.poll()
            if predicate(self.records):
                return self.records
            if time.monotonic() > deadline:
                raise TimeoutError(f"condition not met on {self.topic}; saw {len(self.records)} records")

    def settle(self, seconds: float = 1.0) -> list[Any]:
        """Keep reading for a while so late duplicates would show up."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.poll()
        return self.records

    def close(self) -> None:
        self.consumer.close()


def produce_raw(bootstrap_servers: str, topic: str, key: bytes | None, value: bytes) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap_servers, acks="all")
    producer.send(topic, key=key, value=value).get(timeout=15)
    producer.close()
