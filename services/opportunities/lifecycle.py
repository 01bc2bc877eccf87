"""The opportunity lifecycle: a draft is created and edited, published live, then closed, expired or filled."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from fastapi import status as http_status
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.auth import Principal, Role
from services.common.eligibility import pay_rise_after_first_year
from services.common.errors import Forbidden, RuleViolation
from services.common.minimum_wage import WageTable
from services.messaging.contract import EventType
from services.opportunities.access import employer_of, load_for_change, load_opportunity, may_see
from services.opportunities.config import OpportunitiesSettings
from services.opportunities.events import emit_opportunity
from services.opportunities.models import Employer, Opportunity
from services.opportunities.rules import (
    check_postcode,
    check_publishable,
    check_shape,
    day_in_words,
    hourly_pence_from_annual,
    pence,
    posting_of,
    raise_all,
    remote_problem,
    wage_problems,
)
from services.opportunities.schemas import OpportunityCreate, OpportunityRead, OpportunityUpdate, PayRise

EXPIRED_REASON = "expired"
FILLED_REASON = "filled"


def opportunity_read(opportunity: Opportunity, employer: Employer, distance: float | None = None) -> OpportunityRead:
    rise = pay_rise_after_first_year(posting_of(opportunity))
    return OpportunityRead(
        **{column: getattr(opportunity, column) for column in _READ_COLUMNS},
        employer_name=employer.name,
        employer_disability_confident=employer.disability_confident,
        employer_living_wage_employer=employer.living_wage_employer,
        employer_good_employment_charter=employer.good_employment_charter,
        wage_per_hour=opportunity.wage_pence_per_hour / 100,
        annual_wage=None if opportunity.annual_wage_pence is None else opportunity.annual_wage_pence / 100,
        wage_after_first_year=None
        if opportunity.wage_after_first_year_pence is None
        else opportunity.wage_after_first_year_pence / 100,
        pay_rise_after_first_year=None if rise is None else PayRise(from_date=rise[0], at_least=rise[1] / 100),
        distance_km=None if distance is None else round(distance, 2),
    )


_READ_COLUMNS = tuple(
    name
    for name in OpportunityRead.model_fields
    if name in Opportunity.__table__.columns and name not in {"wage_per_hour", "annual_wage", "wage_after_first_year"}
)
# What a live opportunity held back below the minimum wage may change to be fixed.
_FIXES_WHEN_HELD = frozenset({"wage_per_hour", "annual_wage", "wage_after_first_year", "max_age"})


def _wage_fields(hourly: Decimal | None, annual: Decimal | None, hours_per_week: float) -> tuple[int, int | None]:
    """(pence per hour, annual pence or None) from exactly one of the two ways to give a wage."""
    if hourly is not None and annual is not None:
        raise RuleViolation("annual_wage", "one_wage_only", "Give the pay per hour or per year, not both.")
    if annual is not None:
        return hourly_pence_from_annual(annual, hours_per_week), pence(annual)
    if hourly is None:
        raise RuleViolation("wage_per_hour", "wage_required", "Give the pay, per hour or per year.")
    return pence(hourly), None


def _employer_for_posting(session: Session, employer_id: uuid.UUID, principal: Principal) -> Employer:
    if principal.role is Role.EMPLOYER and principal.sub != str(employer_id):
        raise Forbidden("an employer may only post its own opportunities")
    employer = session.get(Employer, employer_id)
    if employer is None:
        raise RuleViolation("employer_id", "employer_exists", f"there is no employer {employer_id}")
    return employer


def create_opportunity(
    *, session: Session, data: OpportunityCreate, principal: Principal, now: dt.datetime
) -> OpportunityRead:
    """Save a draft opportunity for an employer (nothing is published yet)."""
    employer = _employer_for_posting(session, data.employer_id, principal)
    latitude, longitude = check_postcode(data.postcode)
    wage_pence, annual_pence = _wage_fields(data.wage_per_hour, data.annual_wage, data.hours_per_week)
    opportunity = Opportunity(
        id=uuid.uuid4(),
        status="draft",
        latitude=latitude,
        longitude=longitude,
        wage_pence_per_hour=wage_pence,
        annual_wage_pence=annual_pence,
        wage_after_first_year_pence=None if data.wage_after_first_year is None else pence(data.wage_after_first_year),
        positions_filled=0,
        version=1,
        created_at=now,
        updated_at=now,
        **data.model_dump(exclude={"wage_per_hour", "annual_wage", "wage_after_first_year"}),
    )
    raise_all(check_shape(opportunity))
    session.add(opportunity)
    session.commit()
    return opportunity_read(opportunity, employer)


def get_opportunity(*, session: Session, opportunity_id: uuid.UUID, principal: Principal | None) -> OpportunityRead:
    """One opportunity: public once published; a draft only for its employer and advisers."""
    opportunity = load_opportunity(session, opportunity_id)
    may_see(opportunity, principal)
    return opportunity_read(opportunity, employer_of(session, opportunity))


def update_opportunity(
    *,
    session: Session,
    opportunity_id: uuid.UUID,
    data: OpportunityUpdate,
    principal: Principal,
    now: dt.datetime,
    settings: OpportunitiesSettings,
    rates: WageTable,
) -> OpportunityRead:
    """Edit a draft; once live only extend its closing date, fix the pay or ages of one held back below the
    minimum wage, or stop one saying it is remote when its work can't be (emitting opportunity.updated). A live
    posting's edit is refused while it breaks the remote rule."""
    opportunity = load_for_change(session, opportunity_id, principal)
    changes = data.model_dump(exclude_unset=True)
    if opportunity.status == "live" and opportunity.held_back_reason is not None and set(changes) & _FIXES_WHEN_HELD:
        _fix_held_back(session, opportunity, changes, settings=settings, rates=rates)
    if opportunity.status == "live":
        if changes.get("remote") is False and remote_problem(opportunity) is not None:
            opportunity.remote = changes.pop("remote")  # the one correction the remote rule asks for
        _extend_live(opportunity, changes, today=now.date())
        if (remote := remote_problem(opportunity)) is not None:
            session.rollback()
            raise_all([remote])
    elif opportunity.status != "draft":
        field = next(iter(changes), "status")
        raise RuleViolation(
            field, "not_editable", f"a {opportunity.status} opportunity cannot change", http_status.HTTP_409_CONFLICT
        )
    else:
        _edit_draft(session, opportunity, changes)
    if not session.is_modified(opportunity):
        return opportunity_read(opportunity, employer_of(session, opportunity))
    opportunity.version += 1
    opportunity.updated_at = now
    if opportunity.status == "live":
        emit_opportunity(session, EventType.OPPORTUNITY_UPDATED, opportunity, now)
    session.commit()
    return opportunity_read(opportunity, employer_of(session, opportunity))


