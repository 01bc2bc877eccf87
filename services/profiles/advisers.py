"""Adviser use cases: the hub's advisers as records (name, team, work email and phone), by their sign-in id."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.errors import NotFound
from services.profiles.models import Adviser
from services.profiles.schemas import AdviserPage, AdviserRead, AdviserWrite


def _to_read(adviser: Adviser) -> AdviserRead:
    return AdviserRead.model_validate(adviser, from_attributes=True)


def save_adviser(*, session: Session, adviser_id: str, data: AdviserWrite, now: dt.datetime) -> AdviserRead:
    """Add an adviser, or change their details."""
    adviser = session.get(Adviser, adviser_id)
    if adviser is None:
        adviser = Adviser(id=adviser_id)
        session.add(adviser)
    for key, value in data.model_dump().items():
        setattr(adviser, key, value)
    adviser.updated_at = now
    session.commit()
    return _to_read(adviser)


def get_adviser(*, session: Session, adviser_id: str) -> AdviserRead:
    """One adviser's work contact details."""
    adviser = session.get(Adviser, adviser_id)
    if adviser is None:
        raise NotFound("adviser", adviser_id)
    return _to_read(adviser)


def list_advisers(*, session: Session) -> AdviserPage:
    """Every adviser, by name."""
    rows = session.scalars(select(Adviser).order_by(Adviser.name, Adviser.id)).all()
    return AdviserPage(items=[_to_read(row) for row in rows], total=len(rows))
