"""The readiness report every service gives on /ready: its dependencies' checks and, where it consumes, its
consumer's progress."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

Check = Callable[[], str | None]
"""A dependency check: None when usable, else the reason it is not."""


class ConsumerProgress(Protocol):
    @property
    def handled(self) -> int: ...

    @property
    def dead_lettered(self) -> int: ...

    def is_assigned(self) -> bool: ...

    def lag(self) -> int | None: ...


def readiness_report(checks: Iterable[Check], consumer: ConsumerProgress | None = None) -> dict[str, Any]:
    """Problems (empty when ready) and details for /ready."""
    problems = [problem for problem in (check() for check in checks) if problem]
    if consumer is None:
        return {"problems": problems}
    if not consumer.is_assigned():
        problems.append("consumer: no partitions assigned yet")
    return {
        "problems": problems,
        "consumer_lag": consumer.lag(),
        "events_handled": consumer.handled,
        "dead_lettered": consumer.dead_lettered,
    }
