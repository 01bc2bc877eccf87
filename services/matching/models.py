"""The matcher's own tables: its outbox (each suggestion list served, on its way to the audit log) and which
person each list was about, so their erasure reaches those rows. The index itself is files, not tables."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import String, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.db import UtcDateTime
from services.messaging.outbox import OutboxMixin


class Base(DeclarativeBase):
    pass


class OutboxRecord(OutboxMixin, Base):
    pass


class ServedList(Base):
    """A suggestion list served about a person (by subject reference): its outbox row is redacted at their erasure."""

    __tablename__ = "served_lists"

    list_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    subject: Mapped[str] = mapped_column(String(36), index=True)
    served_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
