"""The whole system for the fault tests: the four real services on their own databases and ports, the outbox
relays, and a broker of the test's own that it may kill; a workload of changes made through the services' HTTP
APIs; and the reference a consumer must reach, taken from the outboxes (what one clean run would deliver)."""

from __future__ import annotations

import datetime as dt
import signal
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, select

from infra.broker import LocalBroker
from services.common.auth import Role
from services.events.config import EventsSettings
from services.events.main import create_app as create_events_app
from services.events.models import ProcessedEvent as EventsProcessed
from services.events.models import StoredEvent
from services.matching.config import MatchingSettings
from services.matching.embedder import Embedder
from services.matching.ingest import Ingestor
from services.matching.main import create_app as create_matching_app
from services.matching.runtime import MatchingRuntime, new_state
from services.matching.state import MatchingState
from services.messaging.contract import EventEnvelope, EventType, InvalidEvent, parse_event
from services.messaging.outbox import OUTBOX_TABLE
from services.opportunities.config import OpportunitiesSettings
from services.opportunities.main import create_app as create_opportunities_app
from services.opportunities.models import ProcessedEvent as OpportunitiesProcessed
from services.opportunities.models import Referral as ReferralRow
from services.profiles.config import ProfilesSettings
from services.profiles.main import create_app as create_profiles_app
from tests.matching.helpers import index_view
from tests.opportunities.harness import employer_payload, opportunity_payload
from tests.support.databases import TestDatabases
from tests.support.factories import profile_payload
from tests.support.live_server import live_server
from tests.support.services import bearer, running_relay
from tests.support.waiting import wait_for

ADVISER = "adviser-faults"


def kill(broker: LocalBroker) -> None:
    """SIGKILL the broker (it keeps topics in memory: they are gone)."""
    assert broker.process is not None
    broker.process.send_signal(signal.SIGKILL)
    broker.process.wait()
    broker.process = None


@dataclass(frozen=True)
class ExternalBroker:
    """A broker the test did not start (a Kafka container): it can be reached, not killed."""

    bootstrap_servers: str


@dataclass
class System:
    broker: LocalBroker | ExternalBroker
    urls: dict[str, str]
    db: dict[str, str]
    settings: ProfilesSettings
    matching_app: Any
    embedder: Embedder
    run: str
    services: dict[str, ExitStack] = field(default_factory=dict)
    events_starter: Callable[[], str] | None = None

    def headers(self) -> dict[str, str]:
        return bearer(self.settings, Role.ADVISER, ADVISER)

    @property
    def matcher(self) -> MatchingRuntime:
        return self.matching_app.state.runtime  # type: ignore[no-any-return]

    def stop_events(self) -> None:
        self.services.pop("events").close()

    def start_events(self) -> None:
        assert self.events_starter is not None
        self.urls["events"] = self.events_starter()

    def wait_ready(self) -> None:
        """The matcher loaded and the consumers of the events and opportunities services assigned their
        partitions. (Stopping a group consumer on Tansu before its first join completes leaves the group
        rebalancing for a long time; a service that was running has joined.)"""
        self.matcher.wait_ready(timeout=60)
        for name in ("events", "opportunities"):
            wait_for(lambda name=name: httpx.get(self.urls[name] + "/ready", timeout=5).status_code == 200,
                     what=f"{name} ready", timeout=60, ignoring=(httpx.HTTPError,))


@contextmanager
def running_system(databases: TestDatabases, broker: LocalBroker | ExternalBroker, embedder: Embedder, tmp: Path, *,
                   relays: bool = True) -> Iterator[System]:
    run = uuid.uuid4().hex[:8]
    servers = broker.bootstrap_servers
    common: dict[str, Any] = {"kafka_bootstrap_servers": servers, "environment": "test"}
    db = {name: databases.new_url(name) for name in ("profiles", "opportunities", "events")}
    profiles_settings = ProfilesSettings(database_url=db["profiles"], data_dir=tmp / "profiles", **common)
    with ExitStack() as stack:
        urls = {"profiles": stack.enter_context(live_server(create_profiles_app(profiles_settings)))}
        urls["opportunities"] = stack.enter_context(live_server(create_opportunities_app(OpportunitiesSettings(
            database_url=db["opportunities"], profiles_url=urls["profiles"], expiry_interval_seconds=3600.0,
            consumer_group=f"opportunities-{run}", **common))))
        matching_app = create_matching_app(MatchingSettings(
            profiles_url=urls["profiles"], data_dir=tmp / "matching", consumer_name=f"matching-{run}",
            save_interval_seconds=2.0, **common), embedder=embedder)
        urls["matching"] = stack.enter_context(live_server(matching_app))
        if relays:
            system_relays(stack, db, servers)
        system = System(broker=broker, urls=urls, db=db, settings=profiles_settings, matching_app=matching_app,
                        embedder=embedder, run=run)
        events_settings = EventsSettings(profiles_url=urls["profiles"], database_url=db["events"],
                                         consumer_group=f"events-{run}", **common)

        def start_events() -> str:
            service = ExitStack()
            url = service.enter_context(live_server(create_events_app(events_settings)))
            system.services["events"] = service
            return url

        system.events_starter = start_events
        system.start_events()
        try:
            yield system
        finally:
            if "events" in system.services:
                system.stop_events()


