"""Putting mail in the queue: one message per cause (a unique key), so a cause seen twice queues nothing new."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.notifications.models import Message, Preference


def young_person(profile_id: uuid.UUID) -> str:
    return f"young_person:{profile_id}"


def adviser(adviser_id: str) -> str:
    return f"adviser:{adviser_id}"


def employer(employer_id: uuid.UUID) -> str:
    return f"employer:{employer_id}"


def new_token() -> str:
    return secrets.token_urlsafe(24)


def enqueue(
    session: Session, *, cause: str, kind: str, recipient: str, params: dict[str, Any], now: dt.datetime,
    profile_id: uuid.UUID | None = None,
) -> Message | None:
    """Queue a message for `cause` unless one was queued for it before; returns the new message, if any."""
    if session.scalar(select(Message.id).where(Message.cause == cause)) is not None:
        return None
    message = Message(id=uuid.uuid4(), cause=cause, kind=kind, recipient=recipient, profile_id=profile_id,
                      params=params, status="queued", attempts=0, next_attempt_at=now, created_at=now)
    session.add(message)
    session.flush()
    return message


def preference(session: Session, recipient: str, *, now: dt.datetime) -> Preference:
    """A recipient's preferences, made with the defaults when they have none: email on for advisers and employers
    (work contact), off for a young person until they agree to it."""
    found = session.get(Preference, recipient)
    if found is not None:
        return found
    role, _, key = recipient.partition(":")
    profile_id = uuid.UUID(key) if role == "young_person" else None
    found = Preference(recipient=recipient, profile_id=profile_id, email=role != "young_person",
                       quiet_hours=role == "young_person", frequency=None, unsubscribe_token=new_token(),
                       updated_at=now)
    session.add(found)
    session.flush()
    return found
