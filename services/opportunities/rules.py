"""The opportunity rules: what may be published, who may be referred, and how referrals move on."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_DOWN, Decimal

from fastapi import HTTPException, status

from services.common.eligibility import APPRENTICE_BAND, Posting, WageShortfall, refusals, wage_shortfalls
from services.common.errors import RuleViolation
from services.common.minimum_wage import DEFAULT_TABLE, WageTable
from services.common.postcodes import locate
from services.messaging.vocabulary import ADVISER_ONLY_REFERRAL_STATUSES, REFERRAL_TRANSITIONS, can_be_remote
from services.opportunities.config import OpportunitiesSettings
from services.opportunities.models import Opportunity

WEEKS_PER_YEAR = 52

# Hands-on areas of work in words, for "... can't be done from home".
SECTOR_WORK = {
    "agriculture_environment_animal_care": "Farm, garden and animal care work",
    "care_services": "Care work",
    "catering_hospitality": "Kitchen and hospitality work",
    "construction": "Building work",
    "education_childcare": "Childcare and teaching work",
    "engineering_manufacturing": "Engineering and manufacturing work",
    "hair_beauty": "Hair and beauty work",
    "health_science": "Health and science work",
    "protective_services": "Protective services work",
    "transport_logistics": "Transport and logistics work",
}

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


def day_in_words(day: dt.date) -> str:
    """5 February 2027."""
    return f"{day.day} {day:%B %Y}"


def posting_of(opportunity: Opportunity) -> Posting:
    """The opportunity's side of the eligibility rules."""
    return Posting(
        start_date=opportunity.start_date,
        min_age=opportunity.min_age,
        max_age=opportunity.max_age,
        requires_universal_credit=opportunity.requires_universal_credit,
        wage_pence=opportunity.wage_pence_per_hour,
        wage_after_first_year_pence=opportunity.wage_after_first_year_pence,
        apprenticeship=opportunity.type == "apprenticeship",
        duration_months=opportunity.duration_months,
    )


def check_postcode(postcode: str) -> tuple[float, float]:
    """The location of a postcode's district; a postcode we cannot place is refused, not guessed."""
    location = locate(postcode)
    if location is None:
        raise RuleViolation(
            "postcode",
            "postcode_not_located",
            f"We can't place the postcode {postcode} on our map. Check it, or give the workplace's postcode.",
        )
    return location.latitude, location.longitude


def check_shape(opportunity: Opportunity) -> list[RuleViolation]:
    """Rules on the fields themselves, checked whenever a draft is written."""
    problems: list[RuleViolation] = []
    if opportunity.type == "apprenticeship" and (opportunity.level is None or not 2 <= opportunity.level <= 7):
        problems.append(RuleViolation("level", "apprenticeship_level", "An apprenticeship needs a level from 2 to 7."))
    if (
        opportunity.min_age is not None
        and opportunity.max_age is not None
        and opportunity.min_age > opportunity.max_age
    ):
        problems.append(
            RuleViolation("max_age", "age_range", "The oldest age can't be below the youngest age.")
        )
    if (
        opportunity.wage_after_first_year_pence is not None
        and opportunity.wage_after_first_year_pence < opportunity.wage_pence_per_hour
    ):
        problems.append(
            RuleViolation(
                "wage_after_first_year",
                "pay_after_first_year_not_lower",
                "The pay after the first year can't be lower than the pay at the start.",
            )
        )
    return problems


def remote_problem(opportunity: Opportunity) -> RuleViolation | None:
    """A posting that says it is remote when its work can't be done from home (checked on publishing and on every
    edit of a live posting)."""
    if not opportunity.remote or can_be_remote(opportunity.sector, opportunity.type):
        return None
    return RuleViolation(
        "remote",
        "remote_not_possible",
        f"{SECTOR_WORK.get(opportunity.sector, 'This work')} can't be done from home, so it can't be "
        "remote: people work at the postcode you give.",
    )


def check_publishable(
    opportunity: Opportunity, *, today: dt.date, settings: OpportunitiesSettings, rates: WageTable = DEFAULT_TABLE
) -> None:
    """Every rule a draft must pass to go live; raises one 422 naming each failed rule."""
    problems = check_shape(opportunity)
    if locate(opportunity.postcode) is None:
        problems.append(
            RuleViolation(
                "postcode", "postcode_not_located", "We can't place this postcode on our map. Check it."
            )
        )
    if opportunity.positions < 1:
        problems.append(RuleViolation("positions", "positions_at_least_one", "There must be at least 1 place."))
    if opportunity.closing_date <= today:
        problems.append(
            RuleViolation(
                "closing_date",
                "closing_date_after_today",
                f"The closing date must be after today ({day_in_words(today)}).",
            )
        )
    if opportunity.closing_date >= opportunity.start_date:
        problems.append(
            RuleViolation(
                "closing_date",
                "closing_date_before_start",
                f"The closing date must be before the start date ({day_in_words(opportunity.start_date)}).",
            )
        )
    if (remote := remote_problem(opportunity)) is not None:
        problems.append(remote)
    if opportunity.type == "kickstart":
        problems.extend(_kickstart_problems(opportunity, settings))
    problems.extend(wage_problems(opportunity, settings=settings, rates=rates))
    raise_all(problems)


