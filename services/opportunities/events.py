"""What this service stages in its outbox: each event under one producer name, and the payloads built from rows."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.orm import Session

from services.common.postcodes import outward_code
from services.messaging.contract import (
    EmployerSnapshotV1,
    EventType,
    OpportunitySnapshotV1,
    PayloadModel,
    ReferralV1,
)
from services.messaging.outbox import stage_event
from services.messaging.sealing import known_subject, pseudonymise, remember_subject
from services.opportunities.directory import ProfileDirectory, ProfilesUnavailable
from services.opportunities.models import Employer, KnownSubject, Opportunity, OutboxRecord, Referral

PRODUCER = "opportunities"


def emit(
    session: Session,
    event_type: EventType,
    aggregate_id: uuid.UUID,
    version: int,
    payload: PayloadModel,
    at: dt.datetime,
) -> None:
    stage_event(session, OutboxRecord, event_type, producer=PRODUCER, aggregate_id=aggregate_id, version=version,
                payload=payload, at=at)


def subject_for(session: Session, directory: ProfileDirectory, profile_id: uuid.UUID) -> uuid.UUID:
    """The subject reference this person's events name them by: known here, or asked of the profiles service once
    and kept (in the caller's transaction) until their erasure."""
    subject = known_subject(session, KnownSubject, profile_id)
    if subject is None:
        subject = directory.subject_of(profile_id)
        if subject is None:
            raise ProfilesUnavailable(f"the profiles service has no subject reference for profile {profile_id}")
        remember_subject(session, KnownSubject, subject, profile_id)
    return subject


def emit_about_person(
    session: Session,
    event_type: EventType,
    aggregate_id: uuid.UUID,
    version: int,
    payload: PayloadModel,
    at: dt.datetime,
    subject: uuid.UUID,
) -> None:
    """Stage an event about a young person, who is named in it only by their subject reference."""
    _, wire = pseudonymise(event_type, payload, subject=subject, aggregate_id=str(aggregate_id))
    emit(session, event_type, aggregate_id, version, wire, at)


def employer_snapshot(employer: Employer) -> EmployerSnapshotV1:
    return EmployerSnapshotV1(
        employer_id=employer.id,
        name=employer.name,
        sector=employer.sector,
        postcode_district=outward_code(employer.postcode),
        disability_confident=employer.disability_confident,
        living_wage_employer=employer.living_wage_employer,
        good_employment_charter=employer.good_employment_charter,
    )


def opportunity_snapshot(opportunity: Opportunity) -> OpportunitySnapshotV1:
    return OpportunitySnapshotV1(
        opportunity_id=opportunity.id,
        employer_id=opportunity.employer_id,
        type=opportunity.type,  # type: ignore[arg-type]
        status=opportunity.status,  # type: ignore[arg-type]
        title=opportunity.title,
        description=opportunity.description,
        skills=list(opportunity.skills),
        sector=opportunity.sector,
        level=opportunity.level,
        postcode_district=outward_code(opportunity.postcode),
        latitude=opportunity.latitude,
        longitude=opportunity.longitude,
        remote=opportunity.remote,
        hours_per_week=opportunity.hours_per_week,
        wage_per_hour=opportunity.wage_pence_per_hour / 100,
        duration_months=opportunity.duration_months,
        positions=opportunity.positions,
        positions_filled=opportunity.positions_filled,
        start_date=opportunity.start_date,
        closing_date=opportunity.closing_date,
        min_age=opportunity.min_age,
        max_age=opportunity.max_age,
        requires_universal_credit=opportunity.requires_universal_credit,
        closed_reason=opportunity.closed_reason,
        published_at=opportunity.published_at,
    )


def emit_opportunity(session: Session, event_type: EventType, opportunity: Opportunity, now: dt.datetime) -> None:
    emit(session, event_type, opportunity.id, opportunity.version, opportunity_snapshot(opportunity), now)


def referral_snapshot(
    referral: Referral, opportunity: Opportunity, previous: str | None, at: dt.datetime
) -> ReferralV1:
    assert referral.profile_id is not None, "an erased person's referral emits no events"
    return ReferralV1(
        referral_id=referral.id,
        profile_id=referral.profile_id,
        opportunity_id=referral.opportunity_id,
        employer_id=referral.employer_id,
        opportunity_type=opportunity.type,  # type: ignore[arg-type]
        adviser_id=referral.adviser_id,
        status=referral.status,  # type: ignore[arg-type]
        previous_status=previous,  # type: ignore[arg-type]
        changed_at=at,
    )
