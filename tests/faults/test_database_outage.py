"""A service's PostgreSQL connections terminated (pg_terminate_backend) again and again while requests come in:
each request either succeeds or fails fast with 503 (under 1 s, or rarely under 2 s), the service answers again
within 5 s, and nothing is half-written (every profile has its outbox event, and every 201 was kept)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy import create_engine, func, select

from services.profiles.config import ProfilesSettings
from services.profiles.main import create_app
from services.profiles.models import OutboxRecord, Profile
from tests.support.databases import TestDatabases
from tests.support.factories import profile_payload
from tests.support.live_server import live_server
from tests.support.services import bearer

TERMINATIONS = 8


@dataclass
class Outcome:
    started: float
    seconds: float
    status: int
    profile_id: str | None


@pytest.fixture
def profiles(databases: TestDatabases, tmp_path: Path) -> Iterator[tuple[str, ProfilesSettings]]:
    if databases.backend != "postgresql":
        pytest.skip("needs PostgreSQL (pg_terminate_backend); this run uses SQLite")
    settings = ProfilesSettings(database_url=databases.new_url("profiles"), data_dir=tmp_path, environment="test",
                                kafka_bootstrap_servers="127.0.0.1:1")
    with live_server(create_app(settings)) as url:
        yield url, settings


def terminate_connections(database_url: str) -> int:
    name = database_url.rsplit("/", 1)[1]
    admin = database_url.rsplit("/", 1)[0].replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        ).fetchall()
    return len(rows)


def test_terminated_connections_give_fast_503s_then_service_again(profiles: tuple[str, ProfilesSettings]) -> None:
    url, settings = profiles
    headers = bearer(settings, "adviser", "adviser-outage")
    outcomes: list[Outcome] = []
    stop = threading.Event()
    origin = time.monotonic()

    def client_loop() -> None:
        with httpx.Client(timeout=10) as client:
            while not stop.is_set():
                started = time.monotonic()
                response = client.post(f"{url}/profiles", json=profile_payload(), headers=headers)
                body = response.json() if response.status_code == 201 else {}
                outcomes.append(Outcome(started - origin, time.monotonic() - started, response.status_code,
                                        body.get("id")))

    with ThreadPoolExecutor(4) as pool:
        loops = [pool.submit(client_loop) for _ in range(4)]
        time.sleep(1.0)
        terminated = 0
        for _ in range(TERMINATIONS):
            terminated += terminate_connections(settings.database_url or "")
            time.sleep(0.15)
        last_termination = time.monotonic() - origin
        time.sleep(3.0)
        stop.set()
        for loop in loops:
            loop.result()

    failed = [o for o in outcomes if o.status != 201]
    after = [o for o in outcomes if o.started > last_termination]
    recovered_after = min((o.started + o.seconds for o in after if o.status == 201), default=None)
    engine = create_engine(settings.database_url or "")
    with engine.connect() as connection:
        kept = set(connection.scalars(select(Profile.id)))
        outbox = connection.scalar(select(func.count()).select_from(OutboxRecord)
                                   .where(OutboxRecord.event_type == "profile.registered"))
    engine.dispose()
    slowest_failure = max((o.seconds for o in failed), default=0.0)
    print(f"\ndatabase outage: {len(outcomes)} requests, {terminated} connections terminated in {TERMINATIONS} rounds; "
          f"{len(failed)} answered {sorted({o.status for o in failed})} (slowest {slowest_failure * 1000:.0f} ms); "
          f"slowest request {max(o.seconds for o in outcomes) * 1000:.0f} ms; first success "
          f"{(recovered_after or 0) - last_termination:.2f} s after the last termination; "
          f"{len(kept)} profiles kept, {outbox} registration events")

    assert terminated > 0 and failed, "no request met a terminated connection (the check could not fail)"
    assert {o.status for o in failed} == {503}
    # Under 1 s, as a rule: one CI run on a busy machine had a single 503 at 1.002 s (every other in 0.1-0.3 s here,
    # alone or beside busy loops), so one in ten may be slower, but none waits for the 2 s connect or pool timeout.
    assert sum(o.seconds < 1.0 for o in failed) >= 0.9 * len(failed), sorted(o.seconds for o in failed)
    assert slowest_failure < 2.0, "a 503 waited for the connect or pool timeout"
    assert max(o.seconds for o in outcomes) < 5.0, "a request hung"
    assert recovered_after is not None and recovered_after - last_termination < 5.0
    assert all(o.status == 201 for o in after[-8:]), "the service did not come back"
    created = {o.profile_id for o in outcomes if o.status == 201}
    assert {str(pid) for pid in kept} >= created
    assert outbox == len(kept), "a profile without its event, or an event without its profile"