def system_relays(stack: ExitStack, db: dict[str, str], bootstrap_servers: str) -> None:
    """The outbox relays of the profiles and opportunities databases, running until the stack closes."""
    stack.enter_context(running_relay("profiles", db["profiles"], bootstrap_servers))
    stack.enter_context(running_relay("opportunities", db["opportunities"], bootstrap_servers))


@dataclass
class Workload:
    """Changes made through the services' APIs, from a few threads at once, remembering what was made."""

    system: System
    today: dt.date = field(default_factory=dt.date.today)
    people: list[str] = field(default_factory=list)
    employers: list[str] = field(default_factory=list)
    opportunities: list[str] = field(default_factory=list)
    referrals: dict[str, str] = field(default_factory=dict)  # referral id -> profile id
    erased: list[str] = field(default_factory=list)
    changes: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _call(self, client: httpx.Client, service: str, method: str, path: str, expect: int, **kwargs: Any
              ) -> Any:
        response = client.request(method, self.system.urls[service] + path, headers=self.system.headers(), **kwargs)
        assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text[:300]}"
        with self._lock:
            self.changes += 1
        return response.json() if response.content else None

    def _each(self, count: int, task: Callable[[httpx.Client, int], None]) -> None:
        with httpx.Client(timeout=30) as client, ThreadPoolExecutor(4) as pool:
            for future in [pool.submit(task, client, i) for i in range(count)]:
                future.result()

    def employers_(self, count: int) -> None:
        def one(client: httpx.Client, _i: int) -> None:
            body = self._call(client, "opportunities", "POST", "/employers", 201, json=employer_payload())
            with self._lock:
                self.employers.append(body["id"])
        self._each(count, one)

    def register(self, count: int) -> None:
        def one(client: httpx.Client, _i: int) -> None:
            body = self._call(client, "profiles", "POST", "/profiles", 201,
                              json=profile_payload(skills=["teamwork", "food hygiene"], interests=["kitchens"]))
            with self._lock:
                self.people.append(body["id"])
        self._each(count, one)

    def update(self, count: int) -> None:
        live = [p for p in self.people if p not in self.erased]
        def one(client: httpx.Client, i: int) -> None:
            self._call(client, "profiles", "PATCH", f"/profiles/{live[i % len(live)]}", 200,
                       json={"about": f"Wants kitchen work, try {uuid.uuid4().hex[:6]}."})
        self._each(count, one)

    def publish(self, count: int) -> None:
        """Each one is two changes: a draft, then publishing it."""
        def one(client: httpx.Client, i: int) -> None:
            employer = self.employers[i % len(self.employers)]
            draft = self._call(client, "opportunities", "POST", "/opportunities", 201,
                               json=opportunity_payload(employer, self.today))
            self._call(client, "opportunities", "POST", f"/opportunities/{draft['id']}/publish", 200)
            with self._lock:
                self.opportunities.append(draft["id"])
        self._each(count, one)

    def refer(self, count: int) -> None:
        def one(client: httpx.Client, i: int) -> None:
            person, job = self.people[i], self.opportunities[i % len(self.opportunities)]
            body = self._call(client, "opportunities", "POST", "/referrals", 201,
                              json={"profile_id": person, "opportunity_id": job, "note": "Keen."})
            with self._lock:
                self.referrals[body["id"]] = person
        self._each(count, one)

    def erase(self, profile_ids: list[str]) -> None:
        def one(client: httpx.Client, i: int) -> None:
            self._call(client, "profiles", "DELETE", f"/profiles/{profile_ids[i]}", 204)
        self._each(len(profile_ids), one)
        self.erased.extend(profile_ids)


def outbox_events(database_url: str) -> list[EventEnvelope | dict[str, Any]]:
    """Every event a service staged, in order: parsed, or the raw envelope where erasure redacted it."""
    engine = create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(f"SELECT envelope FROM {OUTBOX_TABLE} ORDER BY id").scalars().all()
    engine.dispose()
    events: list[EventEnvelope | dict[str, Any]] = []
    for envelope in rows:
        try:
            events.append(parse_event(envelope if isinstance(envelope, bytes) else _json(envelope)))
        except InvalidEvent:
            events.append(envelope)
    return events


