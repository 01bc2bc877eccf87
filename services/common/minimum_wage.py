"""The UK National Minimum Wage and National Living Wage: one dated table, chosen by the day work starts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from services.common.eligibility import wage_band


@dataclass(frozen=True)
class WageRates:
    """Legal minimum hourly rates in GBP from a date until the next row takes over."""

    effective_from: dt.date
    apprentice: Decimal
    under_18: Decimal
    age_18_to_20: Decimal
    age_21_and_over: Decimal

    def by_band(self) -> tuple[Decimal, Decimal, Decimal]:
        """The age rates in the order of the eligibility module's wage bands."""
        return (self.under_18, self.age_18_to_20, self.age_21_and_over)

    def for_age(self, age: int) -> Decimal:
        return self.by_band()[int(wage_band(age))]


RATES: tuple[WageRates, ...] = (
    WageRates(dt.date(2024, 4, 1), Decimal("6.40"), Decimal("6.40"), Decimal("8.60"), Decimal("11.44")),
    WageRates(dt.date(2025, 4, 1), Decimal("7.55"), Decimal("7.55"), Decimal("10.00"), Decimal("12.21")),
    WageRates(dt.date(2026, 4, 1), Decimal("8.00"), Decimal("8.00"), Decimal("10.85"), Decimal("12.71")),
)


def rates_on(day: dt.date) -> WageRates | None:
    """The table row in force on a day, or None before the table begins."""
    current = None
    for row in RATES:
        if row.effective_from <= day:
            current = row
    return current


def minimum_hourly_wage(*, on: dt.date, age: int, apprentice: bool) -> Decimal | None:
    """The legal minimum for an apprentice, or for a worker of the given age; None before the table begins."""
    rates = rates_on(on)
    if rates is None:
        return None
    return rates.apprentice if apprentice else rates.for_age(age)
