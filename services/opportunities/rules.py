"""The opportunity rules: what may be published, who may be referred, and how referrals move on."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_DOWN, Decimal

from fastapi import HTTPException, status

from services.common.eligibility import refusals
from services.common.errors import RuleViolation
from services.common.minimum_wage import minimum_hourly_wage
from services.common.postcodes import locate
from services.messaging.vocabulary import ADVISER_ONLY_REFERRAL_STATUSES, REFERRAL_TRANSITIONS
from services.opportunities.config import OpportunitiesSettings
from services.opportunities.models import Opportunity

WEEKS_PER_YEAR = 52

# Statuses that need an unfilled place.
NEEDS_A_PLACE = frozenset({"offered", "accepted"})


class RuleViolations(RuleViolation):
    """Several rules failed at once; the 422 names every field and rule."""

    def __init__(self, violations: list[RuleViolation]):
        first = violations[0]
        super().__init__(first.field, first.rule, "; ".join(v.message for v in violations))
        self.violations = violations

    def to_http(self) -> HTTPException:
        detail = [item for violation in self.violations for item in violation.to_http().detail]
        return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=detail)


def raise_all(violations: list[RuleViolation]) -> None:
    if len(violations) == 1:
        raise violations[0]
    if violations:
        raise RuleViolations(violations)


def pence(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value(rounding=ROUND_DOWN))


def hourly_pence_from_annual(annual: Decimal, hours_per_week: float) -> int:
    """An annual wage as pence per hour over hours_per_week x 52, rounded down to the penny."""
    hours = Decimal(str(hours_per_week)) * WEEKS_PER_YEAR
    return pence(annual / hours)


def money(amount_pence: int) -> str:
    return f"£{amount_pence // 100}.{amount_pence % 100:02d}"


def check_postcode(postcode: str) -> tuple[float, float]:
    """The location of a postcode's district; a postcode we cannot place is refused, not guessed."""
    location = locate(postcode)
    if location is None:
        raise RuleViolation(
            "postcode",
            "postcode_not_located",
            f"postcode district of '{postcode}' is outside the area we can place on the map",
        )
    return location.latitude, location.longitude


def check_shape(opportunity: Opportunity) -> list[RuleViolation]:
    """Rules on the fields themselves, checked whenever a draft is written."""
    problems: list[RuleViolation] = []
    if opportunity.type == "apprenticeship" and (opportunity.level is None or not 2 <= opportunity.level <= 7):
        problems.append(RuleViolation("level", "apprenticeship_level", "an apprenticeship needs a level from 2 to 7"))
    if (
        opportunity.min_age is not None
        and opportunity.max_age is not None
        and opportunity.min_age > opportunity.max_age
    ):
        problems.append(RuleViolation("max_age", "age_range", "max_age must not be below min_age"))
    return problems


def minimum_wage_pence(opportunity: Opportunity, settings: OpportunitiesSettings) -> int | None:
    """The legal minimum for the role on its start date: apprentice rate, else the youngest accepted age's band."""
    age = opportunity.min_age if opportunity.min_age is not None else settings.default_min_age
    rate = minimum_hourly_wage(on=opportunity.start_date, age=age, apprentice=opportunity.type == "apprenticeship")
    return None if rate is None else pence(rate)


def check_publishable(opportunity: Opportunity, *, today: dt.date, settings: OpportunitiesSettings) -> None:
    """Every rule a draft must pass to go live; raises one 422 naming each failed rule."""
    problems = check_shape(opportunity)
    if locate(opportunity.postcode) is None:
        problems.append(RuleViolation("postcode", "postcode_not_located", "the postcode must resolve to a location"))
    if opportunity.positions < 1:
        problems.append(RuleViolation("positions", "positions_at_least_one", "positions must be at least 1"))
    if opportunity.closing_date <= today:
        problems.append(
            RuleViolation(
                "closing_date", "closing_date_after_today", f"closing_date must be after today ({today.isoformat()})"
            )
        )
    if opportunity.closing_date >= opportunity.start_date:
        problems.append(
            RuleViolation("closing_date", "closing_date_before_start", "closing_date must be before start_date")
        )
    if opportunity.type == "kickstart":
        problems.extend(_kickstart_problems(opportunity, settings))
    problems.extend(_wage_problems(opportunity, settings))
    raise_all(problems)


