"""The consumer's use case: keep what the messages need from the topics and queue the messages events cause, in
the caller's transaction (with the processed event id)."""

from __future__ import annotations

import datetime as dt
import uuid
from functools import partial
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from services.common.clock import Clock
from services.messaging.contract import (
    EmployerSnapshotV1,
    EventEnvelope,
    InterestV1,
    OpportunitySnapshotV1,
    ProfileErasedV1,
    ProfileSnapshotV1,
    ReferralV1,
    ReferralV2,
)
from services.messaging.sealing import is_pseudonymised
from services.notifications import queue
from services.notifications.models import (
    ClockSeen,
    DeadLetter,
    DigestItem,
    Employer,
    Interest,
    LapseSeen,
    Message,
    Opportunity,
    Person,
    Preference,
    Referral,
    SavedSearch,
)
from services.notifications.rules import Timing, fits
from services.notifications.scoring import Scorer

# Statuses only the employer moves a referral to: the first of them is the employer's response.
EMPLOYER_RESPONSES = frozenset({"applied", "interviewing", "offered", "unsuccessful"})


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def opportunity_item(opportunity: Opportunity, employer_name: str) -> dict[str, Any]:
    """What a digest or an alert lists of an opportunity."""
    return {"opportunity_id": str(opportunity.opportunity_id), "title": opportunity.title,
            "employer": employer_name, "type": opportunity.type, "postcode_district": opportunity.postcode_district,
            "wage_per_hour": opportunity.wage_per_hour, "closing_date": opportunity.closing_date.isoformat()}


def employer_name(session: Session, employer_id: uuid.UUID) -> str:
    employer = session.get(Employer, employer_id)
    return employer.name if employer is not None else "the employer"


def _on_profile(session: Session, event: EventEnvelope, snapshot: ProfileSnapshotV1) -> None:
    person = session.get(Person, snapshot.profile_id)
    if person is None:
        session.add(Person(profile_id=snapshot.profile_id, version=event.aggregate_version,
                           date_of_birth=snapshot.date_of_birth, adviser_id=snapshot.adviser_id))
    elif event.aggregate_version > person.version:
        person.version = event.aggregate_version
        person.date_of_birth = snapshot.date_of_birth
        person.adviser_id = snapshot.adviser_id


def erase_person(session: Session, profile_id: uuid.UUID) -> None:
    """Drop everything held of a person: preferences, saved searches, digest items, mail queued or sent."""
    messages = select(Message.id).where(Message.profile_id == profile_id)
    session.execute(delete(DeadLetter).where(DeadLetter.message_id.in_(messages)))
    for model in (Message, DigestItem, SavedSearch, Preference, Interest, ClockSeen, LapseSeen):
        session.execute(delete(model).where(model.profile_id == profile_id))  # type: ignore[attr-defined]
    session.execute(delete(Person).where(Person.profile_id == profile_id))
    session.execute(update(Referral).where(Referral.profile_id == profile_id).values(profile_id=None))


def _on_employer(session: Session, event: EventEnvelope, snapshot: EmployerSnapshotV1) -> None:
    employer = session.get(Employer, snapshot.employer_id)
    if employer is None:
        session.add(Employer(employer_id=snapshot.employer_id, version=event.aggregate_version, name=snapshot.name))
    elif event.aggregate_version > employer.version:
        employer.version, employer.name = event.aggregate_version, snapshot.name


def _on_opportunity(session: Session, event: EventEnvelope, snapshot: OpportunitySnapshotV1, clock: Clock,
                    timing: Timing, scorer: Scorer | None, min_similarity: float) -> None:
    fields = {"employer_id": snapshot.employer_id, "type": snapshot.type, "status": snapshot.status,
              "title": snapshot.title, "sector": snapshot.sector, "postcode_district": snapshot.postcode_district,
              "wage_per_hour": snapshot.wage_per_hour, "closing_date": snapshot.closing_date,
              "text": " ".join([snapshot.title, snapshot.description, *snapshot.skills])}
    row = session.get(Opportunity, snapshot.opportunity_id)
    if row is None:
        row = Opportunity(opportunity_id=snapshot.opportunity_id, version=event.aggregate_version, **fields)
        session.add(row)
    elif event.aggregate_version > row.version:
        row.version = event.aggregate_version
        for name, value in fields.items():
            setattr(row, name, value)
    if row.status == "live" and snapshot.held_back_reason is None and row.alerted_at is None:
        row.alerted_at = clock.now()
        session.flush()
        match_saved_searches(session, row, now=clock.now(), timing=timing, scorer=scorer,
                             min_similarity=min_similarity)


