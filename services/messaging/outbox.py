"""The transactional outbox: each producing service maps this table into its own database and writes its
events here in the same transaction as the change; the relay publishes them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, delete, select
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column

from services.common.clock import utcnow
from services.common.db import JSONType, UtcDateTime
from services.messaging.contract import EventEnvelope, EventType, PayloadModel, make_event

OUTBOX_TABLE = "outbox"
# On PostgreSQL a trigger notifies this channel when a transaction that added outbox rows commits, so the relay
# publishes at once instead of polling (a database's channels are its own).
OUTBOX_CHANNEL = "outbox_added"
_NOTIFY_FUNCTION = "outbox_notify_added"


class OutboxMixin:
    """Columns of the outbox table; a service declares `class OutboxRecord(OutboxMixin, Base)`."""

    __tablename__ = OUTBOX_TABLE

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    topic: Mapped[str] = mapped_column(String(100))
    event_type: Mapped[str] = mapped_column(String(100))
    aggregate_id: Mapped[str] = mapped_column(String(64))
    envelope: Mapped[dict] = mapped_column(JSONType)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    redacted_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), default=None)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Index, ...]:
        return (
            Index("ix_outbox_unsent", "sent_at", "id"),
            Index("ix_outbox_aggregate", "aggregate_id"),
        )


def create_outbox_notification(op: Any) -> None:
    """For a service's migration (`op` is alembic's): the trigger behind OUTBOX_CHANNEL, on PostgreSQL only."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"CREATE FUNCTION {_NOTIFY_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN PERFORM pg_notify('{OUTBOX_CHANNEL}', ''); RETURN NULL; END $$"
    )
    op.execute(
        f"CREATE TRIGGER {_NOTIFY_FUNCTION} AFTER INSERT ON {OUTBOX_TABLE} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {_NOTIFY_FUNCTION}()"
    )


def drop_outbox_notification(op: Any) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP TRIGGER IF EXISTS {_NOTIFY_FUNCTION} ON {OUTBOX_TABLE}")
    op.execute(f"DROP FUNCTION IF EXISTS {_NOTIFY_FUNCTION}()")


def add_to_outbox(session: Session, record_type: type[OutboxMixin], event: EventEnvelope) -> None:
    """Stage an event in the caller's transaction."""
    session.add(
        record_type(  # type: ignore[call-arg]
            event_id=str(event.event_id),
            topic=str(event.topic),
            event_type=str(event.event_type),
            aggregate_id=event.aggregate_id,
            envelope=event.model_dump(mode="json"),
        )
    )


def stage_event(
    session: Session,
    record_type: type[OutboxMixin],
    event_type: EventType,
    *,
    producer: str,
    aggregate_id: object,
    version: int,
    payload: PayloadModel,
    at: dt.datetime,
) -> EventEnvelope:
    """Build an event from a typed payload and stage it in the caller's transaction."""
    event = make_event(
        event_type,
        producer=producer,
        aggregate_id=str(aggregate_id),
        aggregate_version=version,
        payload=payload,
        occurred_at=at,
    )
    add_to_outbox(session, record_type, event)
    return event


def redact_aggregate(session: Session, record_type: type[OutboxMixin], aggregate_id: str) -> None:
    """Strip an aggregate's earlier events of personal data: unsent ones are dropped (nobody saw them),
    sent ones keep their envelope headers with the payload replaced by a redaction marker."""
    session.execute(delete(record_type).where(record_type.aggregate_id == aggregate_id, record_type.sent_at.is_(None)))
    now = utcnow()
    for row in session.scalars(select(record_type).where(record_type.aggregate_id == aggregate_id)):
        row.envelope = {**row.envelope, "payload": {"redacted": True}}
        row.redacted_at = now
