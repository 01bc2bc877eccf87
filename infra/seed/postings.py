"""Planned opportunities: drafts of every type, each passing the publishing rules on the day it is published."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from infra.seed.context import SeedContext, weighted_choice
from infra.seed.datafiles import SeedDataError, keyed_by, load
from infra.seed.occupations import Occupation, skills_for
from infra.seed.places import work_postcode
from services.common.eligibility import Posting, least_legal_pay
from services.common.minimum_wage import rates_on
from services.messaging.vocabulary import OPPORTUNITY_TYPES, can_be_remote
from services.opportunities.schemas import EmployerCreate, OpportunityCreate

REAL_LIVING_WAGE = Decimal("13.45")

_OPPORTUNITIES = load("opportunities")
TYPE_MIX: dict[str, float] = keyed_by(
    OPPORTUNITY_TYPES, _OPPORTUNITIES["type_mix"], what="opportunity type", where="opportunities.toml [type_mix]"
)
APPRENTICESHIP_LEVELS: dict[int, float] = {
    int(level): spec["share"] for level, spec in _OPPORTUNITIES["apprenticeship_levels"].items()
}
APPRENTICESHIP_MONTHS: dict[int, tuple[int, int]] = {
    int(level): tuple(spec["months"]) for level, spec in _OPPORTUNITIES["apprenticeship_levels"].items()
}
# What a title or description template may name.
_PLACEHOLDERS = {"occupation": "", "occupation_lower": "", "employer": "", "level": ""}


def _checked_templates(templates: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    for kind, template in templates.items():
        for key, text in template.items():
            try:
                text.format(**_PLACEHOLDERS)
            except (KeyError, IndexError, ValueError) as error:
                raise SeedDataError(
                    f"opportunities.toml [templates.{kind}] {key}: bad placeholder {error} "
                    f"(allowed: {', '.join('{' + name + '}' for name in _PLACEHOLDERS)})"
                ) from None
    return templates


TEMPLATES = _checked_templates(
    keyed_by(
        OPPORTUNITY_TYPES, _OPPORTUNITIES["templates"], what="opportunity type", where="opportunities.toml [templates]"
    )
)


@dataclass
class PlannedOpportunity:
    data: OpportunityCreate
    created_at: dt.datetime
    published_at: dt.datetime
    id: uuid.UUID | None = None

    def open_on(self, day: dt.date, moment: dt.datetime) -> bool:
        return self.id is not None and self.published_at <= moment and day <= self.data.closing_date


def _pay(rng: random.Random, minimum: Decimal, living_wage: bool, kind: str) -> Decimal:
    """An hourly wage at or above the legal minimum, rounded up to 5p; living-wage employers pay at least the RLW."""
    premium = Decimal(str(round(rng.uniform(1.0, 1.3) if rng.random() < 0.7 else 1.0, 3)))
    wage = minimum * premium
    if living_wage and kind != "apprenticeship":
        wage = max(wage, REAL_LIVING_WAGE)
    return (wage * 20).to_integral_value(rounding=ROUND_CEILING) / 20


def plan_opportunity(
    rng: random.Random,
    employer_id: uuid.UUID,
    employer: EmployerCreate,
    kind: str,
    published_at: dt.datetime,
    occupations: dict[str, tuple[Occupation, ...]],
    closes_after: dt.date | None = None,
) -> PlannedOpportunity | None:
    """A draft that passes every publishing rule on the day it is published (and, given `closes_after`,
    still open after that day)."""
    sector = employer.sector
    occupation = rng.choice(occupations.get(sector) or occupations["engineering_manufacturing"])
    today = published_at.date()
    closing = (closes_after or today) + dt.timedelta(days=rng.randint(7, 70) if closes_after else rng.randint(14, 56))
    start = closing + dt.timedelta(days=rng.randint(7, 50))
    level: int | None = None
    min_age: int | None = 16
    max_age: int | None = None
    needs_uc = False
    remote = can_be_remote(sector, kind) and rng.random() < (0.3 if sector == "digital" else 0.1)
    months: int | None
    if kind == "apprenticeship":
        level = weighted_choice(rng, APPRENTICESHIP_LEVELS)
        hours = float(rng.choice([30, 35, 37.5, 40]))
        months = rng.randint(*APPRENTICESHIP_MONTHS[level])
        positions = rng.choice([1, 1, 1, 2, 2, 3])
    elif kind == "kickstart":
        min_age, max_age, needs_uc, hours, months = rng.choice([16, 18]), 24, True, 25.0, 6
        positions = rng.randint(1, 5)
    elif kind == "job":
        min_age = rng.choice([16, 18, 18, 18, 21])
        hours = float(rng.choice([16, 20, 24, 30, 37.5, 37.5, 40]))
        months = None if rng.random() < 0.8 else rng.choice([6, 9, 12])
        positions = rng.choice([1, 1, 2, 3])
    elif kind == "traineeship":
        level, max_age = rng.choice([None, 1, 2]), 24
        hours = float(rng.choice([16, 20, 25, 30]))
        months = rng.randint(2, 6)
        positions = rng.randint(2, 8)
    elif kind == "training":
        level = rng.choice([None, 1, 2, 3])
        hours = float(rng.choice([10, 12, 16, 20, 30]))
        months = rng.randint(1, 6)
        positions = rng.randint(5, 15)
        needs_uc = rng.random() < 0.15
    else:
        hours = float(rng.choice([15, 20, 25, 30, 35]))
        months = rng.choice([1, 1, 2])
        positions = rng.randint(1, 4)
        max_age = rng.choice([None, 24])
    template = TEMPLATES[kind]
    words = {
        "occupation": occupation.title,
        "occupation_lower": occupation.title.lower(),
        "employer": employer.name,
        "level": level,
    }
    blurb = (
        template.get("universal_credit_description", template["description"]) if needs_uc else template["description"]
    )
    if rates_on(start) is None:
        return None
    posting = Posting(start, min_age, max_age, needs_uc, 0, None, kind == "apprenticeship", months)
    least, least_later = least_legal_pay(posting, default_min_age=16)
    wage = _pay(rng, Decimal(least) / 100, employer.living_wage_employer, kind)
    later = None
    if least_later is not None and least_later > wage * 100:
        later = _pay(rng, Decimal(least_later) / 100, False, kind)
    annual = None
    if kind == "job" and rng.random() < 0.3:
        annual = (wage * Decimal(str(hours)) * 52).to_integral_value(rounding=ROUND_CEILING)
    data = OpportunityCreate(
        employer_id=employer_id,
        type=kind,  # type: ignore[arg-type]
        title=template["title"].format(**words)[:200],
        description=f"{occupation.description}\n\n{blurb.format(**words)}",
        skills=skills_for(occupation, sector, rng),
        sector=sector,
        level=level,
        postcode=employer.postcode if rng.random() < 0.8 else work_postcode(rng),
        hours_per_week=hours,
        wage_per_hour=None if annual is not None else wage,
        annual_wage=annual,
        wage_after_first_year=later,
        duration_months=months,
        positions=positions,
        start_date=start,
        closing_date=closing,
        min_age=min_age,
        max_age=max_age,
        requires_universal_credit=needs_uc,
        remote=remote,
    )
    return PlannedOpportunity(
        data=data, created_at=published_at - dt.timedelta(hours=rng.uniform(2, 72)), published_at=published_at
    )


def plan_opportunities(
    *,
    ctx: SeedContext,
    employers: list[tuple[uuid.UUID, EmployerCreate]],
    occupations: dict[str, tuple[Occupation, ...]],
    live: int,
    past: int,
    history_days: int,
) -> list[PlannedOpportunity]:
    """`live` opportunities published in the past four weeks and still open, starting with one of each type, and
    `past` ones published over the past `history_days` (open or not now), all in the planned type mix."""
    rng = ctx.rng
    kinds = list(TYPE_MIX)
    planned: list[PlannedOpportunity] = []
    for index in range(live + past):
        is_live = index < live
        kind = kinds[index] if index < len(kinds) else weighted_choice(rng, TYPE_MIX)
        published_at = ctx.now - dt.timedelta(
            days=rng.uniform(1, 28) if is_live else rng.uniform(20, history_days),
            hours=rng.uniform(0, 10),
        )
        employer_id, employer = employers[rng.randrange(len(employers))]
        closes_after = ctx.now.date() if is_live else None
        plan = plan_opportunity(rng, employer_id, employer, kind, published_at, occupations, closes_after)
        if plan is not None:
            planned.append(plan)
    return planned
