"""Running the real services in a test: the FastAPI app on a real database, and its outbox relay
publishing to the real broker."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient

from services.common.db import make_engine
from services.messaging.relay import OutboxRelay
from tests.support.tokens import bearer

__all__ = ["bearer", "client_for", "running_relay"]


@contextmanager
def running_relay(
    source: str, database_url: str, bootstrap_servers: str, max_backoff_seconds: float = 1.0, **options: float
) -> Iterator[OutboxRelay]:
    """An outbox relay thread for one service database, stopped on exit; `options` go to OutboxRelay."""
    engine = make_engine(database_url)
    relay = OutboxRelay(
        source=source,
        engine=engine,
        bootstrap_servers=bootstrap_servers,
        max_backoff_seconds=max_backoff_seconds,
        **options,  # type: ignore[arg-type]
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
