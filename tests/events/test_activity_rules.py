"""What a person was doing on a day, by their activity record, as pure functions: the covering spell, currency lapses
on their day, and the calendar arithmetic of the returns (worked out by hand)."""

from __future__ import annotations

import datetime as dt

import pytest

from services.events.activity import Spell, activity_on
from services.events.returns import add_months, latest_winter, winter_month_ends
from services.messaging.vocabulary import ACTIVITY_CURRENCY_DAYS

pytestmark = pytest.mark.unit

D = dt.date
T = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def spell(code: int, start: dt.date, *confirmed: dt.date, end: dt.date | None = None) -> Spell:
    return Spell(code, start, end, "adviser", tuple(confirmed), T)


def test_an_activity_lapses_on_the_day_its_currency_period_has_passed() -> None:
    neet = [spell(610, D(2025, 1, 1), D(2025, 1, 1), D(2025, 2, 10))]
    # confirmed 2025-02-10: 31 days for NEET available, so current on 2025-03-12 and not known from 2025-03-13
    assert activity_on(neet, D(2025, 3, 12), ACTIVITY_CURRENCY_DAYS).code == 610
    lapsed = activity_on(neet, D(2025, 3, 13), ACTIVITY_CURRENCY_DAYS)
    assert (lapsed.code, lapsed.lapsed, lapsed.spell and lapsed.spell.code, lapsed.group) == (810, True, 610,
                                                                                            "not_known")
    # as at a past date only the confirmations by then count: on 2025-02-05 the last was 2025-01-01 (lapsed 02-01)
    assert activity_on(neet, D(2025, 2, 5), ACTIVITY_CURRENCY_DAYS).lapsed
    # the town's own periods
    assert activity_on(neet, D(2025, 3, 13), {**ACTIVITY_CURRENCY_DAYS, "neet_available": 60}).code == 610


def test_a_spell_never_confirmed_by_the_day_counts_from_its_start_and_the_later_of_two_wins() -> None:
    record = [spell(330, D(2024, 6, 1), D(2024, 12, 1), end=D(2025, 1, 31)), spell(230, D(2025, 1, 31))]
    # 31 Jan: both cover it; the later started (education) wins, counted from its start (365 days)
    assert activity_on(record, D(2025, 1, 31), ACTIVITY_CURRENCY_DAYS).code == 230
    # 1 Oct 2024: employment started 2024-06-01, first confirmed 2024-12-01: from its start, 183 days = 2024-12-01
    assert activity_on(record, D(2024, 10, 1), ACTIVITY_CURRENCY_DAYS).code == 330
    assert activity_on(record, D(2024, 5, 31), ACTIVITY_CURRENCY_DAYS).spell is None  # before any spell: 810
    assert activity_on(record, D(2024, 5, 31), ACTIVITY_CURRENCY_DAYS).code == 810


def test_not_known_codes_do_not_lapse() -> None:
    assert activity_on([spell(820, D(2024, 1, 1), D(2024, 1, 1))], D(2025, 6, 1), ACTIVITY_CURRENCY_DAYS).code == 820


def test_the_calendar_of_the_returns() -> None:
    assert winter_month_ends(2027) == [D(2027, 12, 31), D(2028, 1, 31), D(2028, 2, 29)]  # 2028 is a leap year
    assert (latest_winter(D(2026, 12, 30)), latest_winter(D(2026, 12, 31))) == (2025, 2026)
    assert add_months(D(2025, 8, 31), 6) == D(2026, 2, 28) and add_months(D(2025, 3, 1), -12) == D(2024, 3, 1)