def _wage_problems(opportunity: Opportunity, settings: OpportunitiesSettings) -> list[RuleViolation]:
    minimum = minimum_wage_pence(opportunity, settings)
    if minimum is None:
        return [
            RuleViolation(
                "start_date", "wage_table_period", "start_date is before the minimum wage table begins (1 April 2024)"
            )
        ]
    if opportunity.wage_pence_per_hour >= minimum:
        return []
    if opportunity.type == "apprenticeship":
        band = "the apprentice rate"
    else:
        age = opportunity.min_age if opportunity.min_age is not None else settings.default_min_age
        band = f"the minimum for age {age}, the youngest this opportunity accepts"
    return [
        RuleViolation(
            "wage_per_hour",
            "minimum_wage",
            f"{money(opportunity.wage_pence_per_hour)} an hour is below {band}: {money(minimum)} an hour "
            f"from the start date {opportunity.start_date.isoformat()}",
        )
    ]


def _kickstart_problems(opportunity: Opportunity, settings: OpportunitiesSettings) -> list[RuleViolation]:
    problems: list[RuleViolation] = []
    lowest, highest = settings.kickstart_min_age, settings.kickstart_max_age
    age_rule = f"Kick-Start placements are for ages {lowest}-{highest} only"
    if opportunity.min_age is not None and opportunity.min_age < lowest:
        problems.append(RuleViolation("min_age", "kickstart_age", age_rule))
    if opportunity.max_age is None or opportunity.max_age > highest:
        problems.append(RuleViolation("max_age", "kickstart_age", f"{age_rule}: set max_age to at most {highest}"))
    if settings.kickstart_requires_universal_credit and not opportunity.requires_universal_credit:
        problems.append(
            RuleViolation(
                "requires_universal_credit",
                "kickstart_universal_credit",
                "Kick-Start placements are for young people on Universal Credit",
            )
        )
    if opportunity.hours_per_week != settings.kickstart_hours_per_week:
        problems.append(
            RuleViolation(
                "hours_per_week",
                "kickstart_hours",
                f"Kick-Start placements are {settings.kickstart_hours_per_week:g} hours a week",
            )
        )
    if opportunity.duration_months != settings.kickstart_duration_months:
        problems.append(
            RuleViolation(
                "duration_months",
                "kickstart_duration",
                f"Kick-Start placements last {settings.kickstart_duration_months} months",
            )
        )
    return problems


def check_eligible(opportunity: Opportunity, *, date_of_birth: dt.date, on_universal_credit: bool) -> None:
    """A young person the opportunity's rules exclude cannot be referred to it."""
    found = refusals(
        date_of_birth=date_of_birth,
        on_universal_credit=on_universal_credit,
        start_date=opportunity.start_date,
        min_age=opportunity.min_age,
        max_age=opportunity.max_age,
        requires_universal_credit=opportunity.requires_universal_credit,
    )
    if found:
        raise RuleViolation("profile_id", found[0].rule, found[0].message)


def check_transition(current: str, new: str, *, by_adviser: bool) -> None:
    """Referrals move only along the pipeline; terminal statuses stay put."""
    if new not in REFERRAL_TRANSITIONS.get(current, frozenset()):
        allowed = ", ".join(sorted(REFERRAL_TRANSITIONS.get(current, frozenset()))) or "nothing (final)"
        raise RuleViolation(
            "status",
            "invalid_transition",
            f"a referral cannot go from '{current}' to '{new}'; from '{current}' it may go to {allowed}",
            status.HTTP_409_CONFLICT,
        )
    if new in ADVISER_ONLY_REFERRAL_STATUSES and not by_adviser:
        raise RuleViolation(
            "status", "adviser_only", f"only an adviser may mark a referral '{new}'", status.HTTP_403_FORBIDDEN
        )
