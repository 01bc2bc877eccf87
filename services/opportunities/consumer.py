"""What this service consumes: profile.erased on the profiles topic, so an erased person's data goes here too."""

from __future__ import annotations

from collections.abc import Sequence

import structlog
from sqlalchemy.orm import Session, sessionmaker

from services.messaging.consumer import BatchHandler, ConsumerRunner, transactional_handler
from services.messaging.contract import EventEnvelope, EventType, ProfileErasedV1, Topic
from services.opportunities.config import OpportunitiesSettings
from services.opportunities.erasure import forget_person
from services.opportunities.models import ProcessedEvent

log = structlog.get_logger("opportunities.consumer")


def apply_erasure(session: Session, event: EventEnvelope) -> None:
    """Forget the erased person, in the handler's transaction (with the processed-event row)."""
    erased: ProfileErasedV1 = event.typed_payload()
    touched = forget_person(session=session, profile_id=erased.profile_id, now=erased.erased_at)
    if touched:
        log.info("forgot an erased person", event_id=str(event.event_id), records=touched)


def erasures_only(handler: BatchHandler) -> BatchHandler:
    """Pass on profile.erased and drop every other profile event before it costs a transaction."""

    def handle(events: Sequence[EventEnvelope]) -> None:
        erasures = [event for event in events if event.event_type is EventType.PROFILE_ERASED]
        if erasures:
            handler(erasures)

    return handle


def make_consumer(settings: OpportunitiesSettings, session_factory: sessionmaker[Session]) -> ConsumerRunner:
    """A consumer of the profiles topic that applies each erasure once."""
    handler = transactional_handler(session_factory, ProcessedEvent, settings.consumer_group, apply_erasure)
    return ConsumerRunner(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        topics=[str(Topic.PROFILES)],
        group_id=settings.consumer_group,
        handler=erasures_only(handler),
    )
