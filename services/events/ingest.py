"""The consumer's use case: append each event to the store and fold it into the projections, in the
caller's transaction. Projections keep the newest aggregate version and first-reached times, so duplicates
and out-of-order delivery converge on the same figures."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from services.common.clock import utcnow
from services.events.activity import forget_record, replace_record
from services.events.guarantee import days_between, groups_of, rebuild_episodes
from services.events.models import (
    Employer,
    Episode,
    ErasedOutcome,
    ErasedRegistration,
    Erasure,
    KnownSubject,
    Opportunity,
    Person,
    Referral,
    ReferralMilestone,
    StatusChange,
    StoredEvent,
)
from services.events.returns import keep_exits_of_erased
from services.messaging.contract import (
    ActivityRecordV1,
    EmployerSnapshotV1,
    EventEnvelope,
    EventType,
    InterestV1,
    OpportunitySnapshotV1,
    ProfileErasedV1,
    ProfileSnapshotV1,
    ProfileSpecialCategoryV1,
    RecordViewedV1,
    ReferralV1,
    SuggestionDismissedV1,
    SuggestionsServedV1,
)
from services.messaging.sealing import erasure_mark, is_pseudonymised
from services.messaging.vocabulary import SPECIAL_CATEGORY_ACTIVITY_CODES

REDACTED: dict[str, Any] = {"redacted": True}
WITHHELD = "[withheld]"
# An accepted offer was an offer, even if the `offered` step never reached us.
IMPLIED_MILESTONES = {"accepted": ("offered",)}
OFFER_STATUS = "offered"
ModelT = TypeVar("ModelT", bound=BaseModel)
RowT = TypeVar("RowT", Employer, Opportunity, Referral)


def _utc(value: Any) -> Any:
    """Timestamps as aware UTC; a producer on SQLite may send them without a zone, which means UTC here."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    return value


def _in_utc(model: ModelT) -> ModelT:
    """A copy of an envelope or payload with every top-level timestamp in aware UTC."""
    updates = {name: _utc(value) for name, value in model if isinstance(value, dt.datetime)}
    return model.model_copy(update=updates) if updates else model


def _subject_of(event: EventEnvelope, payload: Any) -> uuid.UUID | None:
    """The young person an event is about, if any."""
    if isinstance(
        payload,
        ProfileSnapshotV1 | ProfileErasedV1 | ProfileSpecialCategoryV1 | ActivityRecordV1 | ReferralV1 | InterestV1
        | RecordViewedV1 | SuggestionsServedV1 | SuggestionDismissedV1,
    ):
        return payload.profile_id
    return None


def _stored_payload(event: EventEnvelope) -> dict[str, Any]:
    """The payload as kept: ethnicity and screened free text are special category data the events service has no
    use for, nor has the audit log for an activity code about health or religion (the projection keeps it); an
    erasure keeps only when it happened (the person is found by their erasure mark)."""
    payload = dict(event.payload)
    if event.event_type is EventType.PROFILE_ERASED:
        return {"erased_at": payload["erased_at"]}
    if event.event_type is EventType.PROFILE_SPECIAL_CATEGORY_SET and payload.get("ethnicity") is not None:
        payload["ethnicity"] = WITHHELD
    if event.event_type is EventType.PROFILE_SPECIAL_CATEGORY_SET and payload.get("screened_text"):
        payload["screened_text"] = WITHHELD
    if event.event_type is EventType.PROFILE_ACTIVITY_RECORDED:
        payload["spells"] = [
            {**spell, "code": WITHHELD} if spell.get("code") in SPECIAL_CATEGORY_ACTIVITY_CODES else spell
            for spell in payload.get("spells", [])
        ]
    return payload


def _store(session: Session, event: EventEnvelope, subject: uuid.UUID | None, redact: bool, erased: bool) -> None:
    now = utcnow()
    mark = erasure_mark(subject) if erased and subject is not None else None
    session.add(
        StoredEvent(
            event_id=str(event.event_id),
            event_type=str(event.event_type),
            topic=str(event.topic),
            schema_version=event.schema_version,
            producer=event.producer,
            aggregate_id=mark if mark and event.aggregate_id == str(subject) else event.aggregate_id,
            aggregate_version=event.aggregate_version,
            subject_id=mark or (str(subject) if subject else None),
            occurred_at=event.occurred_at,
            received_at=now,
            payload=REDACTED if redact else _stored_payload(event),
            redacted_at=now if redact else None,
        )
    )


