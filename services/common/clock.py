"""An injectable clock, so tests can move time."""

from __future__ import annotations

import datetime as dt
from typing import Protocol


def utcnow() -> dt.datetime:
    """Now, as an aware UTC timestamp."""
    return dt.datetime.now(dt.UTC)


class Clock(Protocol):
    def now(self) -> dt.datetime: ...

    def today(self) -> dt.date: ...


class SystemClock:
    def now(self) -> dt.datetime:
        return utcnow()

    def today(self) -> dt.date:
        return self.now().date()


class FixedClock:
    """A clock that stands still until moved."""

    def __init__(self, at: dt.datetime):
        self.at = at

    def now(self) -> dt.datetime:
        return self.at

    def today(self) -> dt.date:
        return self.at.date()

    def advance(self, **delta: float) -> None:
        self.at = self.at + dt.timedelta(**delta)