def _fix_held_back(
    session: Session,
    opportunity: Opportunity,
    changes: dict[str, Any],
    *,
    settings: OpportunitiesSettings,
    rates: WageTable,
) -> None:
    """Raise the pay or lower the oldest age of a live opportunity held back below the minimum wage; once every
    age it admits is paid at least the minimum, the hold is lifted. A change that is not enough changes nothing."""
    fixes = {key: changes.pop(key) for key in list(changes) if key in _FIXES_WHEN_HELD}
    if "max_age" in fixes:
        lowered = fixes["max_age"]
        if lowered is None or (opportunity.max_age is not None and lowered > opportunity.max_age):
            raise RuleViolation(
                "max_age", "narrow_only", "While it is live, the oldest age can only come down, not go up."
            )
    before = (opportunity.wage_pence_per_hour, opportunity.wage_after_first_year_pence)
    _apply_wage_changes(opportunity, fixes.pop("wage_per_hour", None), fixes.pop("annual_wage", None), fixes)
    problems = check_shape(opportunity)
    if opportunity.wage_pence_per_hour < before[0] or (
        before[1] is not None and (opportunity.wage_after_first_year_pence or 0) < before[1]
    ):
        problems.append(RuleViolation("wage_per_hour", "raise_only", "While it is live, the pay can only go up."))
    problems = problems or wage_problems(opportunity, settings=settings, rates=rates)
    if problems:
        session.rollback()
        raise_all(problems)
    opportunity.held_back_reason = None
    opportunity.held_back_at = None