def _person(session: Session, profile_id: uuid.UUID) -> Person:
    person = session.get(Person, profile_id)
    if person is None:
        person = Person(
            profile_id=profile_id, snapshot_version=0, special_version=0, activity_version=0, priority_groups=[],
            send=False,
        )
        session.add(person)
    return person


def _rebuild(session: Session, profile_id: uuid.UUID) -> None:
    person = session.get(Person, profile_id)
    if person is None:
        return
    history = session.execute(
        select(StatusChange.version, StatusChange.status, StatusChange.at).where(
            StatusChange.profile_id == profile_id
        )
    ).tuples()
    offers = session.execute(
        select(ReferralMilestone.at, ReferralMilestone.referral_id)
        .join(Referral, Referral.referral_id == ReferralMilestone.referral_id)
        .where(Referral.profile_id == profile_id, ReferralMilestone.status == OFFER_STATUS)
    ).tuples()
    rebuild_episodes(session, profile_id, list(history), list(offers), person.registered_at)


def _on_snapshot(session: Session, event: EventEnvelope, snapshot: ProfileSnapshotV1) -> None:
    person = _person(session, snapshot.profile_id)
    if event.aggregate_version > person.snapshot_version:
        person.snapshot_version = event.aggregate_version
        person.status = snapshot.status
        person.adviser_id = snapshot.adviser_id
        person.priority_groups = list(snapshot.priority_groups)
        person.date_of_birth = snapshot.date_of_birth
        person.postcode_district = snapshot.postcode_district
    person.registered_at = person.registered_at or snapshot.registered_at
    if session.get(StatusChange, (snapshot.profile_id, event.aggregate_version)) is None:
        at = snapshot.registered_at if event.event_type is EventType.PROFILE_REGISTERED else event.occurred_at
        session.add(
            StatusChange(
                profile_id=snapshot.profile_id, version=event.aggregate_version, status=snapshot.status, at=at,
                adviser_id=snapshot.adviser_id,
            )
        )
    session.flush()
    _rebuild(session, snapshot.profile_id)


def _on_special_category(session: Session, event: EventEnvelope, special: ProfileSpecialCategoryV1) -> None:
    person = _person(session, special.profile_id)
    if event.aggregate_version > person.special_version:
        person.special_version = event.aggregate_version
        person.send = special.send


def _on_activity(session: Session, event: EventEnvelope, record: ActivityRecordV1) -> None:
    """The newest version of the activity record replaces the one held; an older one changes nothing."""
    person = _person(session, record.profile_id)
    if event.aggregate_version > person.activity_version:
        person.activity_version = event.aggregate_version
        replace_record(session, record)


def _on_erased(session: Session, event: EventEnvelope, erased: ProfileErasedV1) -> None:
    """Drop everything held of the person; keep the erasure record, a redacted trail and anonymous tallies (an offer
    they had, their registration, the times they stopped waiting)."""
    profile_id = erased.profile_id
    person = session.get(Person, profile_id)
    if person is not None:
        keep_exits_of_erased(session, profile_id, erased.erased_at.date())
        current = session.scalars(
            select(Episode).where(Episode.profile_id == profile_id, Episode.is_current)
        ).first()
        if current is not None and current.offer_at is not None:
            days = days_between(current.started_at, current.offer_at)
            for group in ("all", *groups_of(person)):
                session.add(ErasedOutcome(group=group, adviser_id=person.adviser_id, days_to_offer=days))
        if person.registered_at is not None:
            session.add(ErasedRegistration(registered_on=person.registered_at.date()))
        for model in (Episode, StatusChange):
            for row in session.scalars(select(model).where(model.profile_id == profile_id)):
                session.delete(row)
        session.delete(person)
    forget_record(session, profile_id)
    session.execute(update(Referral).where(Referral.profile_id == profile_id).values(profile_id=None))
    key, mark = str(profile_id), erasure_mark(profile_id)
    session.execute(
        update(StoredEvent)
        .where(
            StoredEvent.subject_id == key,
            StoredEvent.event_type != str(EventType.PROFILE_ERASED),
            StoredEvent.redacted_at.is_(None),
        )
        .values(payload=REDACTED, redacted_at=utcnow())
    )
    session.execute(update(StoredEvent).where(StoredEvent.subject_id == key).values(subject_id=mark))
    session.execute(update(StoredEvent).where(StoredEvent.aggregate_id == key).values(aggregate_id=mark))
    session.execute(delete(KnownSubject).where(KnownSubject.profile_id == profile_id))
    if session.get(Erasure, mark) is None:
        session.add(Erasure(mark=mark, erased_at=erased.erased_at))


