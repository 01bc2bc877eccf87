"""The matcher reads partitions by assignment, not as a group: a partition its topics gain must still be read. An
in-memory broker restarted while producers retry can have a topic re-created by a producer before the topics are
set up, with the broker's own partition count (Tansu: 4, ours: 3); records keyed to the extra partition were
skipped for good (the broker-restart fault test lost 33 aggregates this way under load)."""

from __future__ import annotations

import signal
from pathlib import Path

from infra.broker import LocalBroker, free_port
from services.matching.embedder import Embedder
from services.messaging.broker import PARTITIONS, ensure_topics, make_producer
from services.messaging.contract import Topic
from tests.matching.conftest import matcher_settings, running_matcher
from tests.support.events import opportunity_event, opportunity_snapshot
from tests.support.topics import TopicPublisher


def test_a_partition_gained_when_the_broker_restarts_is_read_from_its_start(embedder: Embedder,
                                                                            tmp_path: Path) -> None:
    broker = LocalBroker(port=free_port(), log_path=tmp_path / "tansu.log")
    broker.start()
    publisher = TopicPublisher(broker.bootstrap_servers)
    try:
        with running_matcher(matcher_settings(broker.bootstrap_servers, tmp_path / "matching"), embedder,
                             publisher) as matcher:
            before = opportunity_snapshot(title="Before the restart")
            matcher.publish(opportunity_event(before))
            matcher.wait_known(before.opportunity_id)
            assert broker.process is not None
            broker.process.send_signal(signal.SIGKILL)
            broker.process.wait()
            broker.start(set_up_topics=False)
            after = opportunity_snapshot(title="On a partition the topic did not have")
            extra = PARTITIONS  # the first partition past ours
            recreator = make_producer(broker.bootstrap_servers, client_id="recreator")  # asks the new broker
            try:
                recreator.send(str(Topic.OPPORTUNITIES), key=str(after.opportunity_id).encode(),
                               value=opportunity_event(after).model_dump_json().encode(),
                               partition=extra).get(timeout=15)
            finally:
                recreator.close(timeout=5)
            ensure_topics(broker.bootstrap_servers)  # the rest, and the new log's epoch
            again = opportunity_snapshot(title="Published again after the restart")
            matcher.publish(opportunity_event(before, 2), opportunity_event(again))
            matcher.wait_known(again.opportunity_id, timeout=30)
            matcher.wait_known(after.opportunity_id, timeout=30)
            matcher.wait_known(before.opportunity_id, version=2, timeout=30)
    finally:
        publisher.close()
        broker.stop()
