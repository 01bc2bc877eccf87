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
from services.common.errors import Forbidden, RuleViolation
from services.messaging.contract import EventType
from services.opportunities.access import employer_of, load_for_change, load_opportunity, may_see
from services.opportunities.config import OpportunitiesSettings
from services.opportunities.events import emit_opportunity
from services.opportunities.models import Employer, Opportunity
from services.opportunities.rules import (
    check_postcode,
    check_publishable,
    check_shape,
    hourly_pence_from_annual,
    pence,
    raise_all,
)
from services.opportunities.schemas import OpportunityCreate, OpportunityRead, OpportunityUpdate

EXPIRED_REASON = "expired"
FILLED_REASON = "filled"


def opportunity_read(opportunity: Opportunity, employer: Employer, distance: float | None = None) -> OpportunityRead:
    return OpportunityRead(
        **{column: getattr(opportunity, column) for column in _READ_COLUMNS},
        employer_name=employer.name,
        employer_disability_confident=employer.disability_confident,
        employer_living_wage_employer=employer.living_wage_employer,
        employer_good_employment_charter=employer.good_employment_charter,
        wage_per_hour=opportunity.wage_pence_per_hour / 100,
        annual_wage=None if opportunity.annual_wage_pence is None else opportunity.annual_wage_pence / 100,
        distance_km=None if distance is None else round(distance, 2),
    )


_READ_COLUMNS = tuple(
    name
    for name in OpportunityRead.model_fields
    if name in Opportunity.__table__.columns and name not in {"wage_per_hour", "annual_wage"}
)


def _wage_fields(hourly: Decimal | None, annual: Decimal | None, hours_per_week: float) -> tuple[int, int | None]:
    """(pence per hour, annual pence or None) from exactly one of the two ways to give a wage."""
    if hourly is not None and annual is not None:
        raise RuleViolation("annual_wage", "one_wage_only", "give wage_per_hour or annual_wage, not both")
    if annual is not None:
        return hourly_pence_from_annual(annual, hours_per_week), pence(annual)
    if hourly is None:
        raise RuleViolation("wage_per_hour", "wage_required", "give wage_per_hour or annual_wage")
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
        positions_filled=0,
        version=1,
        created_at=now,
        updated_at=now,
        **data.model_dump(exclude={"wage_per_hour", "annual_wage"}),
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
    *, session: Session, opportunity_id: uuid.UUID, data: OpportunityUpdate, principal: Principal, now: dt.datetime
) -> OpportunityRead:
    """Edit a draft; once live only extend its closing date (emitting opportunity.updated)."""
    opportunity = load_for_change(session, opportunity_id, principal)
    changes = data.model_dump(exclude_unset=True)
    if opportunity.status == "live":
        _extend_live(opportunity, changes, today=now.date())
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


def _extend_live(opportunity: Opportunity, changes: dict[str, Any], *, today: dt.date) -> None:
    locked = sorted(set(changes) - {"closing_date"})
    if locked:
        raise RuleViolation(
            locked[0],
            "locked_when_live",
            "once live, only closing_date may change (to a later day)",
            http_status.HTTP_409_CONFLICT,
        )
    new = changes.get("closing_date")
    if new is None or new == opportunity.closing_date:
        return
    if opportunity.closing_date < today:
        raise RuleViolation(
            "closing_date",
            "already_expired",
            "this opportunity's closing date has passed; it is being closed, post a new one instead",
            http_status.HTTP_409_CONFLICT,
        )
    if new < opportunity.closing_date:
        raise RuleViolation(
            "closing_date",
            "extend_only",
            f"a live opportunity's closing date can only move later than {opportunity.closing_date}",
        )
    if new >= opportunity.start_date:
        raise RuleViolation("closing_date", "closing_date_before_start", "closing_date must be before start_date")
    if new <= today:
        raise RuleViolation("closing_date", "closing_date_after_today", "closing_date must be after today")
    opportunity.closing_date = new


def _edit_draft(session: Session, opportunity: Opportunity, changes: dict[str, Any]) -> None:
    hourly, annual = changes.pop("wage_per_hour", None), changes.pop("annual_wage", None)
    if hourly is not None and annual is not None:
        raise RuleViolation("annual_wage", "one_wage_only", "give wage_per_hour or annual_wage, not both")
    if "postcode" in changes:
        opportunity.latitude, opportunity.longitude = check_postcode(changes["postcode"])
    for key, value in changes.items():
        if getattr(opportunity, key) != value:
            setattr(opportunity, key, value)
    if hourly is not None:
        opportunity.wage_pence_per_hour, opportunity.annual_wage_pence = pence(hourly), None
    elif annual is not None:
        opportunity.annual_wage_pence = pence(annual)
    if opportunity.annual_wage_pence is not None and (annual is not None or "hours_per_week" in changes):
        opportunity.wage_pence_per_hour = hourly_pence_from_annual(
            Decimal(opportunity.annual_wage_pence) / 100, opportunity.hours_per_week
        )
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
) -> OpportunityRead:
    """Check every publishing rule, make the draft live and emit opportunity.published."""
    opportunity = load_for_change(session, opportunity_id, principal)
    if opportunity.status != "draft":
        raise RuleViolation(
            "status",
            "not_draft",
            f"only a draft can be published; this one is {opportunity.status}",
            http_status.HTTP_409_CONFLICT,
        )
    check_publishable(opportunity, today=now.date(), settings=settings)
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


def open_for_applications(opportunity: Opportunity, today: dt.date) -> bool:
    return opportunity.status == "live" and opportunity.closing_date >= today


def take_place(session: Session, opportunity: Opportunity, now: dt.datetime) -> None:
    """An accepted offer takes a place, in the caller's transaction; the last place fills the opportunity."""
    opportunity.positions_filled += 1
    if opportunity.status == "live" and opportunity.positions_filled >= opportunity.positions:
        _close(session, opportunity, status="filled", reason=FILLED_REASON, now=now)
        return
    opportunity.version += 1
    opportunity.updated_at = now
    emit_opportunity(session, EventType.OPPORTUNITY_UPDATED, opportunity, now)
