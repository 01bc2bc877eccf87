"""Who an opportunity admits: the rule table, written once (age at start, Universal Credit, and the minimum wage
for the person's age, in the first year and, for an apprenticeship, after it).

Every rule is a function of plain values that works the same on scalars and on numpy arrays, so the scalar check
(opportunities, at referral time), the publishing check (every age a posting admits, as one array) and the
matcher's vectorised masks (thousands of rows at once) are built from the same table and cannot drift apart. Ages
are whole years on the opportunity's start date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from services.common.minimum_wage import (
    APPRENTICE_COLUMN,
    APPRENTICE_RATE_UNDER,
    DEFAULT_TABLE,
    WAGE_BAND_NAMES,
    WAGE_BAND_STARTS,
    WageTable,
    age_column,
    wage_band,
)

# An opportunity with no upper age admits anyone; its columnar form stores this instead of None.
NO_AGE_LIMIT = 200
NO_MINIMUM_AGE = 0
# Above this age the minimum wage no longer changes with age: one representative age stands for all older ones.
OLDEST_WAGE_AGE = WAGE_BAND_STARTS[-1]
MONTHS_IN_FIRST_YEAR = 12
APPRENTICE_BAND = "apprentices"


def month_day(day: dt.date) -> int:
    """A date's month and day as one comparable number (1 March -> 301)."""
    return day.month * 100 + day.day


def whole_years(born_year: Any, born_month_day: Any, on_year: Any, on_month_day: Any) -> Any:
    """Whole years of age, on scalars or arrays: the year difference, less one before the birthday."""
    return on_year - born_year - (on_month_day < born_month_day)


def age_on(date_of_birth: dt.date, day: dt.date) -> int:
    """Whole years of age on a given day."""
    return int(whole_years(date_of_birth.year, month_day(date_of_birth), day.year, month_day(day)))


def second_year_start(start: dt.date) -> dt.date:
    """The day a role's second year begins: the first anniversary of its start (1 March for a 29 February)."""
    try:
        return start.replace(year=start.year + 1)
    except ValueError:
        return dt.date(start.year + 1, 3, 1)


def runs_past_first_year(duration_months: int | None) -> bool:
    """Whether a role may last beyond its first year (a role that gives no length may)."""
    return duration_months is None or duration_months > MONTHS_IN_FIRST_YEAR


@dataclass(frozen=True)
class Facts:
    """What the rules look at, as scalars or as equal-length arrays (one element per pair considered).

    Ages are at the start date; a year later everyone admitted is a year older. Wages are whole pence an hour:
    `wage` from the start, `later_wage` after the first year (the same when no rise is given). Days are ordinals."""

    age: Any
    min_age: Any
    max_age: Any
    requires_universal_credit: Any
    on_universal_credit: Any
    wage: Any
    later_wage: Any
    apprenticeship: Any
    past_first_year: Any
    start_day: Any
    second_year_day: Any
    rates: WageTable


@dataclass(frozen=True)
class Rule:
    name: str
    admits: Callable[[Facts], Any]


def start_minimum(f: Facts) -> Any:
    """The legal minimum in pence at the start date: the apprentice rate for apprentices, else the age's band."""
    return f.rates.minimum_pence(f.start_day, np.where(f.apprenticeship, APPRENTICE_COLUMN, age_column(f.age)))


def second_year_minimum(f: Facts) -> Any:
    """The legal minimum in pence when the second year starts: apprentices then 19 or over leave the apprentice
    rate for their age's band; younger ones stay on it."""
    older = f.age + 1
    column = np.where(older >= APPRENTICE_RATE_UNDER, age_column(older), APPRENTICE_COLUMN)
    return f.rates.minimum_pence(f.second_year_day, column)


def _rises_after_first_year(f: Facts) -> Any:
    return np.logical_and(f.apprenticeship, f.past_first_year)


