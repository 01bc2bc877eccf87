"""The readiness report every service gives on /ready: its database, the broker and, where it consumes, its
consumer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from services.common.db import database_is_usable
from services.events.broker import broker_is_usable
from services.events.consumer import ConsumerRunner


def readiness_report(engine: Engine, bootstrap_servers: str, consumer: ConsumerRunner | None = None) -> dict[str, Any]:
    """Problems (empty when ready) and details for /ready."""
    problems = [problem for problem in (database_is_usable(engine), broker_is_usable(bootstrap_servers)) if problem]
    if consumer is None:
        return {"problems": problems}
    if not consumer.assigned.is_set():
        problems.append("consumer: no partitions assigned yet")
    return {
        "problems": problems,
        "consumer_lag": consumer.lag(),
        "events_handled": consumer.handled,
        "dead_lettered": consumer.dead_lettered,
    }