def match_saved_searches(session: Session, opportunity: Opportunity, *, now: dt.datetime, timing: Timing,
                         scorer: Scorer | None = None, min_similarity: float = 0.0) -> int:
    """Alert every saved search a newly live opportunity fits: at once (instant), or into the next digest. A
    search's words are scored by the matcher when there is one; if it does not answer (or has not read the
    opportunity yet) MatcherUnavailable rolls the event back, to be read again after a pause."""
    facts = {"type": opportunity.type, "sector": opportunity.sector, "text": opportunity.text,
             "postcode_district": opportunity.postcode_district, "wage_per_hour": opportunity.wage_per_hour}
    item = opportunity_item(opportunity, employer_name(session, opportunity.employer_id))
    matched = 0
    for search in session.scalars(select(SavedSearch).where(SavedSearch.active)):
        similarity = None if scorer is None else partial(scorer.similarity, search.text, opportunity.opportunity_id)
        if not fits(search.filters, search.text, facts, similarity, min_similarity):
            continue
        matched += 1
        if search.frequency == "instant":
            queue.enqueue(session, cause=f"search:{search.id}:{opportunity.opportunity_id}", kind="search_alert",
                          recipient=search.recipient, profile_id=search.profile_id, now=now,
                          params={"search_id": str(search.id), "search": search.name, "items": [item]})
        elif session.get(DigestItem, (search.id, opportunity.opportunity_id)) is None:
            session.add(DigestItem(search_id=search.id, opportunity_id=opportunity.opportunity_id,
                                   recipient=search.recipient, profile_id=search.profile_id,
                                   due_at=timing.digest_due(now, search.frequency)))  # type: ignore[arg-type]
    return matched


def _on_referral(session: Session, event: EventEnvelope, referral: ReferralV1 | ReferralV2, now: dt.datetime,
                 news_within: dt.timedelta) -> None:
    profile_id = referral.profile_id if isinstance(referral, ReferralV1) else None
    changed_at = _utc(referral.changed_at)
    row = session.get(Referral, referral.referral_id)
    if row is None:
        row = Referral(referral_id=referral.referral_id, version=0, profile_id=profile_id,
                       opportunity_id=referral.opportunity_id, employer_id=referral.employer_id,
                       adviser_id=referral.adviser_id, status=referral.status, referred_at=changed_at)
        session.add(row)
    if event.aggregate_version > row.version:
        row.version, row.status, row.adviser_id = event.aggregate_version, referral.status, referral.adviser_id
    if referral.status == "referred":
        row.referred_at = min(_utc(row.referred_at), changed_at)
    elif referral.status in EMPLOYER_RESPONSES:
        responded = row.employer_responded_at
        row.employer_responded_at = changed_at if responded is None else min(_utc(responded), changed_at)
    if profile_id is None or now - changed_at > news_within:
        return  # the person was erased (nothing goes to them), or this is old history read again
    queue.enqueue(session, cause=f"referral:{referral.referral_id}:{referral.status}", kind="referral_status",
                  recipient=queue.young_person(profile_id), profile_id=profile_id, now=now,
                  params={"referral_id": str(referral.referral_id), "status": referral.status,
                          "opportunity_id": str(referral.opportunity_id), "adviser_id": referral.adviser_id})


def apply_event(session: Session, event: EventEnvelope, *, clock: Clock, timing: Timing,
                news_within: dt.timedelta = dt.timedelta(hours=72), scorer: Scorer | None = None,
                min_similarity: float = 0.0) -> None:
    """Apply one event. An event still pseudonymised is about an erased person: only a referral's status counts
    (so an employer is not chased about a referral withdrawn at erasure)."""
    if is_pseudonymised(event):
        payload = event.typed_payload()
        if isinstance(payload, ReferralV2):
            _on_referral(session, event, payload, clock.now(), news_within)
        return
    payload = event.typed_payload()
    if isinstance(payload, ProfileSnapshotV1):
        _on_profile(session, event, payload)
    elif isinstance(payload, ProfileErasedV1):
        erase_person(session, payload.profile_id)
    elif isinstance(payload, EmployerSnapshotV1):
        _on_employer(session, event, payload)
    elif isinstance(payload, OpportunitySnapshotV1):
        _on_opportunity(session, event, payload, clock, timing, scorer, min_similarity)
    elif isinstance(payload, ReferralV1):
        _on_referral(session, event, payload, clock.now(), news_within)
    elif isinstance(payload, InterestV1) and session.get(Interest, payload.interest_id) is None:
        session.add(Interest(interest_id=payload.interest_id, profile_id=payload.profile_id,
                             opportunity_id=payload.opportunity_id, expressed_at=_utc(payload.expressed_at)))
