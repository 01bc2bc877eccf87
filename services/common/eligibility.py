"""Who an opportunity admits: the rule table, written once.

Every rule is a function of plain values that works the same on scalars and on numpy arrays, so the scalar check
(opportunities, at referral time) and the matcher's vectorised masks (thousands of rows at once) are built from
the same table and cannot drift apart. Ages are whole years on the opportunity's start date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

# An opportunity with no upper age admits anyone; its columnar form stores this instead of None.
NO_AGE_LIMIT = 200
NO_MINIMUM_AGE = 0
# Where the minimum wage's age bands begin: under 18, 18 to 20, 21 and over.
WAGE_BAND_STARTS: tuple[int, ...] = (18, 21)


def month_day(day: dt.date) -> int:
    """A date's month and day as one comparable number (1 March -> 301)."""
    return day.month * 100 + day.day


def whole_years(born_year: Any, born_month_day: Any, on_year: Any, on_month_day: Any) -> Any:
    """Whole years of age, on scalars or arrays: the year difference, less one before the birthday."""
    return on_year - born_year - (on_month_day < born_month_day)


def age_on(date_of_birth: dt.date, day: dt.date) -> int:
    """Whole years of age on a given day."""
    return int(whole_years(date_of_birth.year, month_day(date_of_birth), day.year, month_day(day)))


def wage_band(age: Any) -> Any:
    """The minimum wage's age band of an age (0: under 18, 1: 18-20, 2: 21 and over), on scalars or arrays."""
    return np.searchsorted(np.asarray(WAGE_BAND_STARTS), age, side="right")


@dataclass(frozen=True)
class Facts:
    """What the rules look at, as scalars or as equal-length arrays (one element per pair considered)."""

    age: Any
    min_age: Any
    max_age: Any
    requires_universal_credit: Any
    on_universal_credit: Any


@dataclass(frozen=True)
class Rule:
    name: str
    admits: Callable[[Facts], Any]


RULES: tuple[Rule, ...] = (
    Rule("age_at_start", lambda f: np.logical_and(f.age >= f.min_age, f.age <= f.max_age)),
    Rule(
        "universal_credit_required",
        lambda f: np.logical_or(np.logical_not(f.requires_universal_credit), f.on_universal_credit),
    ),
)


def admitted(facts: Facts) -> Any:
    """True where every rule admits the pair (a bool for scalars, a boolean array for arrays)."""
    result: Any = True
    for rule in RULES:
        result = np.logical_and(result, rule.admits(facts))
    return result


def age_limits(min_age: int | None, max_age: int | None) -> tuple[int, int]:
    """An opportunity's age range with its open ends filled in."""
    return (NO_MINIMUM_AGE if min_age is None else min_age, NO_AGE_LIMIT if max_age is None else max_age)


@dataclass(frozen=True)
class Refusal:
    rule: str
    message: str


def refusals(
    *,
    date_of_birth: dt.date,
    on_universal_credit: bool,
    start_date: dt.date,
    min_age: int | None,
    max_age: int | None,
    requires_universal_credit: bool,
) -> list[Refusal]:
    """Every rule that keeps this young person out of this opportunity, with the reason in words."""
    lowest, highest = age_limits(min_age, max_age)
    age = age_on(date_of_birth, start_date)
    facts = Facts(age, lowest, highest, requires_universal_credit, on_universal_credit)
    found: list[Refusal] = []
    for rule in RULES:
        if bool(rule.admits(facts)):
            continue
        if rule.name == "age_at_start":
            limit = f"the minimum is {min_age}" if age < lowest else f"the maximum is {max_age}"
            found.append(Refusal(rule.name, f"the young person will be {age} on the start date; {limit}"))
        else:
            found.append(Refusal(rule.name, "this opportunity is only for young people on Universal Credit"))
    return found
