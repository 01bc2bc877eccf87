"""The UK National Minimum Wage and National Living Wage: one dated table, chosen by the day work starts.

`WageTable` is the table in the form the eligibility rules use: whole pence in a matrix indexed by period (0 before
the table begins, then one per row) and column (the apprentice rate, then the age bands), looked up the same way for
one value or for arrays of thousands."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

import numpy as np

# Where the minimum wage's age bands begin: under 18, 18 to 20, 21 and over.
WAGE_BAND_STARTS: tuple[int, ...] = (18, 21)
WAGE_BAND_NAMES: tuple[str, ...] = ("under 18", "18 to 20", "21 and over")
# The apprentice rate covers apprentices under this age, and older ones in their first year only.
APPRENTICE_RATE_UNDER = 19
APPRENTICE_COLUMN = 0


def wage_band(age: Any) -> Any:
    """The minimum wage's age band of an age (0: under 18, 1: 18-20, 2: 21 and over), on scalars or arrays."""
    return np.searchsorted(np.asarray(WAGE_BAND_STARTS), age, side="right")


def age_column(age: Any) -> Any:
    """The table column of an age's band (the apprentice rate is column 0)."""
    return wage_band(age) + 1


def to_pence(amount: Decimal) -> int:
    """Pounds as whole pence, rounded down."""
    return int((amount * 100).to_integral_value(rounding=ROUND_DOWN))


@dataclass(frozen=True)
class WageRates:
    """Legal minimum hourly rates in GBP from a date until the next row takes over."""

    effective_from: dt.date
    apprentice: Decimal
    under_18: Decimal
    age_18_to_20: Decimal
    age_21_and_over: Decimal

    def by_band(self) -> tuple[Decimal, Decimal, Decimal]:
        """The age rates in the order of the wage bands."""
        return (self.under_18, self.age_18_to_20, self.age_21_and_over)

    def for_age(self, age: int) -> Decimal:
        return self.by_band()[int(wage_band(age))]

    def columns(self) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        """The rates in table-column order: apprentice, then the age bands."""
        return (self.apprentice, *self.by_band())


RATES: tuple[WageRates, ...] = (
    WageRates(dt.date(2024, 4, 1), Decimal("6.40"), Decimal("6.40"), Decimal("8.60"), Decimal("11.44")),
    WageRates(dt.date(2025, 4, 1), Decimal("7.55"), Decimal("7.55"), Decimal("10.00"), Decimal("12.21")),
    WageRates(dt.date(2026, 4, 1), Decimal("8.00"), Decimal("8.00"), Decimal("10.85"), Decimal("12.71")),
)


class WageTable:
    """The dated table as whole pence, for the eligibility rules (scalars or numpy arrays alike)."""

    def __init__(self, rows: tuple[WageRates, ...] = RATES) -> None:
        self.rows = tuple(sorted(rows, key=lambda row: row.effective_from))
        self._starts = np.array([row.effective_from.toordinal() for row in self.rows], dtype=np.int64)
        pence = [[0, 0, 0, 0]] + [[to_pence(rate) for rate in row.columns()] for row in self.rows]
        self._pence = np.array(pence, dtype=np.int64)

    def period(self, day_ordinal: Any) -> Any:
        """The table period a day falls in (0 before the table begins, i for the i-th row), on scalars or arrays."""
        return np.searchsorted(self._starts, day_ordinal, side="right")

    def minimum_pence(self, day_ordinal: Any, column: Any) -> Any:
        """The legal minimum in pence on a day for a table column; 0 before the table begins."""
        return self._pence[self.period(day_ordinal), column]

    def rates_on(self, day: dt.date) -> WageRates | None:
        """The table row in force on a day, or None before the table begins."""
        period = int(self.period(day.toordinal()))
        return self.rows[period - 1] if period else None

    def with_row(self, row: WageRates) -> WageTable:
        """This table with one more dated row (a newly announced rate)."""
        return WageTable((*[r for r in self.rows if r.effective_from != row.effective_from], row))


DEFAULT_TABLE = WageTable()


def rates_on(day: dt.date) -> WageRates | None:
    """The table row in force on a day, or None before the table begins."""
    return DEFAULT_TABLE.rates_on(day)


def minimum_hourly_wage(*, on: dt.date, age: int, apprentice: bool) -> Decimal | None:
    """The legal minimum for an apprentice, or for a worker of the given age; None before the table begins."""
    rates = rates_on(on)
    if rates is None:
        return None
    return rates.apprentice if apprentice else rates.for_age(age)
