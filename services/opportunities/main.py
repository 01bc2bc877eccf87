from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from services.common import errors, observability, ratelimit
from services.common.app_state import attach_database
from services.common.clock import Clock, SystemClock
from services.common.db import database_is_usable
from services.common.minimum_wage import DEFAULT_TABLE, WageTable
from services.common.readiness import readiness_report
from services.common.tokens import service_token_source
from services.messaging.broker import broker_is_usable, broker_security
from services.opportunities.api import router
from services.opportunities.config import OpportunitiesSettings
from services.opportunities.consumer import make_consumer
from services.opportunities.directory import HttpProfileDirectory, ProfileDirectory, ProfilesUnavailable
from services.opportunities.expiry import ExpirySweeper
from services.opportunities.semantic import HttpSemanticSearch, SemanticSearch

SERVICE_NAME = "opportunities"

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(
    settings: OpportunitiesSettings | None = None,
    clock: Clock | None = None,
    profile_directory: ProfileDirectory | None = None,
    wage_table: WageTable = DEFAULT_TABLE,
    semantic_search: SemanticSearch | None = None,
) -> FastAPI:
    """The opportunities service. `wage_table` is the dated minimum wage table (tests add a new rate to it by
    replacing `app.state.wage_table`; the sweep then holds back the live opportunities it leaves below).
    `semantic_search` replaces the matcher's HTTP search (browse fuses it with full-text search)."""
    settings = settings or OpportunitiesSettings()
    verifier = settings.token_verifier(SERVICE_NAME)  # refuses to start in production without a provider

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        attach_database(app, settings.resolved_database_url(), MIGRATIONS, settings)
        http_directory = None
        if profile_directory is None:
            http_directory = HttpProfileDirectory(
                settings.profiles_url, service_token_source(settings.service_signer(SERVICE_NAME), "profiles"),
                timeout=settings.profiles_timeout_seconds,
            )
        app.state.profile_directory = profile_directory or http_directory
        http_semantic = None
        if semantic_search is None and settings.semantic_search:
            http_semantic = HttpSemanticSearch(
                settings.matching_url, service_token_source(settings.service_signer(SERVICE_NAME), "matching"),
                timeout=settings.semantic_timeout_seconds,
            )
        app.state.semantic_search = semantic_search or http_semantic
        sweeper = ExpirySweeper(
            session_factory=app.state.session_factory,
            clock=app.state.clock,
            interval_seconds=settings.expiry_interval_seconds,
            settings=settings,
            rates=lambda: app.state.wage_table,
        )
        app.state.sweeper = sweeper
        stop = threading.Event()
        threads = [threading.Thread(target=sweeper.run, args=(stop,), name="opportunity-expiry", daemon=True)]
        threads[0].start()
        if settings.consume:
            app.state.consumer = make_consumer(settings, app.state.session_factory, app.state.engine)
            threads.append(app.state.consumer.start(stop))
        observability.freeze_held_objects(settings)
        try:
            yield
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
            if http_directory is not None:
                http_directory.close()
            if http_semantic is not None:
                http_semantic.close()
            app.state.engine.dispose()

    app = FastAPI(title="Youth Guarantee: opportunities", version="1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.token_verifier = verifier
    app.state.clock = clock or SystemClock()
    app.state.consumer = None
    app.state.wage_table = wage_table

    def readiness() -> dict[str, Any]:
        database = partial(database_is_usable, app.state.engine)
        broker = partial(broker_is_usable, settings.kafka_bootstrap_servers, broker_security(settings))
        return readiness_report([database, broker], app.state.consumer)

    @app.exception_handler(ProfilesUnavailable)
    async def _profiles_unavailable(_request: Request, exc: ProfilesUnavailable) -> JSONResponse:
        return JSONResponse(
            {"detail": str(exc)}, status_code=status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": "5"}
        )

    observability.configure_logging(settings.log_level, settings.log_json)
    observability.install(app, service="opportunities", readiness=readiness)
    ratelimit.install(app, settings=settings, service="opportunities")
    errors.install_handlers(app)
    app.include_router(router)
    return app
