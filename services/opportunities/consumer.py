"""What this service consumes: profile.erased on the profiles topic, so an erased person's data goes here too."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import structlog
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from services.common.db import scrub_after_erasure
from services.messaging.broker import broker_security
from services.messaging.consumer import BatchHandler, ConsumerRunner, transactional_handler
from services.messaging.contract import EventEnvelope, EventType, ProfileErasedV1, ProfileErasedV2, Topic
from services.opportunities.config import OpportunitiesSettings
from services.opportunities.erasure import forget_person
from services.opportunities.models import KnownSubject, ProcessedEvent

log = structlog.get_logger("opportunities.consumer")


def apply_erasure(session: Session, event: EventEnvelope) -> None:
    """Forget the erased person, in the handler's transaction (with the processed-event row). The event names them
    by subject reference: a person this service never referred nor heard from is not known here, and holds nothing."""
    erased: ProfileErasedV1 | ProfileErasedV2 = event.typed_payload()
    if isinstance(erased, ProfileErasedV2):
        known = session.get(KnownSubject, erased.subject)
        if known is None:
            return
        profile_id = known.profile_id
    else:
        profile_id = erased.profile_id
    touched = forget_person(session=session, profile_id=profile_id, now=erased.erased_at)
    if touched:
        log.info("forgot an erased person", event_id=str(event.event_id), records=touched)


def erasures_only(handler: BatchHandler, after_erasure: Callable[[], object] | None = None) -> BatchHandler:
    """Pass on profile.erased and drop every other profile event before it costs a transaction; once erasures are
    applied, call `after_erasure` (to scrub the database files)."""

    def handle(events: Sequence[EventEnvelope]) -> None:
        erasures = [event for event in events if event.event_type is EventType.PROFILE_ERASED]
        if erasures:
            handler(erasures)
            if after_erasure is not None:
                after_erasure()

    return handle


def make_consumer(
    settings: OpportunitiesSettings, session_factory: sessionmaker[Session], engine: Engine
) -> ConsumerRunner:
    """A consumer of the profiles topic that applies each erasure once."""
    handler = transactional_handler(session_factory, ProcessedEvent, settings.consumer_group, apply_erasure)
    return ConsumerRunner(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        topics=[str(Topic.PROFILES)],
        group_id=settings.consumer_group,
        handler=erasures_only(handler, partial(scrub_after_erasure, engine)),
        security=broker_security(settings),
    )
