"""On PostgreSQL the relay is woken by the outbox's trigger (LISTEN/NOTIFY) instead of polling: a committed change
is published at once, an idle relay hardly queries its database (nor counts its outbox at every check of the
broker), and a lost listening connection is opened again."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url

from services.profiles.config import ProfilesSettings
from services.profiles.main import create_app
from services.profiles.models import OutboxRecord
from tests.support.factories import profile_payload
from tests.support.services import bearer, client_for, running_relay
from tests.support.waiting import wait_for

# Long enough that only a notification can explain a prompt publish.
NEVER = 60.0


@pytest.fixture
def profiles_database(databases) -> str:
    if databases.backend != "postgresql":
        pytest.skip("the relay listens for outbox rows on PostgreSQL only (SQLite is polled)")
    return databases.new_url("wakeups")


def _unsent(relay) -> int:
    with relay.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(OutboxRecord).where(OutboxRecord.sent_at.is_(None)))


def _register_and_time_publishing(client, adviser, relay) -> float:
    started = time.monotonic()
    assert client.post("/profiles", json=profile_payload(), headers=adviser).status_code == 201
    wait_for(lambda: _unsent(relay), until=lambda unsent: unsent == 0, what="the registration published",
             timeout=10, interval=0.01)
    return time.monotonic() - started


def _server(database_url: str) -> psycopg.Connection:
    """A connection to the same server (its maintenance database), for looking at and ending backends."""
    admin = make_url(database_url).set(drivername="postgresql", database="postgres")
    return psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True)


def _listening_backend(database_url: str) -> int | None:
    database = make_url(database_url).database
    with _server(database_url) as connection:
        row = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND application_name = 'relay-profiles-listen'",
            (database,),
        ).fetchone()
    return row[0] if row else None


@contextmanager
def _profiles_with_a_relay_that_never_polls(database_url: str, bootstrap_servers: str, data_dir) -> Iterator[tuple]:
    """The profiles service, an adviser's headers, and a relay whose every interval is a minute."""
    settings = ProfilesSettings(database_url=database_url, kafka_bootstrap_servers=bootstrap_servers,
                                data_dir=data_dir)
    adviser = bearer(settings, "adviser", "wakeups-test")
    with client_for(create_app(settings)) as client, running_relay(
        "profiles", database_url, bootstrap_servers,
        idle_seconds=NEVER, listening_idle_seconds=NEVER, reconcile_every_seconds=NEVER,
    ) as relay:
        yield client, adviser, relay


def test_a_committed_change_is_published_at_once_though_the_relay_would_not_poll_for_a_minute(
    profiles_database, bootstrap_servers, tmp_path
) -> None:
    with _profiles_with_a_relay_that_never_polls(profiles_database, bootstrap_servers, tmp_path) as (
        client, adviser, relay,
    ):
        wait_for(lambda: relay.wakeups.listening, what="the relay listening")
        time.sleep(0.5)  # the relay's first look is over; it now waits
        took = [_register_and_time_publishing(client, adviser, relay) for _ in range(5)]
    print(f"\nregistration to published, 5 in a row: {', '.join(f'{t * 1000:.0f} ms' for t in took)}")
    assert max(took) < 3.0


def test_an_idle_relay_does_not_query_its_outbox_every_few_milliseconds(
    profiles_database, bootstrap_servers, tmp_path
) -> None:
    settings = ProfilesSettings(database_url=profiles_database, kafka_bootstrap_servers=bootstrap_servers,
                                data_dir=tmp_path)
    statements: list[str] = []
    lock = threading.Lock()

    def count(conn, cursor, statement, *args) -> None:
        if "outbox" in statement:
            with lock:
                statements.append(statement)

    with client_for(create_app(settings)), running_relay("profiles", profiles_database, bootstrap_servers) as relay:
        wait_for(lambda: relay.wakeups.listening, what="the relay listening")
        event.listen(relay.engine, "before_cursor_execute", count)
        time.sleep(3.0)
        event.remove(relay.engine, "before_cursor_execute", count)
    print(f"\noutbox queries by an idle relay in 3 s: {len(statements)} (polling every 50 ms would make 60)")
    assert len(statements) <= 5  # one look a second
    # The broker check (every 2 s) compares with the count it made at its first round, not a new count each time.
    assert not [statement for statement in statements if "count(" in statement.lower()]


def test_a_relay_whose_listening_connection_is_cut_listens_again(
    profiles_database, bootstrap_servers, tmp_path
) -> None:
    with _profiles_with_a_relay_that_never_polls(profiles_database, bootstrap_servers, tmp_path) as (
        client, adviser, relay,
    ):
        first = wait_for(lambda: _listening_backend(profiles_database), what="the relay's listening connection")
        with _server(profiles_database) as connection:
            connection.execute("SELECT pg_terminate_backend(%s)", (first,))
        wait_for(lambda: _listening_backend(profiles_database), until=lambda pid: pid not in (None, first),
                 what="a new listening connection")
        assert _register_and_time_publishing(client, adviser, relay) < 3.0
