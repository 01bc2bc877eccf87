"""The town's outcome figures from the projections: flows within a date range, states as at now."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, case, distinct, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

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


def _within(
    column: InstrumentedAttribute[Any], start: dt.datetime | None, end: dt.datetime
) -> list[ColumnElement[bool]]:
    conditions = [column < end]
    if start is not None:
        conditions.append(column >= start)
    return conditions


def _count(session: Session, query: Any) -> int:
    return int(session.scalar(query) or 0)


# The figures that count people (or what happened to them); the opportunity and employer figures count neither.
PEOPLE_FIGURES = ("registered_young_people", "neet_now", "referrals", "interviews", "offers", "starts",
                  "interests_expressed")


def protected_figures(figures: dict[str, Any], threshold: int) -> dict[str, Any]:
    """The people figures under disclosure control: starts are the sum of starts by type."""
    by_type: dict[tuple[str, ...], int] = {
        ("starts_by_type", kind): count for kind, count in figures["starts_by_type"].items()
    }
    table = Table(values={**{(name,): int(figures[name]) for name in PEOPLE_FIGURES}, **by_type},
                  sums=[(("starts",), tuple(by_type))])
    protection = protect(table, threshold)
    hidden = sorted(protection.hidden)
    return {
        **figures,
        **{key[0]: None for key in hidden if len(key) == 1},
        "starts_by_type": {kind: None if ("starts_by_type", kind) in protection.hidden else count
                           for kind, count in figures["starts_by_type"].items()},
        "suppressed": [".".join(key) for key in hidden],
        "suppression_threshold": threshold,
    }


def outcome_stats(
    *, session: Session, now: dt.datetime, first_day: dt.date | None, last_day: dt.date | None, threshold: int
) -> StatsRead:
    """Registrations, referrals, interviews, offers and starts in the range; NEET, live opportunities and
    employer pledges now, people figures under disclosure control. Erased people still count in registrations,
    anonymously."""
    last_day = last_day or now.date()
    start = dt.datetime.combine(first_day, dt.time(), dt.UTC) if first_day else None
    end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), dt.UTC)

    registered = _count(
        session, select(func.count()).select_from(Person).where(*_within(Person.registered_at, start, end))
    )
    erased_query = select(func.count()).select_from(ErasedRegistration).where(
        ErasedRegistration.registered_on <= last_day
    )
    if first_day is not None:
        erased_query = erased_query.where(ErasedRegistration.registered_on >= first_day)
    registered += _count(session, erased_query)

    def reached(status: str) -> int:
        return _count(
            session,
            select(func.count())
            .select_from(ReferralMilestone)
            .where(ReferralMilestone.status == status, *_within(ReferralMilestone.at, start, end)),
        )

    by_type = dict.fromkeys(OPPORTUNITY_TYPES, 0)
    for opportunity_type, count in session.execute(
        select(Referral.opportunity_type, func.count())
        .join(ReferralMilestone, ReferralMilestone.referral_id == Referral.referral_id)
        .where(ReferralMilestone.status == "accepted", *_within(ReferralMilestone.at, start, end))
        .group_by(Referral.opportunity_type)
    ).tuples():
        by_type[opportunity_type] = int(count)  # type: ignore[index]

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
    figures = dict(
        from_=first_day,
        to=last_day,
        as_at=now,
        registered_young_people=registered,
        neet_now=_count(
            session,
            select(func.count())
            .select_from(Person)
            .where(Person.status == "neet", Person.registered_at.is_not(None)),
        ),
        referrals=_count(
            session, select(func.count()).select_from(Referral).where(*_within(Referral.created_at, start, end))
        ),
        interviews=reached("interviewing"),
        offers=reached("offered"),
        starts=reached("accepted"),
        starts_by_type=by_type,
        interests_expressed=_count(
            session,
            select(func.count(distinct(StoredEvent.aggregate_id)))
            .where(
                StoredEvent.event_type == str(EventType.INTEREST_EXPRESSED),
                *_within(StoredEvent.occurred_at, start, end),
            ),
        ),
        opportunities_published=_count(
            session,
            select(func.count()).select_from(Opportunity).where(*_within(Opportunity.published_at, start, end)),
        ),
        live_opportunities=int(live_count),
        live_positions=int(positions),
        open_positions=int(open_positions),
        employers=EmployerFigures(
            total=int(employers[0]),
            living_wage_employer=int(employers[1]),
            good_employment_charter=int(employers[2]),
            disability_confident=int(employers[3]),
        ),
    )
    return StatsRead(**protected_figures(figures, threshold))
