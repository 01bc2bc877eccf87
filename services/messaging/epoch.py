"""The broker's log epoch: a number for one life of the topics' contents.

Tansu keeps topics in memory, so a restart begins every partition again at offset 0 and the relay publishes the
outbox again, while consumers still hold positions (in memory, in a saved index, or committed offsets they write
to the new broker before they notice) that point into the old log. kafka-python reconnects under the hood and
goes on fetching from those positions; once the new log has grown past them, the records before them are skipped
without any error. A position therefore means something only together with the epoch it was read under.

The epoch is the first record of partition 0 of `yg.log-epoch`, written by whichever client finds that partition
empty: offset 0 is taken once, so every client reads the same value. On a durable Kafka it never changes."""

from __future__ import annotations

import hashlib
import time
import uuid

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from services.messaging.broker import (
    CONSUMER_LIMITS,
    EPOCH_TOPIC,
    BrokerSecurity,
    client_options,
    ensure_topics,
    make_producer,
)

EPOCH_PARTITION = TopicPartition(EPOCH_TOPIC, 0)


def epoch_number(marker: bytes) -> int:
    """The epoch as a non-negative 62-bit number (it travels as a committed offset, see ConsumerRunner)."""
    return int.from_bytes(hashlib.sha256(marker).digest()[:8], "big") >> 2


class LogEpoch:
    """Reads (and on an empty broker, writes) the current epoch; one short fetch a read."""

    def __init__(
        self, bootstrap_servers: str, *, client_id: str, timeout: float = 5.0, security: BrokerSecurity | None = None
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.client_id = client_id
        self.security = security
        self.timeout = timeout
        self._consumer: KafkaConsumer | None = None

    def _reader(self) -> KafkaConsumer:
        if self._consumer is None:
            consumer = KafkaConsumer(
                **client_options(self.security),
                bootstrap_servers=self.bootstrap_servers,
                client_id=f"{self.client_id}-epoch",
                group_id=None,
                enable_auto_commit=False,
                fetch_max_wait_ms=10,
                request_timeout_ms=int(self.timeout * 1000) + 1000,
                auto_offset_reset="earliest",
                **CONSUMER_LIMITS,
            )
            if not consumer.partitions_for_topic(EPOCH_TOPIC):
                ensure_topics(self.bootstrap_servers, [EPOCH_TOPIC], partitions=1, security=self.security)
            consumer.assign([EPOCH_PARTITION])
            self._consumer = consumer
        return self._consumer

    def read(self) -> int:
        """The current epoch; raises when the broker does not answer in time."""
        try:
            return self._read()
        except Exception:
            self.close()
            raise

    def _read(self) -> int:
        consumer = self._reader()
        deadline = time.monotonic() + self.timeout
        while True:
            if consumer.end_offsets([EPOCH_PARTITION])[EPOCH_PARTITION] == 0:
                self._write_marker()
            consumer.seek(EPOCH_PARTITION, 0)
            while time.monotonic() < deadline:
                for records in consumer.poll(timeout_ms=100, max_records=1).values():
                    if records and records[0].offset == 0:
                        return epoch_number(records[0].value or b"")
                if consumer.highwater(EPOCH_PARTITION) == 0:
                    break  # emptied under us (a restart): write a marker again
            if time.monotonic() >= deadline:
                raise TimeoutError("no log epoch from the broker")

    def _write_marker(self) -> None:
        producer: KafkaProducer = make_producer(self.bootstrap_servers, client_id=f"{self.client_id}-epoch",
                                                security=self.security)
        try:
            producer.send(EPOCH_TOPIC, partition=0, value=uuid.uuid4().bytes).get(timeout=self.timeout)
        finally:
            producer.close(timeout=2)

    def close(self) -> None:
        if self._consumer is not None:
            try:
                self._consumer.close()
            except Exception:  # noqa: BLE001 - closing a broken client
                pass
        self._consumer = None