def _apply_wage_changes(
    opportunity: Opportunity, hourly: Decimal | None, annual: Decimal | None, others: dict[str, Any]
) -> None:
    """Set the pay (per hour or per year) and any other changed fields on the row."""
    if hourly is not None and annual is not None:
        raise RuleViolation("annual_wage", "one_wage_only", "Give the pay per hour or per year, not both.")
    for key, value in others.items():
        if key == "wage_after_first_year":
            value, key = None if value is None else pence(value), "wage_after_first_year_pence"
        if getattr(opportunity, key) != value:
            setattr(opportunity, key, value)
    if hourly is not None:
        opportunity.wage_pence_per_hour, opportunity.annual_wage_pence = pence(hourly), None
    elif annual is not None:
        opportunity.annual_wage_pence = pence(annual)
    if opportunity.annual_wage_pence is not None and (annual is not None or "hours_per_week" in others):
        opportunity.wage_pence_per_hour = hourly_pence_from_annual(
            Decimal(opportunity.annual_wage_pence) / 100, opportunity.hours_per_week
        )


def _extend_live(opportunity: Opportunity, changes: dict[str, Any], *, today: dt.date) -> None:
    locked = sorted(set(changes) - {"closing_date"})
    if locked:
        raise RuleViolation(
            locked[0],
            "locked_when_live",
            "Once it is live, only the closing date can change (to a later day).",
            http_status.HTTP_409_CONFLICT,
        )
    new = changes.get("closing_date")
    if new is None or new == opportunity.closing_date:
        return
    if opportunity.closing_date < today:
        raise RuleViolation(
            "closing_date",
            "already_expired",
            "This opportunity's closing date has passed and it is being closed. Post a new one instead.",
            http_status.HTTP_409_CONFLICT,
        )
    if new < opportunity.closing_date:
        raise RuleViolation(
            "closing_date",
            "extend_only",
            f"Once it is live, the closing date can only move later than {day_in_words(opportunity.closing_date)}.",
        )
    if new >= opportunity.start_date:
        raise RuleViolation(
            "closing_date",
            "closing_date_before_start",
            f"The closing date must be before the start date ({day_in_words(opportunity.start_date)}).",
        )
    if new <= today:
        raise RuleViolation(
            "closing_date", "closing_date_after_today", f"The closing date must be after today ({day_in_words(today)})."
        )
    opportunity.closing_date = new


def _edit_draft(session: Session, opportunity: Opportunity, changes: dict[str, Any]) -> None:
    hourly, annual = changes.pop("wage_per_hour", None), changes.pop("annual_wage", None)
    if "postcode" in changes:
        opportunity.latitude, opportunity.longitude = check_postcode(changes["postcode"])
    _apply_wage_changes(opportunity, hourly, annual, changes)
    problems = check_shape(opportunity)
    if problems:
        session.rollback()
        raise_all(problems)


