"""The relay killed after the broker acknowledged a batch but before it marked the rows sent (so the batch is
published twice), and the events service stopped while changes go on: every consumer applies each event once and
ends where one clean run ends."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Connection, create_engine, func, select

from infra.broker import LocalBroker
from services.common.db import make_engine
from services.events.config import EventsSettings
from services.events.main import create_app as create_events_app
from services.matching.embedder import Embedder
from services.messaging.contract import Topic, parse_event
from services.messaging.relay import OutboxRelay
from services.profiles.models import OutboxRecord
from tests.faults.harness import System, Workload, index_view, running_system, settle, system_relays
from tests.support.databases import TestDatabases
from tests.support.live_server import live_server
from tests.support.topics import TopicReader
from tests.support.waiting import wait_for


class DiesBeforeMarkingSent(OutboxRelay):
    """A relay whose process is killed (SIGKILL) once the broker has acknowledged its first batch."""

    def _mark_sent(self, connection: Connection, row_ids: list[int], now: Any) -> None:
        os.kill(os.getpid(), signal.SIGKILL)


def _relay_until_killed(database_url: str, bootstrap_servers: str) -> None:
    relay = DiesBeforeMarkingSent(source="profiles", engine=make_engine(database_url),
                                  bootstrap_servers=bootstrap_servers)
    relay.publish_batch()


def _sent(database_url: str) -> int:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        sent = connection.scalar(
            select(func.count()).select_from(OutboxRecord).where(OutboxRecord.sent_at.is_not(None)))
    engine.dispose()
    return sent or 0


def _copies(bootstrap_servers: str, expected: int) -> Counter[str]:
    reader = TopicReader(bootstrap_servers, Topic.PROFILES, from_beginning=True)
    try:
        records = reader.wait_for(lambda records: len(records) >= expected, timeout=30)
    finally:
        reader.close()
    return Counter(str(parse_event(record.value).event_id) for record in records)


@pytest.fixture
def system_without_relays(databases: TestDatabases, own_broker: LocalBroker, embedder: Embedder, tmp_path: Path
                          ) -> Iterator[System]:
    with running_system(databases, own_broker, embedder, tmp_path, relays=False) as running:
        running.wait_ready()
        yield running


def test_relay_killed_between_the_brokers_ack_and_marking_sent_applies_each_event_once(
    system_without_relays: System,
) -> None:
    system = system_without_relays
    work = Workload(system)
    work.employers_(2)
    work.register(60)
    work.update(40)
    registered = 100
    child = multiprocessing.get_context("spawn").Process(
        target=_relay_until_killed, args=(system.db["profiles"], system.broker.bootstrap_servers))
    child.start()
    child.join(timeout=60)
    assert child.exitcode == -signal.SIGKILL, "the relay was not killed where the test meant"
    assert _sent(system.db["profiles"]) == 0, "rows were marked sent: the fault did not happen"

    with ExitStack() as relays:
        system_relays(relays, system.db, system.broker.bootstrap_servers)
        work.publish(10)
        work.register(20)
        figures, clean = settle(system, timeout=300)
        copies = _copies(system.broker.bootstrap_servers, registered * 2 + 20)
        held = index_view(system.matcher.state)
    twice = sum(1 for n in copies.values() if n == 2)
    print(f"\nrelay killed before marking sent: {registered} events on the broker twice ({twice} event ids with two "
          f"copies on {Topic.PROFILES}); {work.changes} changes\n  {figures.line()}")
    assert twice == registered
    events, matching = figures.figures["events"], figures.figures["matching"]
    assert events["missing"] == events["duplicated"] == events["unknown"] == 0
    assert matching["missing"] == matching["ahead or unknown"] == matching["items differing"] == 0
    assert held == clean


def _view(url: str, headers: dict[str, str]) -> dict[str, Any]:
    summary = httpx.get(f"{url}/guarantee/summary", headers=headers, timeout=10).json()
    stats = httpx.get(f"{url}/stats", headers=headers, timeout=10).json()
    for volatile in ("as_at",):
        summary.pop(volatile, None)
        stats.pop(volatile, None)
    return {"summary": summary, "stats": stats}


def test_events_service_stopped_while_changes_go_on_catches_up_to_a_clean_runs_figures(
    system: System, databases: TestDatabases
) -> None:
    outage = 60.0
    work = Workload(system)
    work.employers_(3)
    work.register(60)
    work.publish(20)
    system.stop_events()
    stopped = time.monotonic()
    work.register(60)
    work.update(60)
    work.publish(20)
    time.sleep(max(0.0, outage - (time.monotonic() - stopped)))
    system.start_events()
    down_for = time.monotonic() - stopped
    work.update(30)
    figures, _clean = settle(system, timeout=300)
    headers = system.headers()

    # One clean run: a fresh events service on an empty database reads the same topics once.
    clean = EventsSettings(database_url=databases.new_url("events_clean"), consumer_group=f"events-clean-{system.run}",
                           kafka_bootstrap_servers=system.broker.bootstrap_servers, environment="test",
                           profiles_url=system.urls["profiles"])
    with live_server(create_events_app(clean)) as clean_url:
        resumed = _view(system.urls["events"], headers)
        wait_for(lambda: _view(clean_url, headers), until=lambda view: view == resumed,
                 what="the clean run's figures equal to the resumed service's", timeout=60, interval=0.5)
    print(f"\nevents service stopped for {down_for:.1f} s while {work.changes} changes went on\n  {figures.line()}\n"
          f"  guarantee summary and stats equal a clean run's: {resumed['summary'].get('overall', resumed['summary'])}")
    events = figures.figures["events"]
    assert events["missing"] == events["duplicated"] == events["unknown"] == 0
