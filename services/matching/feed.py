"""The matcher's consumer: the shared ConsumerRunner (parse, batch handler, dead-letter topic), but reading every
partition by assignment and keeping its positions inside the saved index instead of in a consumer group.

Why not group offsets: the index is saved every few seconds, the events it reflects must be exactly those before
the saved positions. Offsets committed to the broker would run ahead of the last save (a crash would then skip
events) or behind it (harmless but untidy). Saving positions with the index makes them agree by construction;
replays after a crash are absorbed by the per-aggregate versions. The positions are saved with the log epoch they
were read under (services/messaging/epoch.py): positions from another life of the log mean nothing, and the
index is then brought up to date by reading every partition from the start. Assignment also gives each replica every
partition, which a replica needs for a full index, and skips the slow group join."""

from __future__ import annotations

import hashlib
import os
import sys
import threading
import time
import uuid
from collections.abc import Sequence

import structlog
from kafka import KafkaConsumer, TopicPartition

from services.matching.state import MatchingState
from services.messaging.broker import CONSUMER_LIMITS, BrokerSecurity, client_options
from services.messaging.consumer import LOG_REPLAYS, BatchHandler, ConsumerRunner

log = structlog.get_logger("matching.feed")
# How often the feed looks for partitions added to its topics (and how old the client's metadata may get).
PARTITION_CHECK_SECONDS = 5.0


def position_key(topic: str, partition: int) -> str:
    return f"{topic}:{partition}"


def value_digest(value: bytes | None) -> str:
    return hashlib.sha256(value or b"").hexdigest()[:32]


def lower_this_thread(nice: int) -> None:
    """Run the calling thread (and what it computes, e.g. the model) at a nice value: Linux schedules threads as
    tasks, so the request-serving threads keep their priority. Elsewhere a no-op."""
    if nice <= 0 or not sys.platform.startswith("linux"):
        return
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
    except OSError as exc:
        log.warning("could not lower the ingest thread's priority", error=str(exc))


