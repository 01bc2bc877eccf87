"""Where a match request's time goes: a matching service on a saved index of N synthetic opportunities (clustered
random vectors, facts from the test builders' shapes), driven over HTTP on loopback, first alone and then while
py-spy samples it (without stopping it), then the samples summed by function (`youth-guarantee bench
--profile-matches`)."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from benchmarks.load import percentiles
from benchmarks.report import Printer, py_spy
from infra.broker import free_port
from infra.seed.synthetic import HOME_LATITUDE, HOME_LONGITUDE, birth_date_for_age
from infra.stack import uvicorn_argv
from services.common.settings import CommonSettings
from services.matching.config import MatchingSettings
from services.matching.embedder import MODEL_NAME
from services.matching.facts import EmployerFacts, OpportunityFacts, PersonFacts
from services.matching.persistence import current_snapshot, save
from services.matching.runtime import new_state
from services.messaging.vocabulary import OPPORTUNITY_TYPES

DIM = 384
RATE = 250  # py-spy samples a second
SKILLS = ["teamwork", "customer service", "food hygiene", "forklift driving", "stock control", "first aid",
          "driving", "cooking", "cleaning", "Microsoft Excel", "coding", "care work", "retail", "bricklaying"]


def synthetic_index(directory: Path, *, opportunities: int, people: int, seed: int = 5) -> list[uuid.UUID]:
    """A saved matcher state; returns the people's ids."""
    rng = random.Random(seed)
    generator = np.random.default_rng(seed)
    centres = generator.standard_normal((400, DIM)).astype(np.float32)

    def vectors(n: int) -> np.ndarray:
        out = centres[generator.integers(0, len(centres), n)] + 0.6 * generator.standard_normal((n, DIM))
        return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)

    state = new_state(MatchingSettings(environment="test"), DIM)
    today = dt.date.today()
    employers = [uuid.uuid4() for _ in range(max(1, opportunities // 200))]
    for employer in employers:
        state.put_employer(EmployerFacts(employer, 1, f"Employer {str(employer)[:6]} Ltd", True, False, True))
    job_vectors = vectors(opportunities)
    for i in range(opportunities):
        kind = rng.choice(OPPORTUNITY_TYPES)
        facts = OpportunityFacts(
            opportunity_id=uuid.uuid4(), version=1, type=kind, status="live", title=f"Role {i}",
            skills=tuple(rng.sample(SKILLS, 3)), sector=rng.choice(["retail", "care", "logistics", "digital"]),
            level=None, postcode_district="SK1", latitude=HOME_LATITUDE + rng.uniform(-0.15, 0.15),
            longitude=HOME_LONGITUDE + rng.uniform(-0.25, 0.25), remote=rng.random() < 0.03, positions=2,
            positions_filled=0, start_date=today + dt.timedelta(days=40), closing_date=today + dt.timedelta(days=20),
            min_age=16, max_age=None if rng.random() < 0.7 else 24, requires_universal_credit=kind == "kickstart",
            text_hash=f"{i}", wage_pence=1350, later_wage_pence=1350, duration_months=12, held_back=False,
            employer_id=rng.choice(employers), wage_per_hour=13.5, hours_per_week=37.5,
            description="A synthetic opportunity for profiling.",
        )
        state.put_opportunity(facts, job_vectors[i])
    ids = []
    person_vectors = vectors(people)
    for i in range(people):
        person = PersonFacts(
            profile_id=uuid.uuid4(), version=1, status="neet", date_of_birth=birth_date_for_age(rng.randint(16, 29)),
            postcode_district="SK1", latitude=HOME_LATITUDE, longitude=HOME_LONGITUDE, on_universal_credit=True,
            priority_groups=(), skills=tuple(rng.sample(SKILLS, 3)), interests=("work",),
            preferred_types=(rng.choice(OPPORTUNITY_TYPES),), max_travel_km=rng.choice([5.0, 10.0, 15.0, 20.0]),
            text_hash=f"p{i}",
        )
        state.put_person(person, person_vectors[i])
        ids.append(person.profile_id)
    save(state, directory, model=MODEL_NAME, dim=DIM, embedder="synthetic")
    return ids


def collapse(raw: Path) -> tuple[Counter[str], Counter[str], int]:
    """py-spy's raw output (collapsed stacks): samples per function, inclusive and where the CPU was (self)."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        samples = int(count)
        frames = [frame.split(" (")[0] + " (" + frame.split(" (")[1].split(":")[0] + ")" if " (" in frame else frame
                  for frame in stack.split(";")]
        if not any("request" in f or "route" in f or "matches_for_profile" in f or "app" in f for f in frames):
            continue
        total += samples
        for frame in set(frames):
            inclusive[frame] += samples
        own[frames[-1]] += samples
    return inclusive, own, total


def run(*, opportunities: int, people: int, requests: int, work_dir: Path, say: Printer) -> dict[str, Any]:
    index_dir = work_dir / "matching"
    say(f"profile: a saved index of {opportunities:,} synthetic opportunities and {people:,} young people")
    started = time.monotonic()
    snapshot = current_snapshot(index_dir)
    if snapshot is not None:
        meta = json.loads((snapshot / "meta.json").read_bytes())
        ids = [uuid.UUID(key) for key, _row in meta["sides"]["profiles"]["rows"]]
        say(f"  reusing the one in {index_dir}")
    else:
        ids = synthetic_index(index_dir, opportunities=opportunities, people=people)
        say(f"  built in {time.monotonic() - started:.0f} s")
    port = free_port()
    env = {**os.environ, "MATCHING_INDEX_DIR": str(index_dir), "YG_ENV": "development",
           "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}", "YG_LOG_LEVEL": "ERROR", "MATCHING_EMBEDDER": "torch"}
    server = subprocess.Popen(uvicorn_argv("services.matching.main", "127.0.0.1", port, log_level="error"), env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    token = CommonSettings().development_issuer().issue(role="adviser", sub="adviser-profile")
    headers = {"Authorization": f"Bearer {token}"}
    raw = work_dir / "matches-profile.txt"
    try:
        with httpx.Client(timeout=30) as client:
            deadline = time.monotonic() + 1800
            while time.monotonic() < deadline:  # until it answers and has embedded the phrases it compares
                try:
                    if (client.get(f"{url}/profiles/{ids[0]}/matches", headers=headers).status_code == 200
                            and not client.get(f"{url}/ready").json().get("phrases_warming")):
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.5)
            say(f"  answering, phrases embedded, after {time.monotonic() - started:.0f} s")
            health = []
            for _ in range(200):
                t = time.perf_counter()
                client.get(f"{url}/health")
                health.append((time.perf_counter() - t) * 1000)

            def matches() -> list[float]:
                spent = []
                for i in range(requests):
                    t = time.perf_counter()
                    response = client.get(f"{url}/profiles/{ids[i % len(ids)]}/matches", headers=headers,
                                          params={"k": 10})
                    spent.append((time.perf_counter() - t) * 1000)
                    assert response.status_code == 200, response.text
                return spent

            times = matches()
            # Sampled without stopping the process (stopping it at each sample multiplied the request's time).
            spy = subprocess.Popen([py_spy(), "record", "--pid", str(server.pid), "--rate", str(RATE), "--format",
                                    "raw", "--output", str(raw), "--duration", "600", "--nonblocking"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1.0)
            profiled = matches()
            spy.send_signal(2)
            spy.wait(timeout=60)
    finally:
        server.kill()
        server.wait(timeout=30)
    inclusive, own, total = collapse(raw)
    say(f"  GET /profiles/{{id}}/matches over {requests} sequential requests: {percentiles(times)}; "
        f"/health {percentiles(health)}")
    say(f"  the same while py-spy samples it: {percentiles(profiled)}; {total} samples in the request path, "
        f"{1000 * total / RATE / requests:.2f} ms a request; inclusive share by function:")
    for frame, samples in inclusive.most_common(40):
        say(f"    {100 * samples / max(total, 1):5.1f}%  {frame}")
    say("  where the CPU was (self):")
    for frame, samples in own.most_common(15):
        say(f"    {100 * samples / max(total, 1):5.1f}%  {frame}")
    return {"matches": percentiles(times), "health": percentiles(health), "samples": total,
            "inclusive": {f: s / max(total, 1) for f, s in inclusive.most_common(60)}}
