"""The seeded history as the guarantee dashboard sees it: the three seed steps into a fresh SQLite data folder,
the relay publishing both outboxes to a broker of this test's own, and the real events service consuming them.
Every clock status must be there overall (met_late and second clocks included), none hidden by suppression."""

from __future__ import annotations

import datetime as dt
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from infra.broker import LocalBroker, free_port
from infra.seed import opportunities as opportunities_seed
from infra.seed import outcomes as outcomes_seed
from infra.seed import profiles as profiles_seed
from infra.seed.context import SeedContext
from services.common.auth import Role
from services.common.clock import FixedClock
from services.common.db import make_engine
from services.events.config import EventsSettings
from services.events.main import create_app as create_events_app
from services.events.models import StoredEvent
from services.messaging.outbox import OutboxMixin
from services.opportunities.config import OpportunitiesSettings
from services.opportunities.models import OutboxRecord as OpportunitiesOutbox
from services.profiles.config import ProfilesSettings
from services.profiles.main import create_app as create_profiles_app
from services.profiles.models import OutboxRecord as ProfilesOutbox
from tests.support.live_server import live_server
from tests.support.services import bearer, client_for, running_relay
from tests.support.waiting import wait_for

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
STATUSES = ("on_track", "at_risk", "overdue", "met", "met_late")


@dataclass
class Seeded:
    ctx: SeedContext
    events: TestClient
    settings: EventsSettings
    seconds: dict[str, float]
    outcomes: outcomes_seed.OutcomesSummary

    def get(self, path: str, **params: Any) -> Any:
        response = self.events.get(path, params=params, headers=bearer(self.settings, Role.ADVISER, "adviser-1"))
        assert response.status_code == 200, response.text
        return response.json()


def _rows(url: str, model: type[OutboxMixin]) -> int:
    engine = make_engine(url)
    with engine.connect() as connection:
        count = connection.scalar(select(func.count()).select_from(model)) or 0  # type: ignore[arg-type]
    engine.dispose()
    return count


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    data_dir: Path = tmp_path_factory.mktemp("seed_history")
    monkeypatch = pytest.MonkeyPatch()
    for name in ("PROFILES_DATABASE_URL", "OPPORTUNITIES_DATABASE_URL", "EVENTS_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("YG_DATA_DIR", str(data_dir))
    broker = LocalBroker(port=free_port(), log_path=data_dir / "tansu.log")
    seconds: dict[str, float] = {}
    try:
        ctx = SeedContext(now=NOW, rng=random.Random(2026), show_progress=False)
        started = time.perf_counter()
        profiles_seed.seed(ctx)
        opportunities_seed.seed(ctx)
        outcomes = outcomes_seed.seed(ctx)
        seconds["seeding"] = time.perf_counter() - started
        profiles_url = ProfilesSettings().resolved_database_url()
        opportunities_url = OpportunitiesSettings().resolved_database_url()
        total = _rows(profiles_url, ProfilesOutbox) + _rows(opportunities_url, OpportunitiesOutbox)
        broker.start()
        settings = EventsSettings(
            environment="test",
            kafka_bootstrap_servers=broker.bootstrap_servers,
            consumer_group=f"events-seed-history-{uuid.uuid4().hex[:8]}",
        )
        engine = make_engine(settings.resolved_database_url())
        started = time.perf_counter()
        with (
            # The seed's history as at NOW: no daily lapse run on the real day in between.
            live_server(create_profiles_app(ProfilesSettings(environment="test", lapse_job=False))) as profiles,
            running_relay("profiles", profiles_url, broker.bootstrap_servers),
            running_relay("opportunities", opportunities_url, broker.bootstrap_servers),
            client_for(create_events_app(settings.model_copy(update={"profiles_url": profiles}),
                                         clock=FixedClock(NOW))) as events,
        ):
            def stored() -> int:
                with engine.connect() as connection:
                    return connection.scalar(select(func.count()).select_from(StoredEvent)) or 0

            wait_for(stored, until=lambda count: count >= total, what=f"the events service storing {total} events",
                     timeout=120, interval=0.5)
            seconds["publishing and consuming"] = time.perf_counter() - started
            yield Seeded(ctx, events, settings, seconds, outcomes)
        engine.dispose()
    finally:
        broker.stop()
        monkeypatch.undo()


def test_seeding_all_three_steps_is_quick(seeded: Seeded) -> None:
    print(f"\n{seeded.seconds}, outcomes: {seeded.outcomes}")
    assert seeded.seconds["seeding"] < 30


def test_the_summary_shows_every_clock_status(seeded: Seeded) -> None:
    summary = seeded.get("/guarantee/summary")
    counts = {status: figure["value"] for status, figure in summary["overall"]["counts"].items()}
    print(f"\noverall: {counts}")
    for status in STATUSES:
        assert counts[status] is not None and counts[status] >= summary["suppression_threshold"], (status, counts)


def test_people_who_accepted_left_neet_and_some_came_back_with_a_second_clock(seeded: Seeded) -> None:
    first_accepted = outcomes_seed.first_acceptances(seeded.ctx.offers)
    moved = sum(seeded.outcomes.started.values())
    assert moved + seeded.outcomes.already_there == len(first_accepted) and moved >= 20
    assert seeded.outcomes.started["training"] > 0 and seeded.outcomes.started["employment"] > 0
    assert seeded.outcomes.back_to_neet >= 5
    came_back, stopped = 0, 0
    for offer in first_accepted:
        assert offer.accepted_at is not None
        clock = seeded.get(f"/guarantee/{offer.profile_id}")
        started = [dt.datetime.fromisoformat(e["started_at"]) for e in clock["episodes"]]
        before = [e for e, at in zip(clock["episodes"], started, strict=True) if at < offer.accepted_at]
        after = [e for e, at in zip(clock["episodes"], started, strict=True) if at >= offer.accepted_at]
        for episode in before:  # registered NEET: the clock stopped, with an offer, when they started
            assert episode["ended_at"] is not None and episode["offer_at"] is not None, clock
            assert episode["status"] in ("met", "met_late")
        stopped += len(before)
        if after:  # back to NEET: a new clock runs
            assert len(after) == 1 and clock["current"]["episode"] == after[0]["number"], clock
            assert clock["current"]["status"] in ("on_track", "at_risk", "overdue") and after[0]["offer_at"] is None
            came_back += 1
    assert stopped >= len(first_accepted) / 2
    assert came_back == seeded.outcomes.back_to_neet
