from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from services.common import errors, observability, ratelimit
from services.common.app_state import attach_database
from services.common.clock import Clock, SystemClock
from services.common.db import database_is_usable
from services.common.readiness import readiness_report
from services.messaging.broker import broker_is_usable, broker_security
from services.profiles.api import activity_router, adviser_work_router, advisers_router, keys_router, router
from services.profiles.config import ProfilesSettings
from services.profiles.consumer import make_consumer
from services.profiles.lapses import DailyLapses
from services.profiles.sign_in import development_router, jwks_router

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: ProfilesSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or ProfilesSettings()
    verifier = settings.token_verifier("profiles")  # refuses to start in production without a provider
    settings.kek()  # nor without a key-encryption key

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        attach_database(app, settings.resolved_database_url(), MIGRATIONS, settings)
        stop = threading.Event()
        threads: list[threading.Thread] = []
        if settings.lapse_job:
            app.state.lapse_job = DailyLapses(app.state.session_factory, settings, app.state.clock)
            threads.append(app.state.lapse_job.start(stop))
        if settings.consume:
            app.state.consumer = make_consumer(settings, app.state.session_factory, app.state.clock)
            threads.append(app.state.consumer.start(stop))
        observability.freeze_held_objects(settings)
        try:
            yield
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
            app.state.engine.dispose()

    app = FastAPI(title="Youth Guarantee: profiles", version="1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.token_verifier = verifier
    app.state.clock = clock or SystemClock()
    app.state.lapse_job = None
    app.state.consumer = None

    def readiness() -> dict[str, Any]:
        database = partial(database_is_usable, app.state.engine)
        broker = partial(broker_is_usable, settings.kafka_bootstrap_servers, broker_security(settings))
        return readiness_report([database, broker], app.state.consumer)

    observability.configure_logging(settings.log_level, settings.log_json)
    observability.install(app, service="profiles", readiness=readiness)
    ratelimit.install(app, settings=settings, service="profiles")
    errors.install_handlers(app)
    app.include_router(router)
    app.include_router(keys_router)
    app.include_router(advisers_router)
    app.include_router(activity_router)
    app.include_router(adviser_work_router)
    app.include_router(jwks_router)
    if settings.development_mode:
        app.include_router(development_router)
    return app