def publish_opportunity(
    *,
    session: Session,
    opportunity_id: uuid.UUID,
    principal: Principal,
    settings: OpportunitiesSettings,
    now: dt.datetime,
    rates: WageTable,
) -> OpportunityRead:
    """Check every publishing rule, make the draft live and emit opportunity.published."""
    opportunity = load_for_change(session, opportunity_id, principal)
    if opportunity.status != "draft":
        raise RuleViolation(
            "status",
            "not_draft",
            f"Only a draft can be published; this one is {opportunity.status}.",
            http_status.HTTP_409_CONFLICT,
        )
    check_publishable(opportunity, today=now.date(), settings=settings, rates=rates)
    opportunity.status = "live"
    opportunity.published_at = now
    opportunity.version += 1
    opportunity.updated_at = now
    emit_opportunity(session, EventType.OPPORTUNITY_PUBLISHED, opportunity, now)
    session.commit()
    return opportunity_read(opportunity, employer_of(session, opportunity))


def _close(session: Session, opportunity: Opportunity, *, status: str, reason: str, now: dt.datetime) -> None:
    opportunity.status = status
    opportunity.closed_reason = reason
    opportunity.closed_at = now
    opportunity.version += 1
    opportunity.updated_at = now
    if opportunity.published_at is not None:
        emit_opportunity(session, EventType.OPPORTUNITY_CLOSED, opportunity, now)


def close_opportunity(
    *, session: Session, opportunity_id: uuid.UUID, reason: str, principal: Principal, now: dt.datetime
) -> OpportunityRead:
    """Close a draft or live opportunity with a reason; emit opportunity.closed if it had been published."""
    opportunity = load_for_change(session, opportunity_id, principal)
    if opportunity.status not in ("draft", "live"):
        raise RuleViolation(
            "status",
            "already_closed",
            f"this opportunity is already {opportunity.status}",
            http_status.HTTP_409_CONFLICT,
        )
    _close(session, opportunity, status="closed", reason=reason, now=now)
    session.commit()
    return opportunity_read(opportunity, employer_of(session, opportunity))


def expire_due_opportunities(*, session: Session, now: dt.datetime) -> int:
    """Close every live opportunity whose closing date has passed, each with opportunity.closed; returns how many."""
    query = (
        select(Opportunity)
        .where(Opportunity.status == "live", Opportunity.closing_date < now.date())
        .order_by(Opportunity.closing_date, Opportunity.id)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    due = session.scalars(query).all()
    for opportunity in due:
        _close(session, opportunity, status="closed", reason=EXPIRED_REASON, now=now)
    session.commit()
    return len(due)


def hold_back_underpaid_opportunities(
    *, session: Session, now: dt.datetime, settings: OpportunitiesSettings, rates: WageTable
) -> int:
    """Hold back from matching every live opportunity a rate of the dated table now leaves below the minimum
    wage for some age it admits, each with opportunity.held_back and the fix in words; returns how many."""
    query = (
        select(Opportunity)
        .where(
            Opportunity.status == "live",
            Opportunity.held_back_reason.is_(None),
            Opportunity.closing_date >= now.date(),
        )
        .order_by(Opportunity.start_date, Opportunity.id)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    held = 0
    for opportunity in session.scalars(query).all():
        problems = wage_problems(opportunity, settings=settings, rates=rates)
        if not problems:
            continue
        opportunity.held_back_reason = " ".join(problem.message for problem in problems)
        opportunity.held_back_at = now
        opportunity.version += 1
        opportunity.updated_at = now
        emit_opportunity(session, EventType.OPPORTUNITY_HELD_BACK, opportunity, now)
        held += 1
    session.commit()
    return held


def open_for_applications(opportunity: Opportunity, today: dt.date) -> bool:
    return opportunity.status == "live" and opportunity.closing_date >= today and opportunity.held_back_reason is None


def take_place(session: Session, opportunity: Opportunity, now: dt.datetime) -> None:
    """An accepted offer takes a place, in the caller's transaction; the last place fills the opportunity."""
    opportunity.positions_filled += 1
    if opportunity.status == "live" and opportunity.positions_filled >= opportunity.positions:
        _close(session, opportunity, status="filled", reason=FILLED_REASON, now=now)
        return
    opportunity.version += 1
    opportunity.updated_at = now
    emit_opportunity(session, EventType.OPPORTUNITY_UPDATED, opportunity, now)
