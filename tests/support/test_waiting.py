"""The one wait of the test suite: what it returns, when it gives up and what it says then."""

from __future__ import annotations

import itertools

import pytest

from tests.support.waiting import wait_for

pytestmark = pytest.mark.unit


def test_returns_the_first_value_that_holds() -> None:
    values = iter([None, 0, "", "ready", "later"])
    assert wait_for(lambda: next(values), interval=0) == "ready"
    counts = itertools.count(3, -1)
    assert wait_for(lambda: next(counts), until=lambda n: n == 0, interval=0) == 0


def test_gives_up_naming_what_it_waited_for_and_the_last_value() -> None:
    with pytest.raises(AssertionError, match=r"the queue empty: not within 0.05s; last: \[1, 2\]"):
        wait_for(lambda: [1, 2], until=lambda items: not items, what="the queue empty", timeout=0.05, interval=0.01)


def test_ignored_errors_count_as_not_yet_and_the_last_one_is_kept() -> None:
    attempts = iter([ConnectionError("refused"), ConnectionError("refused again"), "up"])

    def probe() -> str:
        attempt = next(attempts)
        if isinstance(attempt, Exception):
            raise attempt
        return attempt

    assert wait_for(probe, ignoring=(ConnectionError,), interval=0) == "up"

    def refused() -> None:
        raise ConnectionError("refused")

    with pytest.raises(AssertionError, match="ConnectionError: refused") as failure:
        wait_for(refused, what="the server", timeout=0.05, interval=0.01, ignoring=(ConnectionError,))
    assert isinstance(failure.value.__cause__, ConnectionError)


def test_other_errors_stop_the_wait_at_once() -> None:
    def broken() -> None:
        raise RuntimeError("the process exited")

    with pytest.raises(RuntimeError, match="the process exited"):
        wait_for(broken, timeout=30, ignoring=(ConnectionError,))
