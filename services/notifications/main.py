from __future__ import annotations

import datetime as dt
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from services.common import errors, observability, ratelimit
from services.common.app_state import attach_database
from services.common.clock import Clock, SystemClock
from services.common.db import database_is_usable, scrub_after_erasure
from services.common.readiness import readiness_report
from services.common.tokens import service_token_source
from services.messaging.broker import broker_is_usable, broker_security
from services.messaging.consumer import BatchHandler, ConsumerRunner, transactional_handler
from services.messaging.contract import Topic
from services.messaging.sealing import KeyRing, Opener, SqlSubjectBook, http_key_ring, opening
from services.notifications.api import router
from services.notifications.channels import Channel, make_channel
from services.notifications.config import NotificationsSettings
from services.notifications.contacts import Contacts, HttpContacts
from services.notifications.delivery import Delivery
from services.notifications.ingest import apply_event
from services.notifications.models import KnownSubject, ProcessedEvent
from services.notifications.rules import Timing
from services.notifications.scoring import HttpScorer, Scorer

MIGRATIONS = Path(__file__).parent / "migrations"
# Not the restricted topic: nothing here needs special category data.
TOPICS = (Topic.PROFILES, Topic.EMPLOYERS, Topic.OPPORTUNITIES, Topic.REFERRALS)


def make_handler(settings: NotificationsSettings, session_factory: sessionmaker[Session], engine: Engine,
                 keys: KeyRing, clock: Clock, scorer: Scorer | None = None) -> BatchHandler:
    """Open each batch with the personal keys and apply each event in one transaction with its processed id."""
    opener = Opener(keys, SqlSubjectBook(session_factory, KnownSubject))
    apply = partial(apply_event, clock=clock, timing=Timing.from_settings(settings),
                    news_within=dt.timedelta(hours=settings.news_within_hours), scorer=scorer,
                    min_similarity=settings.search_alert_min_similarity)
    handler = transactional_handler(session_factory, ProcessedEvent, settings.consumer_group, apply)
    return opening(handler, opener, after_erasure=partial(scrub_after_erasure, engine))


def http_contacts(settings: NotificationsSettings) -> HttpContacts:
    signer = settings.service_signer("notifications")
    return HttpContacts((settings.profiles_url, service_token_source(signer, "profiles")),
                        (settings.opportunities_url, service_token_source(signer, "opportunities")),
                        (settings.events_url, service_token_source(signer, "events")),
                        timeout=settings.profiles_timeout_seconds)


def http_scorer(settings: NotificationsSettings) -> HttpScorer | None:
    if settings.search_text_by == "words":
        return None
    signer = settings.service_signer("notifications")
    return HttpScorer(settings.matching_url, service_token_source(signer, "matching"),
                      timeout=settings.profiles_timeout_seconds)


def create_app(
    settings: NotificationsSettings | None = None, clock: Clock | None = None, keys: KeyRing | None = None,
    contacts: Contacts | None = None, channel: Channel | None = None, scorer: Scorer | None = None,
) -> FastAPI:
    """The notifications service. Tests hand it their own key ring, contacts, channel and clock; by default it asks
    the profiles and opportunities services and sends by the channel its settings name."""
    settings = settings or NotificationsSettings()
    verifier = settings.token_verifier("notifications")
    chosen_channel = channel or make_channel(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        attach_database(app, settings.resolved_database_url(), MIGRATIONS, settings)
        stop = threading.Event()
        threads = []
        key_ring = keys or http_key_ring(settings, "notifications")
        directory = contacts or http_contacts(settings)
        matcher = scorer or http_scorer(settings)
        app.state.delivery = Delivery(app.state.session_factory, chosen_channel, directory, settings,
                                      app.state.clock)
        if settings.consume:
            app.state.consumer = ConsumerRunner(
                bootstrap_servers=settings.kafka_bootstrap_servers, topics=[str(topic) for topic in TOPICS],
                group_id=settings.consumer_group,
                handler=make_handler(settings, app.state.session_factory, app.state.engine, key_ring,
                                     app.state.clock, matcher),
                security=broker_security(settings),
            )
            threads.append(app.state.consumer.start(stop))
        threads.append(app.state.delivery.start(stop))
        observability.freeze_held_objects(settings)
        try:
            yield
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=20)
            if keys is None:
                key_ring.close()
            if contacts is None:
                directory.close()
            if scorer is None and matcher is not None:
                matcher.close()
            chosen_channel.close()
            app.state.engine.dispose()

    app = FastAPI(title="Youth Guarantee: notifications (saved searches, alerts, reminders)", version="1.0",
                  lifespan=lifespan)
    app.state.settings = settings
    app.state.token_verifier = verifier
    app.state.clock = clock or SystemClock()
    app.state.consumer = None

    def readiness() -> dict[str, Any]:
        database = partial(database_is_usable, app.state.engine)
        broker = partial(broker_is_usable, settings.kafka_bootstrap_servers, broker_security(settings))
        return readiness_report([database, broker], app.state.consumer)

    observability.configure_logging(settings.log_level, settings.log_json)
    observability.install(app, service="notifications", readiness=readiness)
    ratelimit.install(app, settings=settings, service="notifications")
    errors.install_handlers(app)
    app.include_router(router)
    return app
