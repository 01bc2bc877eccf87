"""The town's outcome figures from the projections: flows by calendar month or all time, states as at now."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, distinct, func, select
from sqlalchemy.orm import Session

from services.events.disclosure import Table, protect
from services.events.models import (
    Employer,
    ErasedRegistration,
    Opportunity,
    Person,
    Referral,
    ReferralMilestone,
    StoredEvent,
)
from services.events.schemas import EmployerFigures, StatsRead
from services.messaging.contract import EventType
from services.messaging.vocabulary import OPPORTUNITY_TYPES

Month = str  # "YYYY-MM"
ALL_TIME = "all"


def month_of(moment: dt.date) -> Month:
    return f"{moment.year:04d}-{moment.month:02d}"


def _month_bounds(month: Month) -> tuple[dt.datetime, dt.datetime]:
    year, number = (int(part) for part in month.split("-"))
    start = dt.datetime(year, number, 1, tzinfo=dt.UTC)
    end = dt.datetime(year + number // 12, number % 12 + 1, 1, tzinfo=dt.UTC)
    return start, end


def _count(session: Session, query: Any) -> int:
    return int(session.scalar(query) or 0)


# The flows that count people (or what happened to them), by calendar month; the opportunity and employer figures
# count neither.
ADDITIVE_FLOWS = ("registered_young_people", "referrals", "interviews", "offers", "starts")
INTERESTS = "interests_expressed"  # distinct people, so a period's count is at most the sum of its months'
PEOPLE_FIGURES = (*ADDITIVE_FLOWS, INTERESTS, "neet_now")


def people_flows(session: Session, period_of: Callable[[dt.date], str] = month_of) -> dict[str, dict[str, int]]:
    """Each period's people flows (the periods with any; calendar months unless `period_of` says otherwise), starts
    by type as 'starts_by_type.<type>'. A datetime is a date here."""
    periods: dict[str, dict[str, int]] = {}

    def tally(moments: Iterable[dt.date], figure: str) -> None:
        for moment in moments:
            counts = periods.setdefault(period_of(moment), {})
            counts[figure] = counts.get(figure, 0) + 1

    tally(session.scalars(select(Person.registered_at).where(Person.registered_at.is_not(None))),
          "registered_young_people")
    tally(session.scalars(select(ErasedRegistration.registered_on)), "registered_young_people")
    tally(session.scalars(select(Referral.created_at)), "referrals")
    for status, figure in (("interviewing", "interviews"), ("offered", "offers"), ("accepted", "starts")):
        tally(session.scalars(select(ReferralMilestone.at).where(ReferralMilestone.status == status)), figure)
    for opportunity_type, at in session.execute(
        select(Referral.opportunity_type, ReferralMilestone.at)
        .join(ReferralMilestone, ReferralMilestone.referral_id == Referral.referral_id)
        .where(ReferralMilestone.status == "accepted")
    ).tuples():
        tally([at], f"starts_by_type.{opportunity_type}")
    interested: dict[str, set[str]] = {}
    for aggregate_id, at in session.execute(
        select(StoredEvent.aggregate_id, StoredEvent.occurred_at)
        .where(StoredEvent.event_type == str(EventType.INTEREST_EXPRESSED))
    ).tuples():
        interested.setdefault(period_of(at), set()).add(aggregate_id)
    for period, people in interested.items():
        periods.setdefault(period, {})[INTERESTS] = len(people)
    return periods


@dataclass(frozen=True)
class PublishedFlows:
    """The people figures as published: every month's and all time's, None where hidden."""

    periods: dict[Month, dict[str, int | None]]
    neet_now: int | None


def _figures(flows: dict[str, int]) -> dict[str, int]:
    return {**{name: flows.get(name, 0) for name in (*ADDITIVE_FLOWS, INTERESTS)},
            **{f"starts_by_type.{kind}": flows.get(f"starts_by_type.{kind}", 0) for kind in OPPORTUNITY_TYPES}}


def protect_flows(
    months: dict[Month, dict[str, int]], all_interested: int, neet_now: int, threshold: int
) -> PublishedFlows:
    """Every month and all time as one table, so no month's hidden count follows from all time less the other
    months, and starts follow from starts by type in none of them."""
    periods = {month: _figures(flows) for month, flows in months.items()}
    every = {name: sum(period[name] for period in periods.values()) for name in _figures({})}
    every[INTERESTS] = all_interested
    periods[ALL_TIME] = every
    table = Table(values={("neet_now",): neet_now})
    for period, figures in periods.items():
        table.values.update({(period, name): count for name, count in figures.items()})
        table.sums.append(((period, "starts"), tuple((period, f"starts_by_type.{kind}") for kind in OPPORTUNITY_TYPES)))
    months_only = [period for period in periods if period != ALL_TIME]
    for name in every:
        parts = tuple((month, name) for month in months_only)
        if name == INTERESTS:
            table.sums_at_most.append(((ALL_TIME, name), parts))
            table.at_most += [(part, (ALL_TIME, name)) for part in parts]
        else:
            table.sums.append(((ALL_TIME, name), parts))
    protection = protect(table, threshold)
    return PublishedFlows(
        periods={period: {name: None if (period, name) in protection.hidden else count
                          for name, count in figures.items()} for period, figures in periods.items()},
        neet_now=None if ("neet_now",) in protection.hidden else neet_now,
    )


def outcome_stats(*, session: Session, now: dt.datetime, month: Month | None, threshold: int) -> StatsRead:
    """Registrations, referrals, interviews, offers and starts in a calendar month (or all time); NEET, live
    opportunities and employer pledges now; people figures under disclosure control over every month at once.
    Erased people still count in registrations, anonymously."""
    all_interested = _count(session, select(func.count(distinct(StoredEvent.aggregate_id))).where(
        StoredEvent.event_type == str(EventType.INTEREST_EXPRESSED)))
    neet_now = _count(session, select(func.count()).select_from(Person)
                      .where(Person.status == "neet", Person.registered_at.is_not(None)))
    published = protect_flows(people_flows(session), all_interested, neet_now, threshold)
    figures = published.periods.get(month or ALL_TIME) or _figures({})
    published_query = select(func.count()).select_from(Opportunity).where(Opportunity.published_at.is_not(None))
    if month is not None:
        start, end = _month_bounds(month)
        published_query = published_query.where(Opportunity.published_at >= start, Opportunity.published_at < end)

    live_count, positions, open_positions = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(Opportunity.positions), 0),
            func.coalesce(
                func.sum(
                    case(
                        (Opportunity.positions > Opportunity.positions_filled,
                         Opportunity.positions - Opportunity.positions_filled),
                        else_=0,
                    )
                ),
                0,
            ),
        ).where(Opportunity.status == "live")
    ).one()
    employers = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((Employer.living_wage_employer, 1), else_=0)), 0),
            func.coalesce(func.sum(case((Employer.good_employment_charter, 1), else_=0)), 0),
            func.coalesce(func.sum(case((Employer.disability_confident, 1), else_=0)), 0),
        )
    ).one()
    hidden = sorted([name for name, value in figures.items() if value is None]
                    + (["neet_now"] if published.neet_now is None else []))
    return StatsRead(
        month=month,
        as_at=now,
        **{name: figures[name] for name in (*ADDITIVE_FLOWS, INTERESTS)},
        neet_now=published.neet_now,
        starts_by_type={kind: figures[f"starts_by_type.{kind}"] for kind in OPPORTUNITY_TYPES},
        opportunities_published=_count(session, published_query),
        live_opportunities=int(live_count),
        live_positions=int(positions),
        open_positions=int(open_positions),
        employers=EmployerFigures(
            total=int(employers[0]),
            living_wage_employer=int(employers[1]),
            good_employment_charter=int(employers[2]),
            disability_confident=int(employers[3]),
        ),
        suppressed=hidden,
        suppression_threshold=threshold,
    )
