"""Unit tests of the rules without a database: the dated wage table, wage arithmetic, referral transitions,
eligibility on the start date and configurable Kick-Start scheme rules."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from decimal import Decimal
from typing import Any, get_args

import pytest

from services.common.errors import RuleViolation
from services.common.minimum_wage import minimum_hourly_wage, rates_on
from services.messaging.vocabulary import TERMINAL_REFERRAL_STATUSES, ReferralStatus
from services.opportunities.config import OpportunitiesSettings
from services.opportunities.models import Opportunity
from services.opportunities.rules import (
    RuleViolations,
    check_eligible,
    check_publishable,
    check_transition,
    hourly_pence_from_annual,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("day", "apprentice", "under_18", "age_18_to_20", "age_21_and_over"),
    [
        ("2024-04-01", "6.40", "6.40", "8.60", "11.44"),
        ("2025-03-31", "6.40", "6.40", "8.60", "11.44"),
        ("2025-04-01", "7.55", "7.55", "10.00", "12.21"),
        ("2026-03-31", "7.55", "7.55", "10.00", "12.21"),
        ("2026-04-01", "8.00", "8.00", "10.85", "12.71"),
        ("2030-01-01", "8.00", "8.00", "10.85", "12.71"),
    ],
)
def test_the_table_row_is_chosen_by_date(
    day: str, apprentice: str, under_18: str, age_18_to_20: str, age_21_and_over: str
) -> None:
    on = dt.date.fromisoformat(day)
    assert minimum_hourly_wage(on=on, age=30, apprentice=True) == Decimal(apprentice)
    assert minimum_hourly_wage(on=on, age=17, apprentice=False) == Decimal(under_18)
    assert minimum_hourly_wage(on=on, age=18, apprentice=False) == Decimal(age_18_to_20)
    assert minimum_hourly_wage(on=on, age=20, apprentice=False) == Decimal(age_18_to_20)
    assert minimum_hourly_wage(on=on, age=21, apprentice=False) == Decimal(age_21_and_over)


def test_before_the_table_there_is_no_rate() -> None:
    assert rates_on(dt.date(2024, 3, 31)) is None
    assert minimum_hourly_wage(on=dt.date(2024, 3, 31), age=21, apprentice=False) is None


@pytest.mark.parametrize(
    ("annual", "hours", "pence"),
    [("24784.50", 37.5, 1271), ("24784.49", 37.5, 1270), ("15000", 37.5, 769), ("16640", 40, 800), ("1", 1, 1)],
)
def test_an_annual_wage_becomes_pence_per_hour_rounded_down(annual: str, hours: float, pence: int) -> None:
    assert hourly_pence_from_annual(Decimal(annual), hours) == pence


STATUSES: tuple[str, ...] = get_args(ReferralStatus)
ALLOWED = {
    ("referred", "applied"),
    ("referred", "unsuccessful"),
    ("referred", "withdrawn"),
    ("applied", "interviewing"),
    ("applied", "offered"),
    ("applied", "unsuccessful"),
    ("applied", "withdrawn"),
    ("interviewing", "offered"),
    ("interviewing", "unsuccessful"),
    ("interviewing", "withdrawn"),
    ("offered", "accepted"),
    ("offered", "declined"),
    ("offered", "withdrawn"),
}


@pytest.mark.parametrize(("current", "new"), list(itertools.product(STATUSES, STATUSES)))
def test_referral_transitions(current: str, new: str) -> None:
    if (current, new) in ALLOWED:
        check_transition(current, new, by_adviser=True)
        return
    with pytest.raises(RuleViolation) as refused:
        check_transition(current, new, by_adviser=True)
    assert refused.value.rule == "invalid_transition" and refused.value.status_code == 409
    assert current not in TERMINAL_REFERRAL_STATUSES or "final" in refused.value.message


def test_only_an_adviser_records_a_withdrawal() -> None:
    with pytest.raises(RuleViolation) as refused:
        check_transition("applied", "withdrawn", by_adviser=False)
    assert refused.value.status_code == 403
    check_transition("applied", "unsuccessful", by_adviser=False)


def _opportunity(**fields: Any) -> Opportunity:
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "type": "job",
        "postcode": "SK1 3XE",
        "hours_per_week": 37.5,
        "wage_pence_per_hour": 1300,
        "duration_months": None,
        "positions": 1,
        "start_date": dt.date(2026, 9, 1),
        "closing_date": dt.date(2026, 8, 1),
        "min_age": None,
        "max_age": None,
        "requires_universal_credit": False,
        "level": None,
    }
    values.update(fields)
    return Opportunity(**values)


def test_eligibility_is_judged_on_the_start_date() -> None:
    opportunity = _opportunity(min_age=18, max_age=24)
    check_eligible(opportunity, date_of_birth=dt.date(2008, 9, 1), on_universal_credit=False)  # 18 that day
    check_eligible(opportunity, date_of_birth=dt.date(2001, 9, 2), on_universal_credit=False)  # 24 still
    for born in (dt.date(2008, 9, 2), dt.date(2001, 9, 1)):
        with pytest.raises(RuleViolation) as refused:
            check_eligible(opportunity, date_of_birth=born, on_universal_credit=False)
        assert refused.value.rule == "age_at_start"
    with pytest.raises(RuleViolation) as no_uc:
        check_eligible(
            _opportunity(requires_universal_credit=True), date_of_birth=dt.date(2005, 1, 1), on_universal_credit=False
        )
    assert no_uc.value.rule == "universal_credit_required"


def test_kickstart_scheme_rules_come_from_settings() -> None:
    placement = _opportunity(
        type="kickstart", min_age=18, max_age=29, requires_universal_credit=False, hours_per_week=30, duration_months=9
    )
    today = dt.date(2026, 6, 1)
    with pytest.raises(RuleViolations) as refused:
        check_publishable(placement, today=today, settings=OpportunitiesSettings())
    assert {v.rule for v in refused.value.violations} == {
        "kickstart_age",
        "kickstart_universal_credit",
        "kickstart_hours",
        "kickstart_duration",
    }
    relaxed = OpportunitiesSettings(
        kickstart_max_age=29,
        kickstart_hours_per_week=30,
        kickstart_duration_months=9,
        kickstart_requires_universal_credit=False,
    )
    check_publishable(placement, today=today, settings=relaxed)
    stricter = OpportunitiesSettings(
        kickstart_min_age=19,
        kickstart_max_age=29,
        kickstart_hours_per_week=30,
        kickstart_duration_months=9,
        kickstart_requires_universal_credit=False,
    )
    with pytest.raises(RuleViolation) as too_young:
        check_publishable(placement, today=today, settings=stricter)
    assert too_young.value.field == "min_age" and too_young.value.rule == "kickstart_age"


def test_with_no_upper_age_the_oldest_band_sets_the_wage_and_the_default_minimum_age_the_advice() -> None:
    today = dt.date(2026, 6, 1)
    with pytest.raises(RuleViolation) as open_to_all:
        check_publishable(_opportunity(wage_pence_per_hour=800), today=today, settings=OpportunitiesSettings())
    assert open_to_all.value.rule == "minimum_wage"
    assert "Raise the pay to at least £12.71 an hour" in open_to_all.value.message
    assert "set the oldest age to 17 so that only people aged 16 to 17 can apply" in open_to_all.value.message
    check_publishable(_opportunity(wage_pence_per_hour=800, max_age=17), today=today, settings=OpportunitiesSettings())
    with pytest.raises(RuleViolation) as from_18:
        check_publishable(
            _opportunity(wage_pence_per_hour=800), today=today, settings=OpportunitiesSettings(default_min_age=18)
        )
    assert "oldest age" not in from_18.value.message  # nobody it admits is paid enough: only the pay can change
