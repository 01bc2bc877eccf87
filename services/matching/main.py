from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from services.common import errors, observability, ratelimit
from services.common.app_state import attach_database
from services.common.clock import Clock, SystemClock
from services.common.db import database_is_usable
from services.matching.api import router
from services.matching.config import MatchingSettings
from services.matching.embedder import Embedder
from services.matching.oversight import SqlSuggestionLog
from services.matching.runtime import MatchingRuntime
from services.messaging.sealing import KeyRing

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(
    settings: MatchingSettings | None = None,
    clock: Clock | None = None,
    embedder: Embedder | None = None,
    keys: KeyRing | None = None,
) -> FastAPI:
    """The matching service. `embedder` lets tests share one loaded model, `keys` give it their own key ring; by
    default the lifespan builds the model and asks the profiles service for keys."""
    settings = settings or MatchingSettings()
    verifier = settings.token_verifier("matching")  # refuses to start in production without a provider
    clock = clock or SystemClock()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        attach_database(app, settings.resolved_database_url(), MIGRATIONS, settings)
        app.state.suggestion_log = SqlSuggestionLog(app.state.session_factory, app.state.engine)
        runtime = MatchingRuntime(settings, embedder=embedder, clock=clock, keys=keys,
                                  suggestion_log=app.state.suggestion_log)
        app.state.runtime = runtime
        runtime.start()
        yield
        runtime.stop()
        app.state.engine.dispose()

    app = FastAPI(title="Youth Guarantee: matching", version="1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.token_verifier = verifier
    app.state.clock = clock

    def readiness() -> dict[str, Any]:
        runtime: MatchingRuntime | None = getattr(app.state, "runtime", None)
        if runtime is None:
            return {"problems": ["matching: not started"]}
        details = runtime.readiness()
        database = database_is_usable(app.state.engine)
        if database:
            details["problems"].append(database)
        return details

    observability.configure_logging(settings.log_level, settings.log_json)
    observability.install(app, service="matching", readiness=readiness)
    ratelimit.install(app, settings=settings, service="matching")
    errors.install_handlers(app)
    app.include_router(router)
    return app
