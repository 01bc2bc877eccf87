"""Event to searchable through the real broker: profile events published into a running matcher at a steady rate
(time until a query finds each person), then a burst (profiles/s until every one is searchable)."""

from __future__ import annotations

import datetime as dt
import random
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.report import Printer
from benchmarks.stats import latency_ms
from infra.seed.synthetic import HOME_LATITUDE, HOME_LONGITUDE, profile_snapshot
from services.matching import esco
from services.matching.config import MatchingSettings
from services.matching.embedder import Embedder
from services.matching.runtime import MatchingRuntime
from services.matching.text import profile_text
from services.messaging.broker import ensure_topics, make_producer
from services.messaging.contract import EventType, ProfileSnapshotV1, Topic, make_event
from services.messaging.sealing import InMemoryKeyRing, pseudonymise


def _synthetic_people(n: int, seed: int) -> list[ProfileSnapshotV1]:
    """Young people each interested in a real ESCO occupation; the other text fields fixed so runs compare."""
    rng = random.Random(seed)
    occupations = [occ for occ in esco.occupations() if occ.other_titles]
    skill_words = [" ".join(text.split()[:3]) for text in esco.skills()[:3000]]
    people = []
    today = dt.date.today()
    for _ in range(n):
        occ = rng.choice(occupations)
        people.append(
            profile_snapshot(
                date_of_birth=dt.date(today.year - rng.randint(16, 24), rng.randint(1, 12), rng.randint(1, 28)),
                latitude=HOME_LATITUDE + rng.uniform(-0.05, 0.05),
                longitude=HOME_LONGITUDE + rng.uniform(-0.05, 0.05),
                on_universal_credit=rng.random() < 0.4,
                skills=rng.sample(skill_words, 3),
                interests=[rng.choice(occ.other_titles), occ.title],
                qualifications=[],
                about="Synthetic benchmark person.",
                preferred_types=["apprenticeship"],
            )
        )
    return people


def event_timing(
    *,
    embedder: Embedder,
    settings: MatchingSettings,
    bootstrap_servers: str,
    rate: float,
    seconds: float,
    bulk: int,
    seed: int,
    say: Printer,
) -> dict[str, Any]:
    """Steady-rate event-to-searchable latency and burst throughput of a matcher fed through the broker."""
    ensure_topics(bootstrap_servers)
    steady_n = int(rate * seconds)
    steady = _synthetic_people(steady_n, seed)
    burst = _synthetic_people(bulk, seed + 1)
    say(f"  embedding the {steady_n} steady-rate people's texts up front (their query vectors)")
    query_vectors = embedder.embed([profile_text(p) for p in steady])
    sample = [profile_text(p) for p in burst[:1000]]
    started = time.perf_counter()
    embedder.embed(sample)
    bound = len(sample) / (time.perf_counter() - started)

    with tempfile.TemporaryDirectory(prefix="yg-bench-") as tmp:
        run_settings = settings.model_copy(update={"data_dir": Path(tmp), "index_dir": None,
                                                   "kafka_bootstrap_servers": bootstrap_servers,
                                                   "save_interval_seconds": 3600.0})
        keys = InMemoryKeyRing()  # stands in for the profiles service: events are sealed and opened as in the stack
        runtime = MatchingRuntime(run_settings, embedder=embedder, start_at_end=True, keys=keys)
        runtime.start()
        runtime.wait_ready(timeout=120)
        state = runtime.state
        assert state is not None
        producer = make_producer(bootstrap_servers, client_id="bench")

        def event(person: ProfileSnapshotV1) -> tuple[bytes, bytes]:
            personal = keys.issue(person.profile_id)["personal"]
            aggregate, sealed = pseudonymise(EventType.PROFILE_REGISTERED, person, subject=personal.subject,
                                             aggregate_id=str(person.profile_id), key=personal)
            envelope = make_event(EventType.PROFILE_REGISTERED, producer="bench", aggregate_id=aggregate,
                                  aggregate_version=1, payload=sealed)
            return envelope.aggregate_id.encode(), envelope.model_dump_json().encode()

        published: dict[int, float] = {}
        seen: dict[int, float] = {}
        done = threading.Event()

        def watch() -> None:
            while not done.is_set():
                pending = [i for i in list(published) if i not in seen]
                for i in pending:
                    with state.lock:
                        rows, _ = state.profiles.index.search(query_vectors[i], 1)
                        hit = len(rows) and state.profiles.at(int(rows[0]))
                        if hit and hit.profile_id == steady[i].profile_id:
                            seen[i] = time.perf_counter()
                time.sleep(0.0005)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        say(f"  publishing {steady_n} profile events at {rate:g}/s")
        begin = time.perf_counter()
        for i, person in enumerate(steady):
            delay = begin + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            key, value = event(person)
            published[i] = time.perf_counter()
            producer.send(Topic.PROFILES, key=key, value=value)
            producer.flush()
        deadline = time.perf_counter() + 30
        while len(seen) < steady_n and time.perf_counter() < deadline:
            time.sleep(0.05)
        done.set()
        watcher.join()
        latencies = [seen[i] - published[i] for i in seen]
        p50, p99 = latency_ms(latencies) if latencies else (float("nan"), float("nan"))

        say(f"  publishing a burst of {bulk} profile events")
        burst_events = [event(person) for person in burst]
        ids = [str(person.profile_id) for person in burst]
        began = time.perf_counter()
        for key, value in burst_events:
            producer.send(Topic.PROFILES, key=key, value=value)
        producer.flush()
        deadline = time.perf_counter() + 600
        while time.perf_counter() < deadline:
            with state.lock:
                if all(pid in state.versions for pid in ids):
                    break
            time.sleep(0.02)
        elapsed = time.perf_counter() - began
        with state.lock:
            searchable = sum(1 for pid in ids if pid in state.versions)
        producer.close()
        runtime.stop()
    return {
        "event_rate_per_s": rate,
        "events_published": steady_n,
        "events_found": len(latencies),
        "event_to_searchable_p50_ms": p50,
        "event_to_searchable_p99_ms": p99,
        "bulk_events": bulk,
        "bulk_searchable": searchable,
        "bulk_seconds": elapsed,
        "bulk_profiles_per_s": searchable / elapsed,
        "bulk_embed_bound_per_s": bound,
    }

