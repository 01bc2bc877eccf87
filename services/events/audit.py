"""The audit log: who did what and when, read from the append-only event store."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.events.models import StoredEvent
from services.events.schemas import EventPage, StoredEventRead, ViewPage, ViewRead
from services.messaging.contract import EventType, RecordViewedV1
from services.messaging.sealing import erasure_mark


def _to_read(row: StoredEvent) -> StoredEventRead:
    return StoredEventRead(
        event_id=uuid.UUID(row.event_id),
        event_type=EventType(row.event_type),
        topic=row.topic,
        schema_version=row.schema_version,
        producer=row.producer,
        aggregate_id=row.aggregate_id,
        aggregate_version=row.aggregate_version,
        occurred_at=row.occurred_at,
        received_at=row.received_at,
        payload=row.payload,
        redacted=row.redacted_at is not None,
    )


def list_events(
    *,
    session: Session,
    aggregate_id: str | None = None,
    profile_id: uuid.UUID | None = None,
    event_type: EventType | None = None,
    since: dt.datetime | None = None,
    limit: int = 100,
    order: Literal["asc", "desc"] = "desc",
) -> EventPage:
    """Stored events filtered by aggregate, person, type and time (occurred at or after `since`); an erased person's
    redacted trail is found by their erasure mark."""
    query = select(StoredEvent)
    if aggregate_id is not None:
        query = query.where(StoredEvent.aggregate_id.in_([aggregate_id, erasure_mark(aggregate_id)]))
    if profile_id is not None:
        query = query.where(StoredEvent.subject_id.in_([str(profile_id), erasure_mark(profile_id)]))
    if event_type is not None:
        query = query.where(StoredEvent.event_type == str(event_type))
    if since is not None:
        since = since.replace(tzinfo=dt.UTC) if since.tzinfo is None else since
        query = query.where(StoredEvent.occurred_at >= since)
    if order == "asc":
        query = query.order_by(StoredEvent.occurred_at, StoredEvent.id)
    else:
        query = query.order_by(StoredEvent.occurred_at.desc(), StoredEvent.id.desc())
    items = [_to_read(row) for row in session.scalars(query.limit(limit))]
    return EventPage(items=items, count=len(items), limit=limit)


VIEW_EVENTS = (EventType.PROFILE_VIEWED, EventType.REFERRAL_VIEWED)
# A page shown again and again (each click re-reads it) is one look for the person's list; the audit log keeps all.
SAME_LOOK = dt.timedelta(minutes=10)


def views_of(*, session: Session, profile_id: uuid.UUID, limit: int = 100) -> ViewPage:
    """Who has looked at a young person's record (newest first): advisers reading their profile, employers reading
    a referral of them; reads of the same record by the same viewer within SAME_LOOK of each other count once."""
    rows = session.scalars(
        select(StoredEvent)
        .where(StoredEvent.subject_id == str(profile_id), StoredEvent.event_type.in_([str(t) for t in VIEW_EVENTS]),
               StoredEvent.redacted_at.is_(None))
        .order_by(StoredEvent.occurred_at.desc(), StoredEvent.id.desc())
    )
    hidden = {"view_id", "profile_id"}
    items: list[ViewRead] = []
    earliest: dict[tuple[str, str, str, uuid.UUID | None], dt.datetime] = {}
    for row in rows:
        look = ViewRead.model_validate(RecordViewedV1.model_validate(row.payload).model_dump(exclude=hidden))
        same = (look.viewer_role, look.viewer, look.record, look.referral_id)
        later = earliest.get(same)
        earliest[same] = look.viewed_at
        if later is not None and later - look.viewed_at <= SAME_LOOK:
            continue
        items.append(look)
        if len(items) == limit:
            break
    return ViewPage(items=items, count=len(items), limit=limit)
