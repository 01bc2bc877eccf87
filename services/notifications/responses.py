"""How employers answer referrals, for advisers: each employer's response rate and median time to respond."""

from __future__ import annotations

import datetime as dt
import statistics
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.notifications.ingest import EMPLOYER_RESPONSES
from services.notifications.models import Employer, Referral
from services.notifications.schemas import EmployerResponse, EmployerResponsePage

# A referral withdrawn before the employer answered is not counted against them.
NOT_COUNTED = frozenset({"withdrawn"})


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def employer_responses(*, session: Session, employer_id: uuid.UUID | None) -> EmployerResponsePage:
    """Per employer: referrals counted, answered, the share answered and the median days to the first answer."""
    query = select(Referral)
    if employer_id is not None:
        query = query.where(Referral.employer_id == employer_id)
    by_employer: dict[uuid.UUID, list[Referral]] = {}
    for referral in session.scalars(query):
        if referral.status in NOT_COUNTED and referral.employer_responded_at is None:
            continue
        by_employer.setdefault(referral.employer_id, []).append(referral)
    items = []
    for key, referrals in by_employer.items():
        days = [(_utc(r.employer_responded_at) - _utc(r.referred_at)).total_seconds() / 86400
                for r in referrals if r.employer_responded_at is not None]
        answered = len(days) + sum(1 for r in referrals if r.employer_responded_at is None
                                   and r.status not in EMPLOYER_RESPONSES and r.status != "referred")
        employer = session.get(Employer, key)
        items.append(EmployerResponse(
            employer_id=key, employer_name=employer.name if employer else None, referrals=len(referrals),
            answered=answered, response_rate=round(answered / len(referrals), 3),
            median_days_to_answer=round(statistics.median(days), 1) if days else None))
    items.sort(key=lambda item: (-item.referrals, str(item.employer_id)))
    return EmployerResponsePage(items=items)
