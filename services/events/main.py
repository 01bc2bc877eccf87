from __future__ import annotations

import datetime as dt
import logging
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
from services.events.api import router
from services.events.candidates import CandidateSource, http_candidate_source
from services.events.config import EventsSettings
from services.events.exposure import ExposureAudit
from services.events.guarantee import ClockRules, summary
from services.events.ingest import apply_event
from services.events.metrics import HEADLINES, Headline
from services.events.models import KnownSubject, ProcessedEvent
from services.events.stats import outcome_stats
from services.messaging.broker import broker_is_usable, broker_security
from services.messaging.consumer import BatchHandler, ConsumerRunner, transactional_handler
from services.messaging.contract import ALL_TOPICS, KEY_PURPOSES
from services.messaging.sealing import KeyRing, Opener, SqlSubjectBook, http_key_ring, opening

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"


def make_handler(
    session_factory: sessionmaker[Session], engine: Engine, keys: KeyRing, consumer: str
) -> BatchHandler:
    """Open each batch with the personal and special category keys (this service may have both), apply each event
    in one transaction with its processed-id row, and scrub the database files after an erasure."""
    opener = Opener(keys, SqlSubjectBook(session_factory, KnownSubject), purposes=KEY_PURPOSES)
    handler = transactional_handler(session_factory, ProcessedEvent, consumer, apply_event)
    return opening(handler, opener, after_erasure=partial(scrub_after_erasure, engine))


def make_consumer(
    settings: EventsSettings, session_factory: sessionmaker[Session], engine: Engine, keys: KeyRing
) -> ConsumerRunner:
    """A consumer of every contract topic, the restricted one included (only this service may read it)."""
    return ConsumerRunner(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        topics=[str(topic) for topic in ALL_TOPICS],
        group_id=settings.consumer_group,
        handler=make_handler(session_factory, engine, keys, settings.consumer_group),
        security=broker_security(settings),
    )


def _refresh_every(audit: ExposureAudit, seconds: float, stop: threading.Event, first: float = 60.0) -> None:
    """A fresh exposure audit every `seconds`, the first a minute after start (the matcher is usually ready by
    then), so advisers rarely wait for one."""
    wait = min(first, seconds)
    while not stop.wait(wait):
        wait = seconds
        try:
            audit.refresh()
        except Exception:  # noqa: BLE001 - the next interval tries again; requests still compute their own
            log.exception("exposure audit: refresh failed")


def create_app(
    settings: EventsSettings | None = None, clock: Clock | None = None, keys: KeyRing | None = None,
    candidates: CandidateSource | None = None,
) -> FastAPI:
    """The events service. `keys` and `candidates` let tests give it their own key ring and candidate lists; by
    default it asks the profiles service and the matcher."""
    settings = settings or EventsSettings()
    verifier = settings.token_verifier("events")  # refuses to start in production without a provider
    rules = ClockRules.from_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        attach_database(app, settings.resolved_database_url(), MIGRATIONS, settings)
        stop = threading.Event()
        thread = None
        key_ring = keys or http_key_ring(settings, "events")
        if settings.consume:
            app.state.consumer = make_consumer(settings, app.state.session_factory, app.state.engine, key_ring)
            thread = app.state.consumer.start(stop)
        source = candidates or http_candidate_source(settings)
        app.state.exposure = ExposureAudit(
            source=source, session_factory=app.state.session_factory, threshold=rules.suppression_threshold,
            k=settings.exposure_list_length, max_age=dt.timedelta(seconds=settings.exposure_max_age_seconds),
            now=app.state.clock.now, wait=settings.exposure_wait_seconds,
        )
        refresher = None
        if settings.exposure_refresh_seconds > 0:
            refresher = threading.Thread(target=_refresh_every, name="exposure-audit", daemon=True,
                                         args=(app.state.exposure, settings.exposure_refresh_seconds, stop))
            refresher.start()

        def headline() -> Headline:
            now = app.state.clock.now()
            with app.state.session_factory() as session:
                return Headline(
                    stats=outcome_stats(session=session, now=now, month=None, threshold=rules.suppression_threshold),
                    guarantee=summary(session=session, now=now, rules=rules).overall,
                )

        HEADLINES.attach(headline)
        observability.freeze_held_objects(settings)
        try:
            yield
        finally:
            HEADLINES.attach(None)
            stop.set()
            if thread is not None:
                thread.join(timeout=20)
            if refresher is not None:
                refresher.join(timeout=20)
            if candidates is None:
                source.close()
            if keys is None:
                key_ring.close()
            app.state.engine.dispose()

    app = FastAPI(title="Youth Guarantee: events, guarantee clock and outcome figures", version="1.0",
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
    observability.install(app, service="events", readiness=readiness)
    ratelimit.install(app, settings=settings, service="events")
    errors.install_handlers(app)
    app.include_router(router)
    return app
