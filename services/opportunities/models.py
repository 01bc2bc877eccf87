from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.clock import utcnow
from services.common.db import JSONType, UtcDateTime
from services.messaging.consumer import ProcessedEventMixin
from services.messaging.outbox import OutboxMixin
from services.messaging.sealing import KnownSubjectMixin


class Base(DeclarativeBase):
    pass


class Employer(Base):
    __tablename__ = "employers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    postcode: Mapped[str] = mapped_column(String(8))
    sector: Mapped[str] = mapped_column(String(60), index=True)
    contact_email: Mapped[str] = mapped_column(String(254))
    disability_confident: Mapped[bool] = mapped_column(Boolean, default=False)
    living_wage_employer: Mapped[bool] = mapped_column(Boolean, default=False)
    good_employment_charter: Mapped[bool] = mapped_column(Boolean, default=False)
    registered_by: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class Opportunity(Base):
    __tablename__ = "opportunities"
    __table_args__ = (Index("ix_opportunities_browse", "status", "closing_date"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    employer_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("employers.id"), index=True)
    type: Mapped[str] = mapped_column(String(20), index=True)
    status: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    skills: Mapped[list[str]] = mapped_column(JSONType, default=list)
    sector: Mapped[str] = mapped_column(String(60), index=True)
    level: Mapped[int | None] = mapped_column(Integer)
    postcode: Mapped[str] = mapped_column(String(8))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    remote: Mapped[bool] = mapped_column(Boolean, default=False)
    hours_per_week: Mapped[float] = mapped_column(Float)
    wage_pence_per_hour: Mapped[int] = mapped_column(Integer)
    annual_wage_pence: Mapped[int | None] = mapped_column(Integer)
    wage_after_first_year_pence: Mapped[int | None] = mapped_column(Integer)
    duration_months: Mapped[int | None] = mapped_column(Integer)
    positions: Mapped[int] = mapped_column(Integer)
    positions_filled: Mapped[int] = mapped_column(Integer, default=0)
    start_date: Mapped[dt.date] = mapped_column(Date)
    closing_date: Mapped[dt.date] = mapped_column(Date)
    min_age: Mapped[int | None] = mapped_column(Integer)
    max_age: Mapped[int | None] = mapped_column(Integer)
    requires_universal_credit: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_reason: Mapped[str | None] = mapped_column(String(300))
    # Set by the sweep when a new minimum wage rate leaves a live opportunity below it; cleared by the fix.
    held_back_reason: Mapped[str | None] = mapped_column(Text)
    held_back_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    published_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class Referral(Base):
    """A young person put forward for an opportunity. When the person is erased the row stays, as an anonymous
    outcome the opportunity's places count on: no person link, no free text, `erased_at` set."""

    __tablename__ = "referrals"
    __table_args__ = (Index("ix_referrals_pair", "opportunity_id", "profile_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    profile_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    opportunity_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("opportunities.id"))
    employer_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    adviser_id: Mapped[str | None] = mapped_column(String(64), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), index=True)
    feedback: Mapped[str | None] = mapped_column(Text)
    feedback_by: Mapped[str | None] = mapped_column(String(20), default=None)  # the role that wrote the feedback
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    erased_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, default=None)
    # Oversight: the suggestion list and rank the referral came from (none: not suggested), and the adviser's reason
    # for going outside the top suggestions (a code; words, which erasure clears with the note).
    suggestion_list_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    suggestion_rank: Mapped[int | None] = mapped_column(Integer, default=None)
    oversight_reason: Mapped[str | None] = mapped_column(String(40), default=None)
    oversight_words: Mapped[str | None] = mapped_column(Text, default=None)


class Dismissal(Base):
    """An adviser dismissed a suggestion for a young person, with a reason (a code and/or words): the opportunity
    is not suggested to them again. Deleted with the person."""

    __tablename__ = "dismissals"
    __table_args__ = (Index("ix_dismissals_pair", "profile_id", "opportunity_id", unique=True),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    profile_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    opportunity_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("opportunities.id"))
    adviser_id: Mapped[str] = mapped_column(String(64), index=True)
    suggestion_list_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    suggestion_rank: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(40))
    words: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class ReferralStatusChange(Base):
    """The referral's timeline: who moved it from which status to which, and when."""

    __tablename__ = "referral_status_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    referral_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("referrals.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    changed_by_role: Mapped[str] = mapped_column(String(20))
    changed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class Interest(Base):
    """A young person said "I'm interested": a referral request their adviser sees."""

    __tablename__ = "interests"
    __table_args__ = (Index("ix_interests_pair", "opportunity_id", "profile_id", unique=True),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    profile_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    opportunity_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("opportunities.id"))
    adviser_id: Mapped[str | None] = mapped_column(String(64), index=True)
    message: Mapped[str] = mapped_column(Text, default="")
    referral_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class HeldBackText(Base):
    """Free text about a young person that screening found to hold special category data (a referral's note or
    feedback, an interest's message), kept apart from the row it belongs to, which keeps none of it: shown to
    advisers and the young person, never to employers."""

    __tablename__ = "held_back_text"
    __table_args__ = (Index("ix_held_back_text_owner", "owner_id", "field", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    profile_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    field: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    categories: Mapped[list[str]] = mapped_column(JSONType, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class OutboxRecord(OutboxMixin, Base):
    pass


class ProcessedEvent(ProcessedEventMixin, Base):
    pass


class KnownSubject(KnownSubjectMixin, Base):
    """The subject reference each referred or interested person's events name them by; it goes with their erasure."""
