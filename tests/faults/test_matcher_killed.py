"""The matching service killed with SIGKILL in the middle of ingesting: started again, it loads its saved index
and positions, catches up (consumer lag 0), and its index holds the same items and versions as one clean run."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from infra.broker import LocalBroker, free_port
from infra.stack import uvicorn_argv
from services.matching.config import MatchingSettings
from services.matching.embedder import MODEL_NAME, Embedder
from services.matching.ingest import Ingestor
from services.matching.persistence import hnsw_loader, load
from services.matching.runtime import index_params, new_state
from services.messaging.contract import EventEnvelope
from tests.matching.helpers import index_view
from tests.support.events import KEYS, employer_event, employer_snapshot, opportunity_event, opportunity_snapshot
from tests.support.topics import TopicPublisher
from tests.support.waiting import wait_for

REPO = Path(__file__).resolve().parents[2]
EMPLOYERS, JOBS, UPDATES = 5, 100, 60


@contextmanager
def matcher_process(env: dict[str, str], port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    argv = uvicorn_argv("services.matching.main", "127.0.0.1", port)
    with open(log, "ab") as output:
        process = subprocess.Popen(argv, cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=60)


def ready(url: str) -> dict[str, Any]:
    return httpx.get(f"{url}/ready", timeout=5).json()  # type: ignore[no-any-return]


def the_events() -> list[EventEnvelope]:
    """Employers and opportunities, some updated (events about no person: the test's matcher process needs no key
    service to open them)."""
    employers = [employer_snapshot(name=f"Employer {i} Ltd") for i in range(EMPLOYERS)]
    jobs = [opportunity_snapshot(title=f"Warehouse role {i}", employer_id=employers[i % EMPLOYERS].employer_id)
            for i in range(JOBS)]
    events = [employer_event(e) for e in employers] + [opportunity_event(j) for j in jobs]
    for i in range(UPDATES):
        changed = jobs[i].model_copy(update={"skills": ["stock control", f"skill {i}"], "title": f"Role {i}, updated"})
        events.append(opportunity_event(changed, version=2))
    return events


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[LocalBroker]:
    broker = LocalBroker(port=free_port(), log_path=tmp_path / "tansu.log")
    broker.start()
    yield broker
    broker.stop()


def test_matcher_killed_mid_ingest_resumes_from_its_saved_index_and_ends_as_a_clean_run(
    own_broker: LocalBroker, embedder: Embedder, tmp_path: Path, pytestconfig: pytest.Config
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    index_dir = tmp_path / "index"
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": own_broker.bootstrap_servers, "YG_ENV": "test",
           "YG_DATA_DIR": str(tmp_path), "MATCHING_INDEX_DIR": str(index_dir), "MATCHING_SAVE_INTERVAL_SECONDS": "0.5",
           "MATCHING_MAX_POLL_RECORDS": "16", "MATCHING_EMBEDDER": "torch",
           "MATCHING_MODEL_CACHE_DIR": str(Path(pytestconfig.rootpath) / ".pytest_cache" / "matching-models")}
    events = the_events()
    publisher = TopicPublisher(own_broker.bootstrap_servers)
    log = tmp_path / "matching.log"
    try:
        with matcher_process(env, port, log) as first:
            wait_for(lambda: ready(url).get("status") == "ready", what="the matcher ready", timeout=120,
                     ignoring=(httpx.HTTPError,))
            publisher.publish(*events)

            def mid_ingest() -> dict[str, Any]:
                details = ready(url)
                counts = details.get("counts", {})
                details["held"] = counts.get("opportunities", 0)
                return details

            wait_for(mid_ingest, until=lambda d: d["held"] >= JOBS // 3, what="a third ingested", timeout=120,
                     interval=0.05)
            third_at = time.time()  # a save from before this (at boot, of nothing) would not be mid-ingest
            at_kill = wait_for(mid_ingest, until=lambda d: (d["last_saved"] or 0) > third_at,
                               what="a save after a third was ingested", timeout=120, interval=0.05)
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        killed_at = time.monotonic()
        with matcher_process(env, port, log) as second:
            wait_for(lambda: ready(url).get("status") == "ready", what="the matcher ready again", timeout=120,
                     ignoring=(httpx.HTTPError,))
            after_restart = ready(url)
            caught_up = wait_for(lambda: ready(url), until=lambda d: d.get("consumer_lag") == 0
                                 and d["counts"]["opportunities"] == JOBS,
                                 what="the matcher caught up", timeout=120, interval=0.2)
            took = time.monotonic() - killed_at
            second.terminate()  # a clean stop saves the index
            second.wait(timeout=60)
    finally:
        publisher.close()

    settings = MatchingSettings(environment="test")
    saved, _meta = load(index_dir, model=MODEL_NAME, dim=embedder.dim, load_index=hnsw_loader(**index_params(settings)),
                        looking_statuses=settings.looking_statuses)
    clean = new_state(settings, embedder.dim)
    Ingestor(clean, embedder, KEYS).apply(events)
    held, want = index_view(saved), index_view(clean)
    print(f"\nmatcher SIGKILL: killed holding {at_kill['held']} of {JOBS} opportunities; restarted from "
          f"{after_restart.get('loaded_from')!r} holding {after_restart['counts']['opportunities']}; "
          f"lag 0 and complete {took:.1f} s after the kill; "
          f"{len(held['versions'])} versions, {held['index_sizes']} vectors, clean run {want['index_sizes']}")
    assert after_restart.get("loaded_from") == "saved index"
    assert 0 < after_restart["counts"]["opportunities"] <= JOBS
    assert caught_up["consumer_lag"] == 0
    assert held == want
