"""Rate limits on a real service (profiles, on the real database): a flood of changes by one principal, tokens
signed with the wrong key tried from one address, and many principals writing from one address, each answered
429 with Retry-After once over the limit, with nothing written past it; the counters shared through Redis."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select

from services.common.tokens import ISSUER_KEY, Role, SigningKey, TokenIssuer
from services.profiles.config import ProfilesSettings
from services.profiles.main import create_app
from services.profiles.models import OutboxRecord
from tests.support.databases import TestDatabases
from tests.support.factories import profile_payload
from tests.support.services import client_for
from tests.support.tokens import bearer


@contextmanager
def limited_profiles(databases: TestDatabases, bootstrap_servers: str, tmp_path: Path, **limits: str
                     ) -> Iterator[tuple[TestClient, ProfilesSettings]]:
    settings = ProfilesSettings(database_url=databases.new_url("profiles"), kafka_bootstrap_servers=bootstrap_servers,
                                data_dir=tmp_path, rate_limits=True, **limits)
    with client_for(create_app(settings)) as client:
        yield client, settings


def _outbox_rows(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(OutboxRecord)) or 0)
    finally:
        engine.dispose()


def test_a_flood_of_changes_by_one_principal_stops_at_the_limit(databases: TestDatabases, bootstrap_servers: str,
                                                                  tmp_path: Path) -> None:
    # The address's own limit (50 a second by default) set apart, to see the principal's.
    with limited_profiles(databases, bootstrap_servers, tmp_path,
                          rate_limit_address_writes="1000/minute") as (client, settings):
        adviser = bearer(settings, Role.ADVISER, f"adviser-{uuid.uuid4().hex[:6]}")
        created = client.post("/profiles", json=profile_payload(), headers=adviser)
        assert created.status_code == 201, created.text
        person = created.json()["id"]
        events_before = _outbox_rows(settings.database_url)  # type: ignore[arg-type]
        answers = [client.patch(f"/profiles/{person}", json={"about": f"Edit {i}"}, headers=adviser)
                   for i in range(120)]
        accepted = [a for a in answers if a.status_code == 200]
        refused = [a for a in answers if a.status_code == 429]
        events = _outbox_rows(settings.database_url) - events_before  # type: ignore[operator]
        print(f"\n120 PATCHes by one adviser: {len(accepted)} accepted, {len(refused)} refused with 429, "
              f"{events} events written")
        assert len(accepted) + len(refused) == 120
        assert 1 <= len(accepted) <= 10  # the limit is 10 a second (and 120 a minute)
        assert events == len(accepted)
        assert all(int(a.headers["Retry-After"]) >= 1 for a in refused)
        assert "at most 10 per 1 second" in refused[0].json()["detail"]
        other = bearer(settings, Role.ADVISER, f"adviser-{uuid.uuid4().hex[:6]}")
        assert client.patch(f"/profiles/{person}", json={"about": "Another adviser"}, headers=other).status_code == 200
        assert client.get(f"/profiles/{person}", headers=adviser).status_code == 200  # reads are not limited


def test_wrong_key_tokens_are_slowed_per_address(databases: TestDatabases, bootstrap_servers: str,
                                                 tmp_path: Path) -> None:
    with limited_profiles(databases, bootstrap_servers, tmp_path,
                          rate_limit_refused_tokens="20/minute") as (client, settings):
        statuses = []
        for _attempt in range(60):
            forged = TokenIssuer(SigningKey.generate(ISSUER_KEY)).issue(role=Role.ADVISER, sub="adviser-1")
            response = client.get("/profiles", headers={"Authorization": f"Bearer {forged}"})
            statuses.append(response.status_code)
        blocked = client.get("/profiles", headers=bearer(settings, Role.ADVISER, "adviser-1"))
        print(f"\n60 wrong-key tokens from one address: {statuses.count(401)} answered 401, "
              f"{statuses.count(429)} refused with 429 (Retry-After {blocked.headers.get('Retry-After')} s)")
        assert statuses == [401] * 20 + [429] * 40
        assert blocked.status_code == 429 and 1 <= int(blocked.headers["Retry-After"]) <= 60


def test_many_principals_from_one_address_meet_the_address_limit(databases: TestDatabases, bootstrap_servers: str,
                                                                  tmp_path: Path) -> None:
    with limited_profiles(databases, bootstrap_servers, tmp_path,
                          rate_limit_address_writes="15/minute") as (client, settings):
        statuses = [client.post("/profiles", json=profile_payload(),
                                headers=bearer(settings, Role.ADVISER, f"adviser-{i}")).status_code
                    for i in range(25)]
        print(f"\n25 registrations by 25 advisers from one address: {statuses.count(201)} created, "
              f"{statuses.count(429)} refused with 429")
        assert statuses == [201] * 15 + [429] * 10


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_answers(), reason="no Redis at 127.0.0.1:6379")
def test_two_processes_share_the_counters_in_redis(databases: TestDatabases, bootstrap_servers: str,
                                                   tmp_path: Path) -> None:
    shared = {"rate_limit_storage": "redis://127.0.0.1:6379", "rate_limit_writes": "6/minute"}
    sub = f"adviser-{uuid.uuid4().hex}"  # counters in a shared Redis: a key no other run uses
    with limited_profiles(databases, bootstrap_servers, tmp_path / "a", **shared) as (first, settings), \
            limited_profiles(databases, bootstrap_servers, tmp_path / "b", **shared) as (second, _):
        adviser = bearer(settings, Role.ADVISER, sub)
        statuses = [(first if i % 2 else second).post("/profiles", json=profile_payload(), headers=adviser).status_code
                    for i in range(10)]
        print(f"\n10 registrations by one adviser through two processes sharing Redis: {statuses.count(201)} "
              f"created, {statuses.count(429)} refused")
        assert statuses == [201] * 6 + [429] * 4