RULES: tuple[Rule, ...] = (
    Rule("age_at_start", lambda f: np.logical_and(f.age >= f.min_age, f.age <= f.max_age)),
    Rule(
        "universal_credit_required",
        lambda f: np.logical_or(np.logical_not(f.requires_universal_credit), f.on_universal_credit),
    ),
    Rule("minimum_wage", lambda f: f.wage >= start_minimum(f)),
    Rule(
        "minimum_wage_after_first_year",
        lambda f: np.logical_or(np.logical_not(_rises_after_first_year(f)), f.later_wage >= second_year_minimum(f)),
    ),
)
WAGE_RULES = frozenset({"minimum_wage", "minimum_wage_after_first_year"})


def admitted(facts: Facts, rules: tuple[Rule, ...] = RULES) -> Any:
    """True where every rule admits the pair (a bool for scalars, a boolean array for arrays)."""
    result: Any = True
    for rule in rules:
        result = np.logical_and(result, rule.admits(facts))
    return result


def age_limits(min_age: int | None, max_age: int | None) -> tuple[int, int]:
    """An opportunity's age range with its open ends filled in."""
    return (NO_MINIMUM_AGE if min_age is None else min_age, NO_AGE_LIMIT if max_age is None else max_age)


@dataclass(frozen=True)
class Posting:
    """The opportunity's side of the rules, as plain values (wages in whole pence an hour)."""

    start_date: dt.date
    min_age: int | None
    max_age: int | None
    requires_universal_credit: bool
    wage_pence: int
    wage_after_first_year_pence: int | None
    apprenticeship: bool
    duration_months: int | None

    @property
    def later_wage_pence(self) -> int:
        """The pay after the first year: the stated rise, else the same pay."""
        return self.wage_pence if self.wage_after_first_year_pence is None else self.wage_after_first_year_pence

    def facts(self, age: Any, on_universal_credit: Any, rates: WageTable) -> Facts:
        """This posting against one age (or an array of ages) at its start date."""
        lowest, highest = age_limits(self.min_age, self.max_age)
        return Facts(
            age=age,
            min_age=lowest,
            max_age=highest,
            requires_universal_credit=self.requires_universal_credit,
            on_universal_credit=on_universal_credit,
            wage=self.wage_pence,
            later_wage=self.later_wage_pence,
            apprenticeship=self.apprenticeship,
            past_first_year=self.apprenticeship and runs_past_first_year(self.duration_months),
            start_day=self.start_date.toordinal(),
            second_year_day=second_year_start(self.start_date).toordinal(),
            rates=rates,
        )


@dataclass(frozen=True)
class Refusal:
    rule: str
    message: str


def _money(pence: Any) -> str:
    pence = int(pence)
    return f"£{pence // 100}.{pence % 100:02d}"


def refusals(
    *,
    date_of_birth: dt.date,
    on_universal_credit: bool,
    posting: Posting,
    rates: WageTable = DEFAULT_TABLE,
) -> list[Refusal]:
    """Every rule that keeps this young person out of this opportunity, with the reason in words."""
    age = age_on(date_of_birth, posting.start_date)
    facts = posting.facts(age, on_universal_credit, rates)
    found: list[Refusal] = []
    for rule in RULES:
        if bool(rule.admits(facts)):
            continue
        if rule.name == "age_at_start":
            limit = f"the minimum is {posting.min_age}" if age < facts.min_age else f"the maximum is {posting.max_age}"
            message = f"the young person will be {age} on the start date; {limit}"
        elif rule.name == "universal_credit_required":
            message = "this opportunity is only for young people on Universal Credit"
        elif rule.name == "minimum_wage":
            message = (
                f"it pays {_money(facts.wage)} an hour, below the legal minimum of {_money(start_minimum(facts))} "
                f"for someone aged {age} on the start date"
            )
        else:
            message = (
                f"it pays {_money(facts.later_wage)} an hour after its first year, below the legal minimum of "
                f"{_money(second_year_minimum(facts))} for someone aged {age + 1} then"
            )
        found.append(Refusal(rule.name, message))
    return found


