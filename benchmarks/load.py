"""The load benchmark (`youth-guarantee bench --load`): the local stack on PostgreSQL with N live opportunities and
M young people put in through the services' HTTP APIs (so every one is an event the matcher and the events service
ingest), then a fixed rate of mixed traffic for a while, loopback only, while ingest goes on.

It prints, per route, p50/p95/p99 and errors; the consumers' lag; event-to-searchable (from a write's answer to the
first 200 from the matcher about it); the person page's server time (the calls an adviser's page of one person
makes, in parallel as the page does); and, for the same young people, the HTTP match time beside the in-process
service call and the bare index search.

The loaded state is kept between runs (PostgreSQL databases `yg_load_*` and the matcher's saved index under the
cache folder): a later run with the same sizes starts the stack on it, the relays publish the outboxes again to the
new (in-memory) broker and the consumers skip what they hold, so only the first run pays for embedding."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import json
import os
import random
import re
import shutil
import subprocess
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psycopg

from benchmarks.cpu import CpuMeter, collections, histogram_buckets, histogram_percentile, matching_pids
from benchmarks.report import Printer, machine, py_spy
from infra.seed.context import SeedContext
from infra.seed.employers import employer_payloads
from infra.seed.occupations import occupations_by_sector
from infra.seed.postings import TYPE_MIX, plan_opportunity
from infra.seed.profiles import synthetic_person
from infra.stack import SERVICES, Stack, development_keys
from services.common.settings import CommonSettings
from services.matching.config import MatchingSettings
from services.matching.embedder import MODEL_NAME, build_embedder
from services.matching.ingest import phrases_of
from services.matching.persistence import current_snapshot, hnsw_loader, load
from services.matching.ranking import Filters
from services.matching.runtime import concepts_for, index_params
from services.matching.service import matches_for_profile

MATCHES = "GET /profiles/{id}/matches"
LATENCY_HISTOGRAM = "yg_http_request_seconds"  # services/common/observability.py
OPPORTUNITY_WORDS = ("care", "kitchen", "warehouse", "retail", "digital", "mechanic", "office", "garden", "hotel")


@dataclass(frozen=True)
class LoadOptions:
    opportunities: int = 100_000
    people: int = 10_000
    seconds: float = 60.0
    rate: float = 50.0
    load_concurrency: int = 12
    cache_dir: Path = Path("data/load-cache")
    database_admin_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    profile_seconds: float = 0.0  # py-spy the matching service for this long during the traffic
    seed: int = 11


PROBE_MAX_S = 0.1  # the longest interval between two asks whether a write is searchable yet
PROBE_TIMEOUT_S = 30.0
IN_FLIGHT = 64  # requests on the wire at once; more wait their turn, and the wait counts in their time


@dataclass
class Recorder:
    """Latencies (from when a request was due, so waiting for a turn counts) and errors per route."""

    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    statuses: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    failures: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    turns: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(IN_FLIGHT))

    async def call(self, route: str, send: Awaitable[httpx.Response], ok: tuple[int, ...] = (200, 201)
                   ) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            async with self.turns:
                response = await send
        except httpx.HTTPError as exc:
            self.errors[route] += 1
            self.failures[route][type(exc).__name__] += 1
            self.times[route].append((time.perf_counter() - started) * 1000)
            return None
        self.times[route].append((time.perf_counter() - started) * 1000)
        self.statuses[route][response.status_code] += 1
        if response.status_code not in ok:
            self.errors[route] += 1
        return response

    def figures(self) -> dict[str, dict[str, Any]]:
        return {route: {**percentiles(values), "count": len(values), "errors": self.errors.get(route, 0),
                        "error_statuses": {str(code): n for code, n in sorted(self.statuses[route].items())
                                           if code >= 400},
                        "failures": dict(self.failures[route])}
                for route, values in sorted(self.times.items())}


def percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None}
    p50, p95, p99 = np.percentile(np.asarray(values), [50, 95, 99])
    return {"p50_ms": round(float(p50), 2), "p95_ms": round(float(p95), 2), "p99_ms": round(float(p99), 2)}


# -- the stack --------------------------------------------------------------------------------------------------


# The services' databases on PostgreSQL; the first three hold the loaded state, the matcher's only what the traffic
# leaves (the served lists' records and their outbox), so an older cache without it is still a cache.
DATABASES = ("profiles", "opportunities", "events", "matching")
LOADED = DATABASES[:3]


def _databases(options: LoadOptions) -> dict[str, str]:
    base = options.database_admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    return {name: f"{base}/yg_load_{name}" for name in DATABASES}


def _fresh_databases(options: LoadOptions, names: tuple[str, ...] = DATABASES) -> None:
    with psycopg.connect(options.database_admin_url, autocommit=True) as connection:
        for name in names:
            connection.execute(f'DROP DATABASE IF EXISTS "yg_load_{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "yg_load_{name}"')


def _server_databases(options: LoadOptions) -> set[str]:
    with psycopg.connect(options.database_admin_url, autocommit=True) as connection:
        return {row[0] for row in connection.execute("SELECT datname FROM pg_database")}


def _missing_databases(options: LoadOptions) -> tuple[str, ...]:
    names = _server_databases(options)
    return tuple(name for name in DATABASES if f"yg_load_{name}" not in names)


def _marker(options: LoadOptions) -> Path:
    return options.cache_dir / "loaded.json"


def cached(options: LoadOptions) -> bool:
    """Whether the cache holds a completed load of these sizes (and its databases still exist)."""
    try:
        loaded = json.loads(_marker(options).read_text())
        names = _server_databases(options)
    except (OSError, ValueError, psycopg.Error):
        return False
    wanted = {"opportunities": options.opportunities, "people": options.people}
    return all(f"yg_load_{n}" in names for n in LOADED) and all(
        loaded.get(key) == value for key, value in wanted.items())


def stack_env(options: LoadOptions, run_dir: Path) -> dict[str, str]:
    urls = _databases(options)
    env = {**os.environ, "YG_ENV": "development", "YG_DATA_DIR": str((options.cache_dir / "data").resolve()),
           "YG_RUN_DIR": str(run_dir), "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
           "PROFILES_DATABASE_URL": urls["profiles"], "OPPORTUNITIES_DATABASE_URL": urls["opportunities"],
           "EVENTS_DATABASE_URL": urls["events"], "MATCHING_DATABASE_URL": urls["matching"],
           "MATCHING_INDEX_DIR": str((options.cache_dir / "matching").resolve()),
           "OPPORTUNITIES_EXPIRY_INTERVAL_SECONDS": "3600", "YG_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1",
           # The load is one adviser writing many times a second, which the rate limits exist to stop.
           "YG_RATE_LIMITS": "false",
           # The exposure audit ranks every open posting's candidate list in the matcher (every 30 minutes, and a
           # minute after start, so inside the traffic). The bench makes it once before the traffic and times it,
           # waiting for it as a page would not.
           "EVENTS_EXPOSURE_REFRESH_SECONDS": "0", "EVENTS_EXPOSURE_MAX_AGE_SECONDS": "86400",
           "EVENTS_MATCHING_TIMEOUT_SECONDS": "600", "EVENTS_EXPOSURE_WAIT_SECONDS": "600"}
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    return env


# -- loading through the services ---------------------------------------------------------------------------------


class Api:
    """One connection pool a service (httpcore's pool spends time quadratic in the requests waiting on it)."""

    def __init__(self, clients: dict[str, httpx.AsyncClient]) -> None:
        issuer = CommonSettings().development_issuer()
        self.clients = clients
        self.adviser = {"Authorization": f"Bearer {issuer.issue(role='adviser', sub='adviser-load')}"}
        self.url = {component.name: component.url for component in SERVICES}

    def post(self, service: str, path: str, body: Any) -> Awaitable[httpx.Response]:
        return self.clients[service].post(self.url[service] + path, json=body, headers=self.adviser)

    def get(self, service: str, path: str, **params: Any) -> Awaitable[httpx.Response]:
        return self.clients[service].get(self.url[service] + path, params=params, headers=self.adviser)

    def patch(self, service: str, path: str, body: Any) -> Awaitable[httpx.Response]:
        return self.clients[service].patch(self.url[service] + path, json=body, headers=self.adviser)


@dataclass
class Population:
    employers: list[tuple[str, Any]] = field(default_factory=list)
    opportunities: list[str] = field(default_factory=list)
    people: list[str] = field(default_factory=list)


class Generator:
    """Synthetic bodies: employers, postings that pass the publishing rules, young people."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.ctx = SeedContext(now=dt.datetime.now(dt.UTC), rng=self.rng, show_progress=False)
        self.occupations = occupations_by_sector()
        self.kinds = list(TYPE_MIX)
        self.weights = list(TYPE_MIX.values())

    def employers(self, count: int) -> list[Any]:
        return list(employer_payloads(self.rng, count))

    def posting(self, employer_id: str, employer: Any) -> dict[str, Any]:
        while True:
            kind = self.rng.choices(self.kinds, self.weights)[0]
            published = self.ctx.now - dt.timedelta(hours=1)
            plan = plan_opportunity(self.rng, uuid.UUID(employer_id), employer, kind, published, self.occupations,
                                    closes_after=self.ctx.now.date())
            if plan is not None:
                return plan.data.model_dump(mode="json")

    def person(self) -> dict[str, Any]:
        """A synthetic registration; drawn from short lists of names, thousands of them share a name and date of
        birth, so each says why it is someone else (the duplicate check still runs on every one)."""
        body = synthetic_person(self.ctx, self.ctx.now.date(), with_phone=False).model_dump(mode="json")
        return {**body, "duplicate_reason": "synthetic load: a different person who shares a name and birthday"}


async def _pool(count: int, concurrency: int, task: Callable[[int], Awaitable[None]], say: Printer, what: str
                ) -> None:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(count):
        queue.put_nowait(index)
    done = 0
    started = time.monotonic()

    async def worker() -> None:
        nonlocal done
        while not queue.empty():
            index = queue.get_nowait()
            await task(index)
            done += 1
            if done % 5000 == 0:
                say(f"  {what}: {done:,}/{count:,} ({done / (time.monotonic() - started):.0f}/s)")

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def _checked(send: Callable[[], Awaitable[httpx.Response]], expect: int) -> dict[str, Any]:
    """The answer's body; a 503 is tried again (a moment of database trouble), anything else unexpected fails."""
    for _attempt in range(5):
        try:
            response = await send()
        except httpx.TransportError:  # a kept-alive connection the server closed as it was reused: ask again
            await asyncio.sleep(0.5)
            continue
        if response.status_code == expect:
            return response.json()  # type: ignore[no-any-return]
        if response.status_code != 503:
            raise RuntimeError(f"{response.request.method} {response.request.url}: {response.status_code} "
                               f"{response.text[:300]}")
        await asyncio.sleep(0.5)
    raise RuntimeError("the service stayed unavailable")


async def load_population(api: Api, options: LoadOptions, generator: Generator, say: Printer) -> Population:
    population = Population()
    n_employers = max(10, options.opportunities // 200)
    bodies = generator.employers(n_employers)

    async def employer(index: int) -> None:
        created = await _checked(lambda: api.post("opportunities", "/employers", bodies[index].model_dump(mode="json")),
                                 201)
        population.employers.append((created["id"], bodies[index]))

    await _pool(n_employers, options.load_concurrency, employer, say, "employers")
    postings = [generator.posting(*population.employers[i % len(population.employers)])
                for i in range(options.opportunities)]

    async def opportunity(index: int) -> None:
        draft = await _checked(lambda: api.post("opportunities", "/opportunities", postings[index]), 201)
        await _checked(lambda: api.post("opportunities", f"/opportunities/{draft['id']}/publish", None), 200)
        population.opportunities.append(draft["id"])

    people = [generator.person() for _ in range(options.people)]

    async def person(index: int) -> None:
        created = await _checked(lambda: api.post("profiles", "/profiles", people[index]), 201)
        population.people.append(created["id"])

    await asyncio.gather(_pool(options.opportunities, options.load_concurrency, opportunity, say, "opportunities"),
                         _pool(options.people, max(2, options.load_concurrency // 4), person, say, "young people"))
    return population


def vacuum_databases(options: LoadOptions) -> str:
    """VACUUM ANALYZE the load's databases before the traffic, as autovacuum would have on a server with it on. (The
    shared development server runs with autovacuum off: every outbox row is updated when published, and again on
    each republish to a new in-memory broker, so the relay's poll for unsent rows walked ~18,000 dead index entries,
    3-14 ms a poll, 20 polls a second per outbox.)"""
    started = time.monotonic()
    for url in _databases(options).values():
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as connection:
            connection.execute("VACUUM (ANALYZE)")
    return f"the load's databases vacuumed and analysed in {time.monotonic() - started:.1f} s"


def population_from_databases(options: LoadOptions) -> Population:
    urls = {k: v.replace("postgresql+psycopg://", "postgresql://") for k, v in _databases(options).items()}
    population = Population()
    with psycopg.connect(urls["opportunities"]) as connection:
        population.opportunities = [str(r[0]) for r in connection.execute(
            "SELECT id FROM opportunities WHERE status = 'live' ORDER BY id")]
        population.employers = [(str(r[0]), None) for r in connection.execute("SELECT id FROM employers")]
    with psycopg.connect(urls["profiles"]) as connection:
        population.people = [str(r[0]) for r in connection.execute("SELECT id FROM profiles ORDER BY id")]
    return population


async def exposure_audit_seconds(api: Api) -> float:
    """How long the events service takes to make an exposure audit: the matcher ranks every open posting's list."""
    started = time.monotonic()
    response = await api.clients["events"].get(api.url["events"] + "/exposure", headers=api.adviser, timeout=600)
    if response.status_code != 200:
        raise RuntimeError(f"GET /exposure: {response.status_code} {response.text[:300]}")
    return time.monotonic() - started


async def wait_ingested(api: Api, options: LoadOptions, say: Printer, timeout: float = 7200.0) -> dict[str, Any]:
    """Until the matcher holds everything, has embedded the phrases it compares (at start) and both consumers have no
    lag."""
    started = time.monotonic()
    last = 0.0
    while True:
        matching = (await api.get("matching", "/ready")).json()
        events = (await api.get("events", "/ready")).json()
        counts = matching.get("counts", {})
        done = (counts.get("opportunities_indexed", 0) >= options.opportunities
                and counts.get("profiles", 0) >= options.people and matching.get("consumer_lag") == 0
                and not matching.get("phrases_warming")
                and events.get("consumer_lag") == 0)
        if done:
            return {"matching": counts, "seconds": round(time.monotonic() - started, 1)}
        if time.monotonic() - last > 30:
            say(f"  ingest: matcher {counts.get('opportunities_indexed', 0):,} opportunities, "
                f"{counts.get('profiles', 0):,} people, lag {matching.get('consumer_lag')}; events lag "
                f"{events.get('consumer_lag')}")
            last = time.monotonic()
        if time.monotonic() - started > timeout:
            raise TimeoutError("ingest did not finish")
        await asyncio.sleep(2)


# -- the traffic ----------------------------------------------------------------------------------------------------


@dataclass
class Traffic:
    api: Api
    population: Population
    generator: Generator
    recorder: Recorder = field(default_factory=Recorder)
    searchable_ms: list[float] = field(default_factory=list)
    lags: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    person_page_ms: list[float] = field(default_factory=list)
    matched_people: list[str] = field(default_factory=list)
    referrals: int = 0
    probes: list[asyncio.Task[None]] = field(default_factory=list)
    probe_requests: int = 0
    never_searchable: int = 0
    probe_client: httpx.AsyncClient | None = None

    def _person(self) -> str:
        return self.generator.rng.choice(self.population.people)

    def _opportunity(self) -> str:
        return self.generator.rng.choice(self.population.opportunities)

    async def profile_matches(self) -> None:
        person = self._person()
        self.matched_people.append(person)
        await self.recorder.call(MATCHES, self.api.get("matching", f"/profiles/{person}/matches", k=10))

    async def candidates(self) -> None:
        await self.recorder.call("GET /opportunities/{id}/matches",
                                 self.api.get("matching", f"/opportunities/{self._opportunity()}/matches", k=10))

    async def browse(self) -> None:
        rng = self.generator.rng
        params: dict[str, Any] = {"q": rng.choice(OPPORTUNITY_WORDS), "limit": 20}
        if rng.random() < 0.5:
            params["type"] = rng.choice(self.generator.kinds)
        await self.recorder.call("GET /opportunities?q&type", self.api.get("opportunities", "/opportunities", **params))

    async def search(self) -> None:
        body = {"text": f"{self.generator.rng.choice(OPPORTUNITY_WORDS)} work near home", "target": "opportunities"}
        await self.recorder.call("POST /search", self.api.post("matching", "/search", body))

    async def register(self) -> None:
        response = await self.recorder.call("POST /profiles", self.api.post("profiles", "/profiles",
                                                                            self.generator.person()))
        if response is not None and response.status_code == 201:
            person = response.json()["id"]
            asyncio.get_running_loop().create_task(
                self._searchable(f"/profiles/{person}/matches", then=lambda: self.population.people.append(person)))

    async def update(self) -> None:
        body = {"about": f"Keen to start soon, {uuid.uuid4().hex[:6]}."}
        await self.recorder.call("PATCH /profiles/{id}", self.api.patch("profiles", f"/profiles/{self._person()}",
                                                                        body))

    async def post_opportunity(self) -> None:
        employer_id, employer = self.generator.rng.choice([e for e in self.population.employers if e[1] is not None]
                                                          or self.population.employers)
        if employer is None:
            return
        draft = await self.recorder.call("POST /opportunities", self.api.post(
            "opportunities", "/opportunities", self.generator.posting(employer_id, employer)))
        if draft is None or draft.status_code != 201:
            return
        opportunity = draft.json()["id"]
        published = await self.recorder.call("POST /opportunities/{id}/publish", self.api.post(
            "opportunities", f"/opportunities/{opportunity}/publish", None))
        if published is not None and published.status_code == 200:
            joins = self.population.opportunities
            asyncio.get_running_loop().create_task(
                self._searchable(f"/opportunities/{opportunity}/matches", then=lambda: joins.append(opportunity)))

    async def refer(self) -> None:
        body = {"profile_id": self._person(), "opportunity_id": self._opportunity(), "note": "From the load test."}
        response = await self.recorder.call("POST /referrals", self.api.post("opportunities", "/referrals", body),
                                            ok=(201, 409, 422))
        if response is not None and response.status_code == 201:
            self.referrals += 1

    async def person_page(self) -> None:
        """What an adviser's page of one young person asks the services for, in parallel."""
        person = self._person()
        started = time.perf_counter()
        calls = [self.api.get("profiles", f"/profiles/{person}"), self.api.get("events", f"/guarantee/{person}"),
                 self.api.get("matching", f"/profiles/{person}/matches", k=10),
                 self.api.get("opportunities", "/interests", profile_id=person, limit=50),
                 self.api.get("opportunities", "/referrals", profile_id=person, limit=50)]
        responses = await asyncio.gather(*calls, return_exceptions=True)
        elapsed = (time.perf_counter() - started) * 1000
        self.person_page_ms.append(elapsed)
        route = "person page (5 calls in parallel)"
        self.recorder.times[route].append(elapsed)
        for response in responses:
            if isinstance(response, BaseException):
                self.recorder.failures[route][type(response).__name__] += 1
            elif response.status_code not in (200, 404):  # a person with no guarantee record yet: 404
                self.recorder.statuses[route][response.status_code] += 1
        if any(isinstance(r, BaseException) or r.status_code not in (200, 404) for r in responses):
            self.recorder.errors[route] += 1

    async def _searchable(self, path: str, then: Callable[[], None]) -> None:
        """From a write's answer to the matcher's first 200 about it, then `then()`: the new person or posting joins
        those the traffic picks from, so no request counts the matcher's lag as a 404. Asked after 10 ms, then at
        intervals growing to PROBE_MAX_S: a fixed 10 ms poll per pending write was itself hundreds of requests a
        second to the matcher once it fell behind (the figure is an upper bound by at most one interval)."""
        self.probes.append(asyncio.current_task())  # type: ignore[arg-type]
        started = time.perf_counter()
        interval = 0.01
        client = self._probe_client()
        while time.perf_counter() - started < PROBE_TIMEOUT_S:
            await asyncio.sleep(interval)
            interval = min(interval * 1.5, PROBE_MAX_S)
            self.probe_requests += 1
            try:
                response = await client.get(self.api.url["matching"] + path, headers=self.api.adviser,
                                            params={"k": 1})
            except httpx.HTTPError:
                continue
            if response.status_code == 200:
                self.searchable_ms.append((time.perf_counter() - started) * 1000)
                then()
                return
        self.never_searchable += 1

    def _probe_client(self) -> httpx.AsyncClient:
        if self.probe_client is None:
            self.probe_client = httpx.AsyncClient(timeout=5, limits=httpx.Limits(max_connections=16))
        return self.probe_client

    async def sample_lag(self, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(timeout=5) as client:
            while not stop.is_set():
                for name in ("matching", "events"):
                    try:
                        lag = (await client.get(self.api.url[name] + "/ready")).json().get("consumer_lag")
                    except httpx.HTTPError:
                        continue
                    if lag is not None:
                        self.lags[name].append(int(lag))
                await asyncio.sleep(1.0)

    MIX: tuple[tuple[str, float], ...] = (
        ("profile_matches", 0.30), ("candidates", 0.08), ("browse", 0.15), ("search", 0.05), ("register", 0.08),
        ("update", 0.10), ("post_opportunity", 0.06), ("refer", 0.06), ("person_page", 0.12),
    )

    async def run(self, seconds: float, rate: float) -> None:
        """An open loop: requests start on schedule whether or not earlier ones finished."""
        names, weights = zip(*self.MIX, strict=True)
        stop = asyncio.Event()
        sampler = asyncio.get_running_loop().create_task(self.sample_lag(stop))
        tasks = []
        started = time.perf_counter()
        for index in range(int(seconds * rate)):
            delay = started + index / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            action = getattr(self, self.generator.rng.choices(names, weights)[0])
            tasks.append(asyncio.get_running_loop().create_task(action()))
        await asyncio.gather(*tasks)
        await asyncio.gather(*self.probes)  # every write searchable, or given up on after PROBE_TIMEOUT_S
        stop.set()
        await sampler
        if self.probe_client is not None:
            await self.probe_client.aclose()


# -- in-process comparison ------------------------------------------------------------------------------------------


def in_process_times(options: LoadOptions, people: list[str], say: Printer) -> dict[str, Any]:
    """For the same young people as the HTTP matches: the service's use case in-process (eligibility, ranking,
    explanations, by meaning as the service compares when its concepts are on, their phrases embedded first) and
    the bare index search (the person's vector, top 100, no filter), from the saved index."""
    settings = MatchingSettings(index_dir=options.cache_dir / "matching")  # the stack's YG_DATA_DIR: its model cache
    snapshot = current_snapshot(settings.resolved_index_dir())
    assert snapshot is not None, "the matching service saved no index"
    dim = int(json.loads((snapshot / "meta.json").read_bytes())["dim"])
    state, _meta = load(settings.resolved_index_dir(), model=MODEL_NAME, dim=dim,
                        load_index=hnsw_loader(**index_params(settings)), looking_statuses=settings.looking_statuses)
    if settings.concepts:
        embedder = build_embedder(settings)
        state.concepts = concepts_for(settings, embedder)
        held = [*(facts for facts in state.opportunities if facts.status == "live"), *state.profiles]
        state.concepts.warm(list(dict.fromkeys(phrases_of(held))), embedder)
    from services.common.auth import Principal, Role

    adviser = Principal(role=Role.ADVISER, sub="adviser-load")
    today = dt.date.today()
    service_ms, index_ms = [], []
    for person in people:
        key = uuid.UUID(person)
        row = state.profiles.row_of(key)
        vector = None if row is None else state.profiles.index.vector(row)
        if vector is None:
            continue
        started = time.perf_counter()
        matches_for_profile(state=state, settings=settings, principal=adviser, profile_id=key, k=10,
                            filters=Filters(), today=today)
        service_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        state.opportunities.index.search(vector, settings.rerank_pool)
        index_ms.append((time.perf_counter() - started) * 1000)
    say(f"  in-process: {len(service_ms)} of the same queries"
        f"{', skills and interests compared by meaning' if settings.concepts else ''}")
    return {"service_call": percentiles(service_ms), "bare_index_top100": percentiles(index_ms),
            "n": len(service_ms), "by_meaning": settings.concepts}


def record_checksum_times(events: int = 200, rounds: int = 20) -> dict[str, Any]:
    """The CRC-32C that kafka-python computes over every record batch it produces and checks on every batch it
    fetches (relay, consumers), over a batch of event-sized values: its pure-Python fallback against the crc32c
    package it uses when installed. Median ms a batch."""
    from kafka.record.default_records import DefaultRecordBatchBuilder
    from kafka.record.util import calc_crc32c, crc32c_c, crc32c_py

    rng = random.Random(7)
    builder = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False, producer_id=-1,
                                        producer_epoch=-1, base_sequence=-1, batch_size=16 * 1024 * 1024)
    for offset in range(events):  # about the size of a sealed profile event
        value = json.dumps({"event_id": str(uuid.UUID(int=rng.getrandbits(128))),
                            "payload": rng.randbytes(900).hex()}).encode()
        builder.append(offset, timestamp=None, key=str(offset).encode(), value=value, headers=[])
    batch = memoryview(bytes(builder.build()))

    def median_ms(crc: Callable[[memoryview], int]) -> float:
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            calc_crc32c(batch, _crc32c=crc)
            times.append((time.perf_counter() - started) * 1000)
        return round(sorted(times)[len(times) // 2], 4)

    return {"events": events, "batch_kb": round(len(batch) / 1024, 1), "pure_python_ms": median_ms(crc32c_py),
            "crc32c_ms": None if crc32c_c is None else median_ms(crc32c_c)}


# -- the whole run --------------------------------------------------------------------------------------------------


def _profile(pid: int, seconds: float, out: Path, say: Printer) -> subprocess.Popen[bytes] | None:
    try:
        return subprocess.Popen([py_spy(), "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate",
                                 "100", "--format", "raw", "--output", str(out), "--nonblocking"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except FileNotFoundError:
        say("  py-spy is not installed (pip install -e '.[bench]'); no profile")
        return None


def top_functions(raw: Path, count: int = 6) -> list[tuple[str, float]]:
    """The functions the samples of a py-spy raw profile were in (self time), with their share of the samples."""
    own: dict[str, int] = defaultdict(int)
    total = 0
    try:
        lines = raw.read_text().splitlines()
    except OSError:
        return []
    for line in lines:
        stack, _, samples = line.rpartition(" ")
        if not stack or not samples.isdigit():  # a frame's name may hold a line break: its first part ends so
            continue
        leaf = stack.split(";")[-1]
        name, _, where = leaf.partition(" (")
        own[f"{name} ({where.split(':')[0]})" if where else name] += int(samples)
        total += int(samples)
    ranked = sorted(own.items(), key=lambda item: -item[1])[:count]
    return [(name, round(100 * n / total, 1)) for name, n in ranked] if total else []


def run(*, options: LoadOptions, say: Printer = print) -> dict[str, Any]:
    options.cache_dir.mkdir(parents=True, exist_ok=True)
    run_dir = (options.cache_dir / "run").resolve()
    env = stack_env(options, run_dir)
    reuse = cached(options)
    if not reuse:
        say(f"load: a fresh load of {options.opportunities:,} opportunities and {options.people:,} young people "
            f"(kept in {options.cache_dir} for later runs)")
        _fresh_databases(options)
        for stale in ("matching", "loaded.json"):
            target = options.cache_dir / stale
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    else:
        say(f"load: reusing the loaded state in {options.cache_dir}")
        _fresh_databases(options, _missing_databases(options))
    stack = Stack(run_dir, env)
    os.environ.update({k: v for k, v in env.items() if k.startswith(("YG_", "PROFILES_", "OPPORTUNITIES_",
                                                                       "EVENTS_", "MATCHING_"))})
    development_keys()
    results: dict[str, Any] = {"machine": machine(), "n_opportunities": options.opportunities,
                               "n_people": options.people, "rate_per_s": options.rate, "seconds": options.seconds,
                               "reused_cache": reuse}
    try:
        say(stack.start_broker())
        for line in stack.start_services():
            say(line)
        say(stack.start_relay())
        for line in stack.wait_ready(timeout=900):
            say(line)
        results.update(asyncio.run(_drive(options, reuse, stack, say)))
    finally:
        say("stopping the stack")
        stack.stop()
    results["in_process"] = in_process_times(options, results.pop("matched_people"), say)
    results["record_checksum"] = record_checksum_times()
    return results


async def _drive(options: LoadOptions, reuse: bool, stack: Stack, say: Printer) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
    async with contextlib.AsyncExitStack() as clients:
        api = Api({component.name: await clients.enter_async_context(httpx.AsyncClient(timeout=30, limits=limits))
                   for component in SERVICES})
        generator = Generator(options.seed)
        started = time.monotonic()
        if reuse:
            population = population_from_databases(options)
        else:
            population = await load_population(api, options, generator, say)
        loaded_s = time.monotonic() - started
        say(f"loaded in {loaded_s:.0f} s; waiting for the consumers")
        ingest = await wait_ingested(api, options, say)
        if not reuse:
            _marker(options).write_text(json.dumps({"opportunities": options.opportunities,
                                                    "people": options.people, "loaded_s": round(loaded_s, 1),
                                                    "ingest_after_s": ingest["seconds"]}))
        say(f"vacuum: {vacuum_databases(options)}")
        audit_s = await exposure_audit_seconds(api)
        say(f"exposure audit (every open posting's candidate list, in the matcher): {audit_s:.1f} s")
        say(f"traffic: {options.rate:g} requests/s for {options.seconds:g} s")
        traffic = Traffic(api, population, generator)
        profilers: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
        if options.profile_seconds:
            for name, process in stack.processes.items():
                out = options.cache_dir / f"profile-{name}.txt"
                started_profiler = None if name == "broker" else _profile(process.pid, options.profile_seconds, out,
                                                                          say)
                if started_profiler is not None:
                    profilers[name] = (started_profiler, out)
        groups: dict[str, Callable[[], list[int]]] = {name: functools.partial(list, (process.pid,))
                                                      for name, process in stack.processes.items()}
        groups["load driver (this process)"] = functools.partial(list, (os.getpid(),))
        groups["postgresql (yg_load_*)"] = functools.partial(matching_pids, ("postgres:", "yg_load_"))
        meter = CpuMeter(groups)
        pages_before = await _metrics_pages(api)
        meter.start()
        await traffic.run(options.seconds, options.rate)
        cpu = meter.stop()
        pages_after = await _metrics_pages(api)
        server_time = _server_times(pages_before, pages_after)
        gc_by_service = {name: collections(pages_before.get(name, ""), page) for name, page in pages_after.items()}
        profiles: dict[str, Any] = {}
        for name, (profiler, out) in profilers.items():
            profiler.wait(timeout=options.profile_seconds + 30)
            profiles[name] = {"file": str(out), "top_self": top_functions(out)}
        after = await wait_ingested(api, options, say, timeout=300)
    routes = traffic.recorder.figures()
    return {
        "load_seconds": round(loaded_s, 1),
        "ingest_wait_seconds": ingest["seconds"],
        "held_at_start": {"opportunities": ingest["matching"].get("opportunities_indexed"),
                          "people": ingest["matching"].get("profiles")},
        "exposure_audit_seconds": round(audit_s, 1),
        "routes": routes,
        "errors": sum(int(r["errors"] or 0) for r in routes.values()),
        "event_to_searchable": {**percentiles(traffic.searchable_ms), "count": len(traffic.searchable_ms),
                                "never_searchable": traffic.never_searchable,
                                "probe_requests": traffic.probe_requests},
        "consumer_lag_max": {name: max(values, default=0) for name, values in traffic.lags.items()},
        "consumer_lag_after": {"caught_up_seconds": after["seconds"]},
        "person_page": percentiles(traffic.person_page_ms),
        "referrals_made": traffic.referrals,
        "matched_people": traffic.matched_people,
        "cpu_during_traffic": cpu,
        "server_time": server_time,
        "gc_during_traffic": gc_by_service,
        "profiles": profiles,
    }


def _route_key(route: str) -> str:
    """A route the same whether the driver names it (`GET /profiles/{id}/matches`, `GET /opportunities?q&type`) or
    its service does (`GET /profiles/{profile_id}/matches`)."""
    return re.sub(r"\{[^}]*\}", "{}", route.split("?")[0])


async def _metrics_pages(api: Api) -> dict[str, str]:
    pages = {}
    for name, client in api.clients.items():
        with contextlib.suppress(httpx.HTTPError):
            pages[name] = (await client.get(api.url[name] + "/metrics")).text
    return pages


def _server_times(before: dict[str, str], after: dict[str, str]) -> dict[str, dict[str, float | None]]:
    """Each route's time inside its service (the services' request histogram, between two scrapes): beside the
    driver's figures, it tells waiting in a queue from work."""
    times: dict[str, dict[str, float | None]] = {}
    for name, page in after.items():
        old = histogram_buckets(before.get(name, ""), LATENCY_HISTOGRAM)
        for (method, route), buckets in histogram_buckets(page, LATENCY_HISTOGRAM).items():
            if route in ("/ready", "/metrics", "/health"):
                continue
            figures = {f"p{round(q * 100)}_ms": histogram_percentile(old.get((method, route), {}), buckets, q)
                       for q in (0.5, 0.99)}
            if figures["p50_ms"] is not None:
                times[_route_key(f"{method} {route}")] = {k: None if v is None else round(v * 1000, 2)
                                                          for k, v in figures.items()}
    return times


def table(results: dict[str, Any]) -> str:
    def f(value: Any) -> str:
        return "-" if value is None else f"{value:,.2f}" if isinstance(value, float) else f"{value:,}"

    m = results["machine"]
    server = results.get("server_time", {})
    held = results.get("held_at_start", {})
    lines = [f"machine: {m['cpu']}, {m['cores']} cores, {m['memory']}; load average {os.getloadavg()[0]:.1f}",
             f"{results['n_opportunities']:,} live opportunities, {results['n_people']:,} young people loaded "
             f"({'the loaded state reused' if results['reused_cache'] else 'this run'}; the matcher held "
             f"{f(held.get('opportunities'))} opportunities and {f(held.get('people'))} people as the traffic "
             f"began: each run registers more); {results['rate_per_s']:g} requests/s for {results['seconds']:g} s",
             "", f"{'route':<38} {'count':>6} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} {'errors':>6}"
                 f"   in the service: {'p50 ms':>8} {'p99 ms':>8}"]
    for route, r in results["routes"].items():
        inside: dict[str, float | None] = server.get(_route_key(route), {})
        lines.append(f"{route:<38} {r['count']:>6} {f(r['p50_ms']):>9} {f(r['p95_ms']):>9} {f(r['p99_ms']):>9} "
                     f"{r['errors']:>6}   {'':>16} {f(inside.get('p50_ms')):>8} {f(inside.get('p99_ms')):>8}")
    e = results["event_to_searchable"]
    lines += ["", f"event to searchable (write answered -> matcher answers 200): p50 {f(e['p50_ms'])} ms, "
                  f"p99 {f(e['p99_ms'])} ms over {e['count']} writes ({e.get('never_searchable', 0)} not searchable "
                  f"within {PROBE_TIMEOUT_S:g} s; {e.get('probe_requests', 0):,} probe requests)",
              f"consumer lag during the traffic, max: {results['consumer_lag_max']}; caught up "
              f"{results['consumer_lag_after']['caught_up_seconds']} s after",
              f"person page server time (5 calls in parallel): p50 {f(results['person_page']['p50_ms'])} ms, "
              f"p99 {f(results['person_page']['p99_ms'])} ms",
              f"exposure audit (every open posting's candidate list), made before the traffic: "
              f"{results.get('exposure_audit_seconds')} s"]
    cpu = results.get("cpu_during_traffic")
    if cpu:
        lines += ["", f"CPU during the traffic, % of one core ({cpu['cores']} cores; the machine was busy "
                      f"{cpu['machine_busy_percent_of_one_core']:.0f}%, load average {cpu['load_average_1m']}):"]
        shares = sorted(cpu["percent_of_one_core"].items(), key=lambda item: -item[1])
        lines += [f"  {name:<30} {share:>6.1f}" for name, share in shares]
        lines.append(f"  {'other processes on the machine':<30} {cpu['others_percent_of_one_core']:>6.1f}")
    gc_by_service = results.get("gc_during_traffic")
    if gc_by_service:
        lines += ["", "garbage collections during the traffic (every thread of the service waits for each), "
                      "by generation (2: full): how many, total ms"]
        lines += [f"  {name:<30} " + "; ".join(f"{generation}: {int(c['count']):,}, {c['total_ms']:,.1f} ms"
                                             for generation, c in by_generation.items())
                  for name, by_generation in gc_by_service.items()]
    for name, profile in (results.get("profiles") or {}).items():
        top = ", ".join(f"{function} {share:g}%" for function, share in profile["top_self"][:4])
        lines.append(f"  py-spy {name}: {top}")
    http = results["routes"].get(MATCHES, {})
    inproc = results["in_process"]
    lines += ["", "the same young people's matches:", f"{'':<30} {'p50 ms':>9} {'p99 ms':>9}",
              f"{'HTTP GET /profiles/{id}/matches':<30} {f(http.get('p50_ms')):>9} {f(http.get('p99_ms')):>9}",
              f"{'service call in-process':<30} {f(inproc['service_call']['p50_ms']):>9} "
              f"{f(inproc['service_call']['p99_ms']):>9}",
              f"{'bare index search (top 100)':<30} {f(inproc['bare_index_top100']['p50_ms']):>9} "
              f"{f(inproc['bare_index_top100']['p99_ms']):>9}"]
    crc = results.get("record_checksum")
    if crc:
        with_c = (f"the crc32c package {crc['crc32c_ms']:.3f} ms ({crc['pure_python_ms'] / crc['crc32c_ms']:,.0f}x)"
                  if crc["crc32c_ms"] else "the crc32c package is not installed")
        lines += ["", f"record batch checksum (every batch produced and fetched), {crc['events']} events, "
                      f"{crc['batch_kb']:g} KB: kafka-python's pure Python {crc['pure_python_ms']:.1f} ms, {with_c}"]
    return "\n".join(lines)


def json_figures(results: dict[str, Any]) -> dict[str, Any]:
    """The figures in the agreed shape, with everything else beside them."""
    kept = ("p50_ms", "p95_ms", "p99_ms", "errors", "count", "error_statuses", "failures")
    routes = {route: {key: r[key] for key in kept if key in r}
              for route, r in results["routes"].items()}
    return {**results, "n_opportunities": results["n_opportunities"], "routes": routes}

