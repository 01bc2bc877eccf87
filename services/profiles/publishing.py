"""What the profiles service tells the others: a person's snapshot, staged in the outbox under their subject
reference with its fields sealed."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.orm import Session

from services.common.postcodes import locate, outward_code
from services.messaging.contract import PSEUDONYMISED, EventType, KeyPurpose, PayloadModel, ProfileSnapshotV1
from services.messaging.outbox import stage_event
from services.messaging.sealing import DataKey, pseudonymise
from services.profiles.models import OutboxRecord, Profile

PRODUCER = "profiles"


def snapshot(profile: Profile) -> ProfileSnapshotV1:
    location = locate(profile.postcode)
    return ProfileSnapshotV1(
        profile_id=profile.id,
        status=profile.status,  # type: ignore[arg-type]
        date_of_birth=profile.date_of_birth,
        postcode_district=outward_code(profile.postcode),
        latitude=location.latitude if location else None,
        longitude=location.longitude if location else None,
        on_universal_credit=profile.on_universal_credit,
        priority_groups=list(profile.priority_groups),  # type: ignore[arg-type]
        skills=list(profile.skills),
        interests=list(profile.interests),
        qualifications=list(profile.qualifications),  # type: ignore[arg-type]
        about=profile.about,
        preferred_types=list(profile.preferred_types),  # type: ignore[arg-type]
        max_travel_km=profile.max_travel_km,
        available_from=profile.available_from,
        consent_share_with_employers=profile.consent_share_with_employers,
        adviser_id=profile.adviser_id,
        registered_at=profile.created_at,
    )


def emit(
    session: Session,
    event_type: EventType,
    aggregate_id: uuid.UUID,
    version: int,
    payload: PayloadModel,
    at: dt.datetime,
    keys: dict[KeyPurpose, DataKey],
) -> None:
    """Stage an event about the person: named by their subject reference, fields sealed under their key."""
    sealed_with = PSEUDONYMISED[event_type].sealed
    travels_under, wire = pseudonymise(
        event_type,
        payload,
        subject=keys["personal"].subject,
        aggregate_id=str(aggregate_id),
        key=keys[sealed_with] if sealed_with else None,
    )
    stage_event(
        session,
        OutboxRecord,
        event_type,
        producer=PRODUCER,
        aggregate_id=travels_under,
        version=version,
        payload=wire,
        at=at,
    )