def _newest(
    session: Session, model: type[RowT], key: dict[str, Any], version: int, fields: dict[str, Any], **first: Any
) -> RowT:
    """The projection row of an aggregate (created with `first` values when new); `fields` are written only when
    `version` is newer than the one it holds, so duplicates and late events never move it back."""
    row = session.get(model, next(iter(key.values())))
    if row is None:
        row = model(**key, version=0, **first)
        session.add(row)
    if version > row.version:
        for name, value in {"version": version, **fields}.items():
            setattr(row, name, value)
    return row


def _on_employer(session: Session, event: EventEnvelope, employer: EmployerSnapshotV1) -> None:
    fields = employer.model_dump(
        include={"sector", "living_wage_employer", "good_employment_charter", "disability_confident"}
    )
    row = _newest(session, Employer, {"employer_id": employer.employer_id}, event.aggregate_version, fields,
                  registered_at=event.occurred_at)
    row.registered_at = min(row.registered_at, event.occurred_at)


def _on_opportunity(session: Session, event: EventEnvelope, opportunity: OpportunitySnapshotV1) -> None:
    fields = opportunity.model_dump(include={"employer_id", "type", "status", "positions", "positions_filled"})
    row = _newest(session, Opportunity, {"opportunity_id": opportunity.opportunity_id}, event.aggregate_version,
                  fields)
    published = opportunity.published_at
    if published is None and event.event_type is EventType.OPPORTUNITY_PUBLISHED:
        published = event.occurred_at
    if published is not None:
        row.published_at = min(row.published_at, published) if row.published_at else published


def _milestone(session: Session, referral_id: uuid.UUID, status: str, at: Any) -> None:
    row = session.get(ReferralMilestone, (referral_id, status))
    if row is None:
        session.add(ReferralMilestone(referral_id=referral_id, status=status, at=at))
    elif at < row.at:
        row.at = at


def _on_referral(session: Session, event: EventEnvelope, referral: ReferralV1, erased: bool) -> None:
    fields = referral.model_dump(include={"opportunity_id", "employer_id", "opportunity_type", "adviser_id", "status"})
    row = _newest(session, Referral, {"referral_id": referral.referral_id}, event.aggregate_version, fields,
                  created_at=referral.changed_at)
    row.created_at = min(row.created_at, referral.changed_at)
    row.profile_id = None if erased else referral.profile_id
    for status in (referral.status, *IMPLIED_MILESTONES.get(referral.status, ())):
        _milestone(session, referral.referral_id, status, referral.changed_at)
    session.flush()
    if not erased:
        _rebuild(session, referral.profile_id)


def apply_event(session: Session, event: EventEnvelope) -> None:
    """Append an event to the store and update the projections; events about an erased person are stored
    redacted and only referrals still count, anonymously. An event still pseudonymised could not be opened: its
    person was erased (their keys are gone), so it is stored redacted and changes nothing."""
    event = _in_utc(event)
    if is_pseudonymised(event):
        _store(session, event, None, redact=event.event_type is not EventType.PROFILE_ERASED, erased=False)
        return
    payload = _in_utc(event.typed_payload())
    subject = _subject_of(event, payload)
    erased = subject is not None and session.get(Erasure, erasure_mark(subject)) is not None
    _store(session, event, subject, redact=erased and event.event_type is not EventType.PROFILE_ERASED, erased=erased)
    if isinstance(payload, ReferralV1):
        _on_referral(session, event, payload, erased)
    elif isinstance(payload, EmployerSnapshotV1):
        _on_employer(session, event, payload)
    elif isinstance(payload, OpportunitySnapshotV1):
        _on_opportunity(session, event, payload)
    elif erased:
        return
    elif isinstance(payload, ProfileSnapshotV1):
        _on_snapshot(session, event, payload)
    elif isinstance(payload, ProfileSpecialCategoryV1):
        _on_special_category(session, event, payload)
    elif isinstance(payload, ActivityRecordV1):
        _on_activity(session, event, payload)
    elif isinstance(payload, ProfileErasedV1):
        _on_erased(session, event, payload)
