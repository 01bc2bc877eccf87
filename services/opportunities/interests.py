"""Interest use cases: a young person says they are interested (a referral request for their adviser); listing them."""

from __future__ import annotations

import datetime as dt
import uuid

from fastapi import status as http_status
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.auth import Principal, Role
from services.common.errors import Forbidden, RuleViolation
from services.messaging.contract import EventType, InterestV1
from services.opportunities.access import employer_of, load_opportunity, may_see, principal_uuid
from services.opportunities.directory import ProfileDirectory
from services.opportunities.events import emit_about_person, subject_for
from services.opportunities.held_back import HeldBack, held_back, hold_back, warning_for
from services.opportunities.lifecycle import open_for_applications
from services.opportunities.models import Employer, Interest, Opportunity
from services.opportunities.rules import check_eligible
from services.opportunities.schemas import InterestCreate, InterestPage, InterestRead


def _interest_read(interest: Interest, opportunity: Opportunity, employer: Employer, held: HeldBack) -> InterestRead:
    """An interest as its young person and advisers see it (no one else does), held-back message included."""
    kept = held.get((interest.id, "message"))
    return InterestRead(
        id=interest.id,
        profile_id=interest.profile_id,
        opportunity_id=interest.opportunity_id,
        opportunity_title=opportunity.title,
        opportunity_type=opportunity.type,  # type: ignore[arg-type]
        employer_name=employer.name,
        adviser_id=interest.adviser_id,
        message=kept.text if kept else interest.message,
        referral_id=interest.referral_id,
        created_at=interest.created_at,
        warnings=[warning_for(kept)] if kept else [],
    )


def express_interest(
    *,
    session: Session,
    opportunity_id: uuid.UUID,
    data: InterestCreate,
    principal: Principal,
    directory: ProfileDirectory,
    now: dt.datetime,
) -> tuple[InterestRead, bool]:
    """A young person says they are interested: a referral request for their adviser (interest.expressed).
    Saying it twice returns the first one; the flag tells whether it is new."""
    profile_id = principal_uuid(principal, "profile")
    opportunity = load_opportunity(session, opportunity_id)
    may_see(opportunity, principal)
    employer = employer_of(session, opportunity)
    existing = session.scalar(
        select(Interest).where(Interest.opportunity_id == opportunity_id, Interest.profile_id == profile_id)
    )
    if existing is not None:
        return _interest_read(existing, opportunity, employer, held_back(session, [existing.id])), False
    if not open_for_applications(opportunity, now.date()):
        raise RuleViolation(
            "opportunity_id",
            "opportunity_not_open",
            "this opportunity is no longer open",
            http_status.HTTP_409_CONFLICT,
        )
    person = directory.get_profile(profile_id)
    if person is None:
        raise RuleViolation("profile_id", "profile_exists", "register your profile before saying you are interested")
    check_eligible(opportunity, date_of_birth=person.date_of_birth, on_universal_credit=person.on_universal_credit)
    subject = subject_for(session, directory, profile_id)
    interest_id = uuid.uuid4()
    warning = hold_back(session, owner_id=interest_id, profile_id=profile_id, field="message", text=data.message)
    interest = Interest(
        id=interest_id,
        profile_id=profile_id,
        opportunity_id=opportunity_id,
        adviser_id=person.adviser_id,
        message="" if warning else data.message,
        created_at=now,
    )
    session.add(interest)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        again = session.scalar(
            select(Interest).where(Interest.opportunity_id == opportunity_id, Interest.profile_id == profile_id)
        )
        if again is None:
            raise
        return _interest_read(again, opportunity, employer, held_back(session, [again.id])), False
    emit_about_person(
        session,
        EventType.INTEREST_EXPRESSED,
        interest.id,
        1,
        InterestV1(interest_id=interest.id, profile_id=profile_id, opportunity_id=opportunity_id, expressed_at=now),
        now,
        subject,
    )
    session.commit()
    return _interest_read(interest, opportunity, employer, held_back(session, [interest.id])), True


def list_interests(
    *,
    session: Session,
    principal: Principal,
    profile_id: uuid.UUID | None = None,
    adviser_id: str | None = None,
    opportunity_id: uuid.UUID | None = None,
    open_only: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> InterestPage:
    """Referral requests: advisers see all (filter by their caseload), a young person their own."""
    query = (
        select(Interest, Opportunity, Employer)
        .join(Opportunity, Opportunity.id == Interest.opportunity_id)
        .join(Employer, Employer.id == Opportunity.employer_id)
    )
    if principal.role is Role.YOUNG_PERSON:
        if profile_id is not None and str(profile_id) != principal.sub:
            raise Forbidden("a young person may only see their own interests")
        query = query.where(Interest.profile_id == principal_uuid(principal, "profile"))
    if profile_id is not None:
        query = query.where(Interest.profile_id == profile_id)
    if adviser_id:
        query = query.where(Interest.adviser_id == adviser_id)
    if opportunity_id is not None:
        query = query.where(Interest.opportunity_id == opportunity_id)
    if open_only:
        query = query.where(Interest.referral_id.is_(None))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(Interest.created_at.desc(), Interest.id).limit(limit).offset(offset)).all()
    held = held_back(session, [interest.id for interest, _, _ in rows])
    return InterestPage(
        items=[_interest_read(interest, opportunity, employer, held) for interest, opportunity, employer in rows],
        total=total,
        limit=limit,
        offset=offset,
    )
