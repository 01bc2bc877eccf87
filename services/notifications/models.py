"""The notifications service's own tables: what it knows of people, opportunities and referrals (from the topics),
preferences and saved searches (from people), and the mail it queues, sends and gives up on."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Boolean, Date, Float, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.clock import utcnow
from services.common.db import JSONType, UtcDateTime
from services.messaging.consumer import ProcessedEventMixin
from services.messaging.sealing import KnownSubjectMixin


class Base(DeclarativeBase):
    pass


class ProcessedEvent(ProcessedEventMixin, Base):
    pass


class KnownSubject(KnownSubjectMixin, Base):
    pass


class Person(Base):
    """A young person as the profile events show them: only what the rules here need (age, adviser)."""

    __tablename__ = "people"

    profile_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    date_of_birth: Mapped[dt.date] = mapped_column(Date)
    adviser_id: Mapped[str | None] = mapped_column(String(64))


class Employer(Base):
    __tablename__ = "employers"

    employer_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))


class Opportunity(Base):
    """What an email says of an opportunity and what saved searches filter on."""

    __tablename__ = "opportunities"

    opportunity_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    employer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    type: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    sector: Mapped[str] = mapped_column(String(60))
    postcode_district: Mapped[str] = mapped_column(String(8))
    wage_per_hour: Mapped[float] = mapped_column(Float)
    closing_date: Mapped[dt.date] = mapped_column(Date)
    # Set the first time it is seen live: a saved search is matched against it once.
    alerted_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())


class Referral(Base):
    """A referral and its employer-response clock."""

    __tablename__ = "referrals"
    __table_args__ = (Index("ix_referrals_waiting", "status", "employer_responded_at"),)

    referral_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    profile_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    opportunity_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    employer_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    adviser_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    referred_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    employer_responded_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())


class Interest(Base):
    """A young person said they are interested in an opportunity (for the closing-date reminders)."""

    __tablename__ = "interests"

    interest_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    profile_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    opportunity_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    expressed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class Preference(Base):
    """One recipient's choices: `recipient` is `young_person:<profile id>`, `adviser:<id>` or `employer:<id>`.
    A young person gets email only with `email` on (their consent to email contact, off until they give it);
    advisers and employers get work email unless they turn it off."""

    __tablename__ = "preferences"

    recipient: Mapped[str] = mapped_column(String(100), primary_key=True)
    profile_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    email: Mapped[bool] = mapped_column(Boolean)
    email_consented_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    quiet_hours: Mapped[bool] = mapped_column(Boolean, default=True)
    # The default frequency of new saved searches (a young person under 18: weekly).
    frequency: Mapped[str | None] = mapped_column(String(10))
    unsubscribe_token: Mapped[str] = mapped_column(String(64), unique=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class SavedSearch(Base):
    __tablename__ = "saved_searches"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    recipient: Mapped[str] = mapped_column(String(100), index=True)
    profile_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    name: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(String(200))
    filters: Mapped[dict[str, Any]] = mapped_column(JSONType)
    frequency: Mapped[str] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    unsubscribe_token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class DigestItem(Base):
    """A match waiting for its daily or weekly digest (the opportunity once per search)."""

    __tablename__ = "digest_items"

    search_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    opportunity_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(100), index=True)
    profile_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    due_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    batched_in: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class Message(Base):
    """One email, for one cause: `cause` is unique, so an event delivered twice queues nothing new. Rendered when
    it is sent; `subject` is kept for the person's list of what was sent."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_due", "status", "next_attempt_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    cause: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(100), index=True)
    profile_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # queued -> sent | suppressed (no consent, no address, unsubscribed) | dead (gave up: see dead_letters)
    status: Mapped[str] = mapped_column(String(12), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    subject: Mapped[str | None] = mapped_column(String(200))
    # Why it was not sent (never an address or a name).
    reason: Mapped[str | None] = mapped_column(String(200))


class ClockSeen(Base):
    """The guarantee clock status an adviser was last told of for a person (at_risk, overdue)."""

    __tablename__ = "clocks_seen"

    profile_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    adviser_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(12))


class LapseSeen(Base):
    """The lapse to "not known" an adviser was last told of for a person (the day it lapsed)."""

    __tablename__ = "lapses_seen"

    profile_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    adviser_id: Mapped[str] = mapped_column(String(64), index=True)
    since: Mapped[dt.date] = mapped_column(Date)


class DeadLetter(Base):
    """Mail given up on after the last attempt, with the last error, for someone to look at."""

    __tablename__ = "dead_letters"

    message_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    attempts: Mapped[int] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(String(500))
    dead_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