class IndexFeed(ConsumerRunner):
    def __init__(
        self,
        *,
        state: MatchingState,
        bootstrap_servers: str,
        topics: Sequence[str],
        name: str,
        handler: BatchHandler,
        max_records: int = 256,
        fetch_max_wait_ms: int = 20,
        start_at_end: bool = False,
        security: BrokerSecurity | None = None,
        nice: int = 0,
    ) -> None:
        super().__init__(
            bootstrap_servers=bootstrap_servers,
            topics=topics,
            group_id=name,
            handler=handler,
            max_records=max_records,
            poll_timeout_ms=100,
            security=security,
        )
        self.state = state
        self.fetch_max_wait_ms = fetch_max_wait_ms
        self.start_at_end = start_at_end
        self.nice = nice
        self.caught_up_once = False
        self.replayed_from_start = False
        self._end_hint: dict[TopicPartition, int] = {}
        self._ends_asked = 0.0
        self._lag: int | None = None
        self._loaded_epoch = state.epoch  # the log the saved index was read under (None without one)
        self._own: set[str] = set()  # the position keys of this feed's partitions (another feed may share the state)
        self._next_partition_check = 0.0

    def run(self, stop: threading.Event) -> None:
        lower_this_thread(self.nice)
        super().run(stop)

    def _connect(self) -> KafkaConsumer:
        consumer = KafkaConsumer(
            **client_options(self.security),
            bootstrap_servers=self.bootstrap_servers,
            group_id=None,
            client_id=f"{self.group_id}-{uuid.uuid4().hex[:6]}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self.max_records,
            fetch_max_wait_ms=self.fetch_max_wait_ms,
            request_timeout_ms=15000,
            metadata_max_age_ms=int(PARTITION_CHECK_SECONDS * 1000),
            **CONSUMER_LIMITS,
        )
        try:
            epoch = self._current_epoch()
            partitions = self._partitions(consumer)
            self._own = {position_key(tp.topic, tp.partition) for tp in partitions}
            with self.state.lock:
                saved = {key: at for key, at in self.state.positions.items() if key in self._own}
            # The log these positions were read under: this feed's last one, else the saved index's (another feed
            # on the same state may have moved the state's epoch on already).
            read_under = self.epoch if self.epoch is not None else self._loaded_epoch
            if self.epoch is not None and epoch != self.epoch:
                log.warning("the broker's log was replaced while reconnecting; reading again from the start",
                            group=self.group_id)
                self.log_replays += 1
                LOG_REPLAYS.labels(self.group_id).inc()
            if saved and (read_under != epoch or not self._log_matches(partitions, saved)):
                log.warning("the topics no longer hold what the saved index reflects; replaying from the start")
                self.replayed_from_start = True
                saved = {}
            with self.state.lock:
                if not saved:
                    self.state.forget_positions(self._own)
                self.state.epoch = epoch
            self.epoch = epoch
            consumer.assign(partitions)
            for tp in partitions:
                key = position_key(tp.topic, tp.partition)
                if key in saved:
                    consumer.seek(tp, saved[key][0])
                elif self.start_at_end:
                    consumer.seek_to_end(tp)
                    consumer.position(tp)
                else:
                    consumer.seek_to_beginning(tp)
            self._end_hint = consumer.end_offsets(partitions)
            self.assigned.set()
            return consumer
        except Exception:
            consumer.close()
            raise

    def _take_new_partitions(self, consumer: KafkaConsumer) -> None:
        """Read partitions that appeared since the assignment from their start. A topic may gain partitions: more
        added on a real Kafka, or, after an in-memory broker restarts, a topic a producer re-created before the
        topics were set up (Tansu makes 4 partitions where ours have 3): assigned partitions are not followed
        the way a group's are, and records keyed to a new one would be missed for good."""
        if time.monotonic() < self._next_partition_check:
            return
        self._next_partition_check = time.monotonic() + PARTITION_CHECK_SECONDS
        assigned = consumer.assignment()
        new = [TopicPartition(topic, partition) for topic in self.topics
               for partition in sorted(consumer.partitions_for_topic(topic) or ())
               if TopicPartition(topic, partition) not in assigned]
        if not new:
            return
        log.warning("topics have new partitions; reading them from the start", partitions=[str(tp) for tp in new])
        consumer.assign([*assigned, *new])
        consumer.seek_to_beginning(*new)
        self._own |= {position_key(tp.topic, tp.partition) for tp in new}

    def _partitions(self, consumer: KafkaConsumer, timeout: float = 15.0) -> list[TopicPartition]:
        deadline = time.monotonic() + timeout
        found: dict[str, set[int]] = {}
        while True:
            for topic in self.topics:
                found[topic] = consumer.partitions_for_topic(topic) or set()
            if all(found.values()):
                return [TopicPartition(topic, p) for topic in self.topics for p in sorted(found[topic])]
            if time.monotonic() > deadline:
                missing = [topic for topic, parts in found.items() if not parts]
                raise RuntimeError(f"topics without partitions: {missing}")
            time.sleep(0.2)

    def _log_matches(self, partitions: list[TopicPartition], saved: dict[str, tuple[int, str]]) -> bool:
        """Whether each partition still holds, just before the saved position, the record the index last saw
        (after a broker restart the topics start again and the saved positions mean nothing). Uses a separate
        short-lived client, so the feed's own consumer only ever sees its full assignment."""
        checker = KafkaConsumer(
            **client_options(self.security),
            bootstrap_servers=self.bootstrap_servers,
            group_id=None,
            client_id=f"{self.group_id}-check-{uuid.uuid4().hex[:6]}",
            enable_auto_commit=False,
            fetch_max_wait_ms=self.fetch_max_wait_ms,
            **CONSUMER_LIMITS,
        )
        try:
            for tp in partitions:
                key = position_key(tp.topic, tp.partition)
                if key not in saved or saved[key][0] == 0:
                    continue
                position, digest = saved[key]
                checker.assign([tp])
                checker.seek(tp, position - 1)
                deadline = time.monotonic() + 5
                record = None
                while record is None and time.monotonic() < deadline:
                    for records in checker.poll(timeout_ms=200, max_records=1).values():
                        record = records[0]
                if record is None or record.offset != position - 1 or value_digest(record.value) != digest:
                    return False
            return True
        finally:
            checker.close()

    def _ends(self, consumer: KafkaConsumer) -> dict[TopicPartition, int]:
        """End offsets: the larger of the high watermark of the last fetch and the end asked for at most once a
        second. (Tansu answers ListOffsets with the last batch's base offset + 1, short of the true end when that
        batch holds several records; and its fetch responses can carry a high watermark no further than the
        records they return, so a consumer behind would see no lag from them alone.)"""
        if time.monotonic() >= self._ends_asked + 1.0:
            self._ends_asked = time.monotonic()
            self._end_hint = consumer.end_offsets(list(consumer.assignment()))
        return {
            tp: max(self._end_hint.get(tp, 0), consumer.highwater(tp) or 0) for tp in consumer.assignment()
        }

    def lag(self) -> int | None:
        """Records not yet applied, as of the last poll (never waits for a poll in progress)."""
        return self._lag if self.assigned.is_set() else None

    def poll_once(self) -> int:
        consumer = self._consumer
        assert consumer is not None
        batches = consumer.poll(timeout_ms=self.poll_timeout_ms, max_records=self.max_records)
        new_epoch = self._log_replaced()
        if new_epoch is not None:
            with self.state.lock:
                self.state.forget_positions(self._own)
                self.state.epoch = self.epoch = new_epoch
            consumer.seek_to_beginning(*consumer.assignment())
            self.replayed_from_start = True
            return 0
        self._take_new_partitions(consumer)
        records = [record for partition_records in batches.values() for record in partition_records]
        if records:
            self.process(records)
            positions = {
                position_key(tp.topic, tp.partition): (recs[-1].offset + 1, value_digest(recs[-1].value))
                for tp, recs in batches.items()
                if recs
            }
            with self.state.lock:
                self.state.record_positions(positions)
        ends = self._ends(consumer)
        self._lag = sum(max(0, end - consumer.position(tp)) for tp, end in ends.items())
        if not records and self._lag == 0:
            self.caught_up_once = True
        return len(records)

    def catch_up(self, timeout: float) -> int:
        """Read from the current positions to the end of every partition, then disconnect; returns records read."""
        deadline = time.monotonic() + timeout
        self._consumer = self._connect()
        read = 0
        try:
            while not self.caught_up_once:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"not caught up after {timeout:.0f} s ({read} records read)")
                read += self.poll_once()
        finally:
            self._consumer.close()
            self._consumer = None
            if self._producer is not None:
                self._producer.close(timeout=2)
            if self._epochs is not None:
                self._epochs.close()
        return read
