from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Boolean, Date, Float, ForeignKey, Integer, LargeBinary, String, Text, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.clock import utcnow
from services.common.db import JSONType, UtcDateTime
from services.messaging.consumer import ProcessedEventMixin
from services.messaging.outbox import OutboxMixin


class Base(DeclarativeBase):
    pass


class Profile(Base):
    __tablename__ = "profiles"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[dt.date] = mapped_column(Date)
    postcode: Mapped[str] = mapped_column(String(8))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), index=True)
    on_universal_credit: Mapped[bool] = mapped_column(Boolean, default=False)
    priority_groups: Mapped[list[str]] = mapped_column(JSONType, default=list)
    skills: Mapped[list[str]] = mapped_column(JSONType, default=list)
    interests: Mapped[list[str]] = mapped_column(JSONType, default=list)
    qualifications: Mapped[list[dict[str, str]]] = mapped_column(JSONType, default=list)
    about: Mapped[str] = mapped_column(Text, default="")
    preferred_types: Mapped[list[str]] = mapped_column(JSONType, default=list)
    max_travel_km: Mapped[float] = mapped_column(Float, default=10.0)
    available_from: Mapped[dt.date | None] = mapped_column(Date)
    consent_share_with_employers: Mapped[bool] = mapped_column(Boolean, default=False)
    adviser_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # For spotting a person registered twice (services.profiles.duplicates): the name and phone normalised.
    name_key: Mapped[str] = mapped_column(String(201), index=True, default="")
    phone_key: Mapped[str | None] = mapped_column(String(20), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Counts changes to the activity record (spells, confirmations, September Guarantee offers): the version of its
    # profile.activity_recorded events.
    activity_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Adviser(Base):
    """An adviser of the Youth Employment hub, by the id their sign-in carries; work contact details only."""

    __tablename__ = "advisers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    team: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(20))
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class SpecialCategory(Base):
    """SEND/disability, ethnicity and the free text screening held back (`screened_text`: a list of
    {field, text, categories}), apart from the matchable profile."""

    __tablename__ = "profile_special_category"

    profile_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("profiles.id", ondelete="CASCADE"), primary_key=True)
    send: Mapped[bool] = mapped_column(Boolean, default=False)
    ethnicity: Mapped[str | None] = mapped_column(String(64))
    screened_text: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)


class SubjectKeys(Base):
    """A young person's pseudonymous subject reference (what events name them by) and data keys (what their events'
    fields are sealed with), each wrapped under the key-encryption key. Erasure deletes the row, and with it every
    way to read those events or link them to the person."""

    __tablename__ = "subject_keys"

    profile_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    subject: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    personal_key: Mapped[bytes] = mapped_column(LargeBinary)
    special_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ErasureRecord(Base):
    """The minimal trace an erasure leaves: that it happened, when, and on whose request; the person only as a
    one-way mark of their profile id (services.messaging.sealing.erasure_mark)."""

    __tablename__ = "erasures"

    mark: Mapped[str] = mapped_column(String(64), primary_key=True)
    erased_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    requested_by_role: Mapped[str] = mapped_column(String(20))


class ActivitySpell(Base):
    """One spell of what a young person was doing (an NCCIS activity code), from `started_on` until `ended_on`
    (open while None), who said so and when it was last confirmed. The record is the person's history; the current
    spell gives the profile's status."""

    __tablename__ = "activity_spells"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    profile_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    code: Mapped[int] = mapped_column(Integer)
    started_on: Mapped[dt.date] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(30))
    confirmed_on: Mapped[dt.date] = mapped_column(Date)  # the latest of its confirmations
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # The accepted referral that opened the spell (source "referral_outcome"), so a replayed acceptance opens no other.
    referral_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)


class ActivityConfirmation(Base):
    """A day a spell's activity was confirmed (the day it was recorded as confirmed is the first)."""

    __tablename__ = "activity_confirmations"

    spell_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("activity_spells.id", ondelete="CASCADE"),
                                                primary_key=True)
    confirmed_on: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    profile_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class SeptemberGuarantee(Base):
    """Whether a young person leaving Year 11 or Year 12 was made a suitable offer of education or training by the
    end of September of `year`."""

    __tablename__ = "september_guarantee"

    profile_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("profiles.id", ondelete="CASCADE"),
                                                  primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    outcome: Mapped[str] = mapped_column(String(30))
    recorded_on: Mapped[dt.date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ContactAttempt(Base):
    """An attempt to find out what a young person whose activity is not known is doing."""

    __tablename__ = "contact_attempts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    profile_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(20))
    attempted_on: Mapped[dt.date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class PlannedAction(Base):
    """Something an adviser and a young person agreed to do by a day (a category from the vocabulary), open until
    done."""

    __tablename__ = "planned_actions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    profile_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(String(500))
    due_on: Mapped[dt.date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(10))
    done_on: Mapped[dt.date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    done_by: Mapped[str | None] = mapped_column(String(64))


class Appointment(Base):
    """A meeting with a young person: when, how, where or a short note, and what happened once it was due."""

    __tablename__ = "appointments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    profile_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    mode: Mapped[str] = mapped_column(String(20))
    notes: Mapped[str] = mapped_column(String(300), default="")
    outcome: Mapped[str | None] = mapped_column(String(20))
    outcome_recorded_by: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class CaseloadTransfer(Base):
    """A young person moved from one adviser's caseload to another's: who, when, by whom and why."""

    __tablename__ = "caseload_transfers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    profile_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    from_adviser_id: Mapped[str | None] = mapped_column(String(64))
    to_adviser_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(300))
    transferred_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    transferred_by: Mapped[str] = mapped_column(String(64))


class OutboxRecord(OutboxMixin, Base):
    pass


class ProcessedEvent(ProcessedEventMixin, Base):
    """Referral events this service has applied (services/profiles/consumer.py)."""
