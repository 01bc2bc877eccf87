"""Erasure: what this service forgets of a young person when their profile is erased."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.common.auth import Role
from services.messaging.outbox import redact_aggregate
from services.messaging.vocabulary import OPEN_REFERRAL_STATUSES
from services.opportunities import held_back
from services.opportunities.models import Dismissal, Interest, KnownSubject, OutboxRecord, Referral
from services.opportunities.referrals import record_status_change


def forget_person(*, session: Session, profile_id: uuid.UUID, now: dt.datetime) -> int:
    """Remove what this service holds of an erased person, in the caller's transaction; returns records touched.
    Their interests and dismissed suggestions go. Their referrals stay as anonymous outcomes, so places taken and
    filled opportunities do not move: no person link, no note, feedback or oversight words (nor any held back),
    open ones withdrawn. Outbox events of them all keep no personal data, and the link from their subject
    reference to the person goes."""
    referrals = session.scalars(
        select(Referral).where(Referral.profile_id == profile_id).order_by(Referral.id).with_for_update()
    ).all()
    for referral in referrals:
        if referral.status in OPEN_REFERRAL_STATUSES:
            previous, referral.status = referral.status, "withdrawn"
            referral.version += 1
            record_status_change(session, referral, previous, by_role=Role.SERVICE, now=now)
        referral.profile_id = None
        referral.note = ""
        referral.feedback = None
        referral.feedback_by = None
        referral.oversight_words = None
        referral.erased_at = now
        referral.updated_at = now
        redact_aggregate(session, OutboxRecord, str(referral.id))
    held_back.forget(session, profile_id)
    interests = session.scalars(select(Interest).where(Interest.profile_id == profile_id)).all()
    for interest in interests:
        redact_aggregate(session, OutboxRecord, str(interest.id))
        session.delete(interest)
    dismissals = session.scalars(select(Dismissal).where(Dismissal.profile_id == profile_id)).all()
    for dismissal in dismissals:
        redact_aggregate(session, OutboxRecord, str(dismissal.id))
        session.delete(dismissal)
    session.execute(delete(KnownSubject).where(KnownSubject.profile_id == profile_id))
    session.flush()
    return len(referrals) + len(interests) + len(dismissals)
