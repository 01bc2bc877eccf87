"""The events service's own tables: the append-only event store and the projections derived from it."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    Index,
    Integer,
    String,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.clock import utcnow
from services.common.db import JSONType, UtcDateTime
from services.messaging.consumer import ProcessedEventMixin
from services.messaging.sealing import KnownSubjectMixin

_BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


class StoredEvent(Base):
    """Every event seen, in arrival order. Rows are never deleted; erasure replaces a payload with a marker."""

    __tablename__ = "event_store"
    __table_args__ = (
        Index("ix_event_store_aggregate", "aggregate_id", "occurred_at"),
        Index("ix_event_store_subject", "subject_id"),
        Index("ix_event_store_type_time", "event_type", "occurred_at"),
        Index("ix_event_store_time", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    event_type: Mapped[str] = mapped_column(String(100))
    topic: Mapped[str] = mapped_column(String(100))
    schema_version: Mapped[int] = mapped_column(Integer)
    producer: Mapped[str] = mapped_column(String(100))
    aggregate_id: Mapped[str] = mapped_column(String(64))
    aggregate_version: Mapped[int] = mapped_column(Integer)
    # The young person the event is about (profile events, referrals, interests), for erasure; once they are erased,
    # their erasure mark (and so is the aggregate id of their profile events).
    subject_id: Mapped[str | None] = mapped_column(String(64))
    occurred_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    redacted_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, default=None)


class ProcessedEvent(ProcessedEventMixin, Base):
    pass


class Person(Base):
    """What the clock and the returns need of a young person: the newest snapshot's status, adviser, priority groups,
    date of birth and postcode district, and the version of the activity record held."""

    __tablename__ = "people"

    profile_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    snapshot_version: Mapped[int] = mapped_column(Integer, default=0)
    special_version: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str | None] = mapped_column(String(20))
    adviser_id: Mapped[str | None] = mapped_column(String(64), index=True)
    priority_groups: Mapped[list[str]] = mapped_column(JSONType, default=list)
    send: Mapped[bool] = mapped_column(Boolean, default=False)
    registered_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, index=True)
    date_of_birth: Mapped[dt.date | None] = mapped_column(Date, default=None)
    postcode_district: Mapped[str | None] = mapped_column(String(8), default=None)
    activity_version: Mapped[int] = mapped_column(Integer, default=0)


class StatusChange(Base):
    """A person's status and adviser at each profile version; episodes are derived from these in version order, and
    whose caseload a person was on at a past date (a caseload transfer is a new version with another adviser)."""

    __tablename__ = "status_changes"

    profile_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    adviser_id: Mapped[str | None] = mapped_column(String(64), default=None)


class ActivitySpell(Base):
    """One spell of a person's activity record (NCCIS code), as in the newest record received; replaced whole when a
    newer version of the record arrives."""

    __tablename__ = "activity_spells"

    profile_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    spell_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    code: Mapped[int] = mapped_column(Integer)
    started_on: Mapped[dt.date] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(30))
    # ISO dates, oldest first.
    confirmed_on: Mapped[list[str]] = mapped_column(JSONType, default=list)
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class SeptemberOffer(Base):
    """A September Guarantee outcome of a person for a year, as in the newest activity record received."""

    __tablename__ = "september_offers"

    profile_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    outcome: Mapped[str] = mapped_column(String(30))
    recorded_on: Mapped[dt.date] = mapped_column(Date)


class ErasedExit(Base):
    """An anonymous tally row: someone, since erased, stopped waiting for an offer on this day, after this many days,
    this way and into this activity group (worked out when they were erased). Their later situation is unknown."""

    __tablename__ = "erased_exits"

    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    stopped_on: Mapped[dt.date] = mapped_column(Date, index=True)
    waited_days: Mapped[float] = mapped_column(Float)
    type: Mapped[str] = mapped_column(String(20))
    destination: Mapped[str] = mapped_column(String(30))
    positive: Mapped[bool] = mapped_column(Boolean)
    adviser_id: Mapped[str | None] = mapped_column(String(64))


class ExtractDownload(Base):
    """Each download of the monthly activity extract (it carries special category activity codes): who, when, which
    month and caseload, how many rows."""

    __tablename__ = "extract_downloads"

    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    downloaded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
    downloaded_by: Mapped[str] = mapped_column(String(64))
    month: Mapped[str] = mapped_column(String(7))
    adviser_id: Mapped[str | None] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)


class Episode(Base):
    """One run of the guarantee clock: from becoming NEET (or registering as NEET) to the first offer."""

    __tablename__ = "guarantee_episodes"

    profile_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    offer_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    offer_referral_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    is_current: Mapped[bool] = mapped_column(Boolean, index=True)


class Referral(Base):
    __tablename__ = "referrals"

    referral_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    # Nulled when the person is erased: the referral still happened and still counts.
    profile_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    opportunity_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    employer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    opportunity_type: Mapped[str] = mapped_column(String(30))
    adviser_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)


class ReferralMilestone(Base):
    """The first time a referral reached a status (kept whatever order the events arrive in)."""

    __tablename__ = "referral_milestones"
    __table_args__ = (Index("ix_referral_milestones_status_at", "status", "at"),)

    referral_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class Opportunity(Base):
    __tablename__ = "opportunities"

    opportunity_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    employer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    type: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20), index=True)
    positions: Mapped[int] = mapped_column(Integer)
    positions_filled: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class Employer(Base):
    __tablename__ = "employers"

    employer_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    sector: Mapped[str] = mapped_column(String(100))
    living_wage_employer: Mapped[bool] = mapped_column(Boolean)
    good_employment_charter: Mapped[bool] = mapped_column(Boolean)
    disability_confident: Mapped[bool] = mapped_column(Boolean)
    registered_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class KnownSubject(KnownSubjectMixin, Base):
    """The subject reference each person's events name them by, so their erasure can be applied; goes with it."""


class Erasure(Base):
    """The erasure record: that a person was erased and when, the person only as a one-way mark of their profile id.
    Later events about them are stored redacted."""

    __tablename__ = "erasures"

    mark: Mapped[str] = mapped_column(String(64), primary_key=True)
    erased_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class ErasedRegistration(Base):
    """An anonymous tally row: someone, since erased, registered on this day. Nothing links it to anyone."""

    __tablename__ = "erased_registrations"

    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    registered_on: Mapped[dt.date] = mapped_column(Date, index=True)


class ErasedOutcome(Base):
    """An anonymous tally row: someone, since erased, had an offer after this many days. One unlinked row per
    group they were in ('all' for the overall figure), so group memberships cannot be recombined."""

    __tablename__ = "erased_outcomes"

    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    group: Mapped[str] = mapped_column(String(30), index=True)
    adviser_id: Mapped[str | None] = mapped_column(String(64))
    days_to_offer: Mapped[float] = mapped_column(Float)
