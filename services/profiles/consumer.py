"""What this service consumes: referral.status_changed on the referrals topic, so an accepted referral writes its
spell into the person's activity record (services.profiles.activity.record_referral_outcome)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy.orm import Session, sessionmaker

from services.common.clock import Clock
from services.messaging.broker import broker_security
from services.messaging.consumer import BatchHandler, ConsumerRunner, transactional_handler
from services.messaging.contract import EventEnvelope, EventType, ReferralV1, ReferralV2, Topic
from services.messaging.vocabulary import ACCEPTED
from services.profiles import activity
from services.profiles.config import ProfilesSettings
from services.profiles.keys import profile_of
from services.profiles.models import ProcessedEvent


def referral_outcomes(settings: ProfilesSettings, clock: Clock) -> Callable[[Session, EventEnvelope], None]:
    """Apply an accepted referral to the activity record of the person it names (by subject reference; an erased
    person is no longer known here, and gets nothing)."""

    def apply(session: Session, event: EventEnvelope) -> None:
        referral: ReferralV1 | ReferralV2 = event.typed_payload()
        if referral.status != ACCEPTED:
            return
        profile_id = profile_of(session, referral.subject) if isinstance(referral, ReferralV2) else referral.profile_id
        if profile_id is None:
            return
        activity.record_referral_outcome(
            session=session, profile_id=profile_id, referral_id=referral.referral_id,
            opportunity_type=referral.opportunity_type, accepted_on=referral.changed_at.date(), settings=settings,
            now=clock.now())

    return apply


def acceptances_only(handler: BatchHandler) -> BatchHandler:
    """Pass on referrals moved to accepted and drop every other event on the topic before it costs a transaction."""

    def handle(events: Sequence[EventEnvelope]) -> None:
        accepted = [event for event in events if event.event_type is EventType.REFERRAL_STATUS_CHANGED
                    and event.payload.get("status") == ACCEPTED]
        if accepted:
            handler(accepted)

    return handle


def make_consumer(settings: ProfilesSettings, session_factory: sessionmaker[Session], clock: Clock) -> ConsumerRunner:
    """A consumer of the referrals topic that applies each acceptance once."""
    handler = transactional_handler(session_factory, ProcessedEvent, settings.consumer_group,
                                    referral_outcomes(settings, clock))
    return ConsumerRunner(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        topics=[str(Topic.REFERRALS)],
        group_id=settings.consumer_group,
        handler=acceptances_only(handler),
        security=broker_security(settings),
    )
