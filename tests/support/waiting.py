"""Waiting in tests for something that happens elsewhere (a consumer, a relay, a server starting)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def wait_for(
    probe: Callable[[], T],
    *,
    until: Callable[[T], Any] = bool,
    what: str = "the condition",
    timeout: float = 30.0,
    interval: float = 0.1,
    ignoring: tuple[type[BaseException], ...] = (),
) -> T:
    """Call `probe` until `until(value)` holds (by default: the value is truthy) and return that value.

    Exceptions of the `ignoring` types count as "not yet"; after `timeout` seconds an AssertionError names
    `what` and the last value, chained to the last ignored exception."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        try:
            value = probe()
            if until(value):
                return value
            last_error, last = None, repr(value)
        except ignoring as exc:
            last_error, last = exc, f"{type(exc).__name__}: {exc}"
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout}s; last: {last[:2000]}") from last_error
        time.sleep(interval)