def wage_problems(
    opportunity: Opportunity, *, settings: OpportunitiesSettings, rates: WageTable
) -> list[RuleViolation]:
    """The minimum wage rules for every age the opportunity admits, each said with what to change."""
    if rates.rates_on(opportunity.start_date) is None:
        first = day_in_words(rates.rows[0].effective_from)
        return [
            RuleViolation(
                "start_date",
                "wage_table_period",
                f"The start date is before {first}, when our minimum wage table begins. Choose a later start date.",
            )
        ]
    found = wage_shortfalls(posting_of(opportunity), default_min_age=settings.default_min_age, rates=rates)
    return [_wage_violation(opportunity, shortfall, settings) for shortfall in found]


def _minimum_in_words(shortfall: WageShortfall) -> str:
    """'the apprentice rate (£8.00 an hour)', or 'the legal minimum of £10.85 an hour for ages 18 to 20 and ...'."""
    if [name for name, _ in shortfall.bands] == [APPRENTICE_BAND]:
        return f"the apprentice rate ({money(shortfall.bands[0][1])} an hour)"
    parts = [f"{money(pence)} an hour for {name}" for name, pence in shortfall.bands]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"the legal minimum of {listed}"


def _narrowing(opportunity: Opportunity, shortfall: WageShortfall, settings: OpportunitiesSettings) -> str:
    if shortfall.keep_up_to is None:
        return ""
    youngest = opportunity.min_age if opportunity.min_age is not None else settings.default_min_age
    ages = f"{youngest}" if youngest == shortfall.keep_up_to else f"{youngest} to {shortfall.keep_up_to}"
    return f", or set the oldest age to {shortfall.keep_up_to} so that only people aged {ages} can apply"


def _wage_violation(
    opportunity: Opportunity, shortfall: WageShortfall, settings: OpportunitiesSettings
) -> RuleViolation:
    required, narrowing = money(shortfall.required_pence), _narrowing(opportunity, shortfall, settings)
    if shortfall.rule == "minimum_wage":
        return RuleViolation(
            "wage_per_hour",
            "minimum_wage",
            f"{money(shortfall.paid_pence)} an hour is below {_minimum_in_words(shortfall)} on the start date, "
            f"{day_in_words(shortfall.on)}. Raise the pay to at least {required} an hour{narrowing}.",
        )
    length = (
        "gives no length, so it may run past its first year"
        if opportunity.duration_months is None
        else f"lasts {opportunity.duration_months} months"
    )
    return RuleViolation(
        "wage_after_first_year",
        "minimum_wage_after_first_year",
        f"This apprenticeship {length}. The apprentice rate covers people under 19 and those in their first "
        f"year only: from {day_in_words(shortfall.on)}, when its second year starts, {money(shortfall.paid_pence)} "
        f"an hour is below {_minimum_in_words(shortfall)}. Give a pay after the first year of at least "
        f"{required} an hour{narrowing}.",
    )


def _kickstart_problems(opportunity: Opportunity, settings: OpportunitiesSettings) -> list[RuleViolation]:
    problems: list[RuleViolation] = []
    lowest, highest = settings.kickstart_min_age, settings.kickstart_max_age
    age_rule = f"Kick-Start placements are for ages {lowest} to {highest} only"
    if opportunity.min_age is not None and opportunity.min_age < lowest:
        problems.append(
            RuleViolation("min_age", "kickstart_age", f"{age_rule}: set the youngest age to {lowest} or more.")
        )
    if opportunity.max_age is None or opportunity.max_age > highest:
        problems.append(
            RuleViolation("max_age", "kickstart_age", f"{age_rule}: set the oldest age to {highest} or less.")
        )
    if settings.kickstart_requires_universal_credit and not opportunity.requires_universal_credit:
        problems.append(
            RuleViolation(
                "requires_universal_credit",
                "kickstart_universal_credit",
                "Kick-Start placements are only for young people on Universal Credit.",
            )
        )
    if opportunity.hours_per_week != settings.kickstart_hours_per_week:
        problems.append(
            RuleViolation(
                "hours_per_week",
                "kickstart_hours",
                f"Kick-Start placements are {settings.kickstart_hours_per_week:g} hours a week.",
            )
        )
    if opportunity.duration_months != settings.kickstart_duration_months:
        problems.append(
            RuleViolation(
                "duration_months",
                "kickstart_duration",
                f"Kick-Start placements last {settings.kickstart_duration_months} months.",
            )
        )
    return problems


def check_eligible(
    opportunity: Opportunity, *, date_of_birth: dt.date, on_universal_credit: bool, rates: WageTable = DEFAULT_TABLE
) -> None:
    """A young person the opportunity's rules exclude cannot be referred to it."""
    found = refusals(
        date_of_birth=date_of_birth, on_universal_credit=on_universal_credit, posting=posting_of(opportunity),
        rates=rates,
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