@dataclass(frozen=True)
class WageShortfall:
    """A wage rule that some ages a posting admits would fail: what it pays, what they must be paid, from when,
    and the oldest age the posting could keep instead (None when even its youngest fails)."""

    rule: str
    paid_pence: int
    required_pence: int
    on: dt.date
    bands: tuple[tuple[str, int], ...]
    keep_up_to: int | None


def representative_ages(posting: Posting, default_min_age: int) -> np.ndarray:
    """Every admitted age at which the minimum wage can differ (the oldest stands for all older ones)."""
    lowest = default_min_age if posting.min_age is None else posting.min_age
    highest = NO_AGE_LIMIT if posting.max_age is None else posting.max_age
    return np.arange(lowest, max(lowest, min(highest, OLDEST_WAGE_AGE)) + 1)


def wage_shortfalls(
    posting: Posting, *, default_min_age: int, rates: WageTable = DEFAULT_TABLE
) -> list[WageShortfall]:
    """The wage rules this posting fails for some age it admits (all of them, from the youngest to the oldest)."""
    ages = representative_ages(posting, default_min_age)
    facts = posting.facts(ages, True, rates)
    wage_rules = [rule for rule in RULES if rule.name in WAGE_RULES]
    passing = np.ones(len(ages), dtype=bool)
    failing: dict[str, np.ndarray] = {}
    for rule in wage_rules:
        ok = np.broadcast_to(rule.admits(facts), ages.shape)
        passing &= ok
        if not ok.all():
            failing[rule.name] = ~ok
    if not failing:
        return []
    first_failing = int(ages[~passing][0])
    keep_up_to = first_failing - 1 if first_failing > ages[0] else None
    found = []
    for rule in wage_rules:
        if rule.name not in failing:
            continue
        later = rule.name == "minimum_wage_after_first_year"
        minimum = np.broadcast_to(second_year_minimum(facts) if later else start_minimum(facts), ages.shape)
        bad = failing[rule.name]
        bands: dict[str, int] = {}
        for age, required in zip((ages[bad] + (1 if later else 0)).tolist(), minimum[bad].tolist(), strict=True):
            if posting.apprenticeship and (not later or age < APPRENTICE_RATE_UNDER):
                name = APPRENTICE_BAND
            else:
                name = f"ages {WAGE_BAND_NAMES[int(wage_band(age))]}"
            bands[name] = max(bands.get(name, 0), int(required))
        found.append(
            WageShortfall(
                rule=rule.name,
                paid_pence=int(facts.later_wage if later else facts.wage),
                required_pence=max(bands.values()),
                on=second_year_start(posting.start_date) if later else posting.start_date,
                bands=tuple(bands.items()),
                keep_up_to=keep_up_to,
            )
        )
    return found


def pay_rise_after_first_year(posting: Posting, rates: WageTable = DEFAULT_TABLE) -> tuple[dt.date, int] | None:
    """When an apprenticeship's second year starts and the least it must pay then, if anyone it admits will be 19
    or over by that day (the oldest admitted age sets it); None when the apprentice rate covers everyone."""
    if not (posting.apprenticeship and runs_past_first_year(posting.duration_months)):
        return None
    oldest = OLDEST_WAGE_AGE if posting.max_age is None else min(posting.max_age, OLDEST_WAGE_AGE)
    if oldest + 1 < APPRENTICE_RATE_UNDER:
        return None
    facts = posting.facts(oldest, True, rates)
    return second_year_start(posting.start_date), int(second_year_minimum(facts))


def least_legal_pay(
    posting: Posting, *, default_min_age: int, rates: WageTable = DEFAULT_TABLE
) -> tuple[int, int | None]:
    """The least a posting may pay every age it admits, in pence an hour: from the start, and after the first year
    when an apprenticeship must pay more then (None when it need not)."""
    ages = representative_ages(posting, default_min_age)
    facts = posting.facts(ages, True, rates)
    start = int(np.max(np.broadcast_to(start_minimum(facts), ages.shape)))
    if not _rises_after_first_year(facts):
        return start, None
    later = int(np.max(np.broadcast_to(second_year_minimum(facts), ages.shape)))
    return start, later if later > start else None
