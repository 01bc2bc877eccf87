"""Running the real services in a test: the FastAPI app on a real database, and its outbox relay
publishing to the real broker."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient

from services.common.auth import Role, issue_token
from services.common.db import make_engine
from services.common.settings import CommonSettings
from services.messaging.relay import OutboxRelay


def bearer(settings: CommonSettings, role: Role | str, sub: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(settings.signing_secret(), role=role, sub=sub)}"}


@contextmanager
def running_relay(source: str, database_url: str, bootstrap_servers: str) -> Iterator[OutboxRelay]:
    """An outbox relay thread for one service database, stopped on exit."""
    engine = make_engine(database_url)
    relay = OutboxRelay(
        source=source,
        engine=engine,
        bootstrap_servers=bootstrap_servers,
        max_backoff_seconds=1.0,
    )
    stop = threading.Event()
    thread = threading.Thread(target=relay.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield relay
    finally:
        stop.set()
        thread.join(timeout=20)
        engine.dispose()


@contextmanager
def client_for(app: object) -> Iterator[TestClient]:
    """A test client that runs the app's lifespan (migrations, engine, consumers)."""
    with TestClient(app) as client:  # type: ignore[arg-type]
        yield client
