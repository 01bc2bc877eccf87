"""A real service on a real port for the length of a test: uvicorn in a background thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from infra.broker import free_port
from infra.stack import KEEP_ALIVE_SECONDS
from tests.support.waiting import wait_for


@contextmanager
def live_server(app: object, *, startup_timeout: float = 60.0) -> Iterator[str]:
    """Serve an ASGI app (lifespan included) on a free local port; yields its base URL, stops it on exit."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on",  # type: ignore[arg-type]
                            timeout_keep_alive=KEEP_ALIVE_SECONDS)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"live-server-{port}", daemon=True)
    thread.start()

    def started() -> bool:
        if not server.started and not thread.is_alive():
            raise RuntimeError("the server stopped while starting (see the log above)")
        return server.started

    try:
        wait_for(started, what=f"the server on port {port} starting", timeout=startup_timeout, interval=0.05)
    except AssertionError:
        server.should_exit = True
        raise
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