def _json(value: Any) -> bytes:
    import json

    return json.dumps(value).encode()


def event_ids(events: list[EventEnvelope | dict[str, Any]]) -> set[str]:
    return {str(e.event_id) if isinstance(e, EventEnvelope) else str(e["event_id"]) for e in events}


def clean_matcher_state(system: System, events: list[EventEnvelope]) -> MatchingState:
    """What one clean, in-order run of these events gives the matcher (opened with the same key service)."""
    state = new_state(system.matcher.settings, system.embedder.dim)
    ingestor = Ingestor(state, system.embedder, system.matcher.keys)
    for start in range(0, len(events), 256):
        ingestor.apply(events[start : start + 256])
    return state


@dataclass
class Convergence:
    """Per consumer, what is missing and what is held twice, against the outboxes."""

    figures: dict[str, dict[str, int]]

    @property
    def settled(self) -> bool:
        return all(values["missing"] == 0 for values in self.figures.values())

    def line(self) -> str:
        return "; ".join(f"{name}: " + ", ".join(f"{k} {v}" for k, v in values.items())
                         for name, values in self.figures.items())


def convergence(system: System, events: list[EventEnvelope | dict[str, Any]], clean: dict[str, Any] | None
                ) -> Convergence:
    wanted = event_ids(events)
    engine = create_engine(system.db["events"])
    with engine.connect() as connection:
        stored = connection.execute(select(StoredEvent.event_id)).scalars().all()
        processed = connection.execute(select(EventsProcessed.event_id)).scalars().all()
    engine.dispose()
    figures = {"events": {"outbox": len(wanted), "missing": len(wanted - set(stored)),
                          "duplicated": len(stored) - len(set(stored)) + len(processed) - len(set(processed)),
                          "unknown": len(set(stored) - wanted)}}
    erasures = {str(e.event_id) for e in events if isinstance(e, EventEnvelope)
                and e.event_type is EventType.PROFILE_ERASED}
    engine = create_engine(system.db["opportunities"])
    with engine.connect() as connection:
        applied = connection.execute(select(OpportunitiesProcessed.event_id)).scalars().all()
        referrals = connection.execute(select(ReferralRow.id, ReferralRow.profile_id, ReferralRow.version)).all()
    engine.dispose()
    erased_referrals = [r for r in referrals if r.profile_id is None]
    figures["opportunities"] = {"erasures": len(erasures), "missing": len(erasures - set(applied)),
                                "duplicated": len(applied) - len(set(applied)),
                                "referrals unlinked": len(erased_referrals),
                                "withdrawn twice": sum(1 for r in erased_referrals if r.version > 2)}
    if clean is not None:
        held = index_view(system.matcher.state) if system.matcher.state is not None else None
        figures["matching"] = _matcher_figures(held, clean)
    return Convergence(figures)


def _matcher_figures(held: dict[str, Any] | None, clean: dict[str, Any]) -> dict[str, int]:
    if held is None:
        return {"missing": len(clean["versions"])}
    versions, want = held["versions"], clean["versions"]
    behind = sum(1 for key, version in want.items() if versions.get(key, 0) < version)
    return {
        "aggregates": len(want), "missing": behind,
        "ahead or unknown": sum(1 for key, version in versions.items() if version > want.get(key, 0)),
        "items differing": len(held["indexed_opportunities"] ^ clean["indexed_opportunities"])
        + len(held["indexed_profiles"] ^ clean["indexed_profiles"]),
        "duplicated": sum(held["index_sizes"]) - len(held["indexed_opportunities"]) - len(held["indexed_profiles"]),
    }


def all_outbox_events(system: System) -> list[EventEnvelope | dict[str, Any]]:
    return outbox_events(system.db["profiles"]) + outbox_events(system.db["opportunities"])


def settle(system: System, timeout: float) -> tuple[Convergence, dict[str, Any]]:
    """Wait until the events and opportunities services hold every event of the outboxes (whose last events,
    the referrals an erasure withdrew, come from the opportunities consumer itself), then until the matcher holds
    what one clean in-order run of the same events gives; returns the figures and that clean run's view."""
    wait_for(lambda: convergence(system, all_outbox_events(system), None), until=lambda c: c.settled,
             what="the events and opportunities services caught up", timeout=timeout, interval=0.5)
    events = all_outbox_events(system)
    intact = [event for event in events if isinstance(event, EventEnvelope)]
    clean = index_view(clean_matcher_state(system, intact))
    figures = wait_for(lambda: convergence(system, events, clean), until=lambda c: c.settled,
                       what="the matcher caught up", timeout=timeout, interval=0.5)
    return figures, clean
