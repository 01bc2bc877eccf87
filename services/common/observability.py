"""Logging, /health, /ready and /metrics, the same for every service."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

ReadinessCheck = Callable[[], dict[str, Any]]
"""Returns details; a key 'problems' holding a non-empty list makes the service not ready."""

REQUESTS = Counter("yg_http_requests_total", "HTTP requests", ["service", "method", "route", "status"])
LATENCY = Histogram("yg_http_request_seconds", "HTTP request latency", ["service", "method", "route"])


def configure_logging(level: str = "INFO", json: bool = False) -> None:
    logging.basicConfig(level=level, format="%(message)s")
    for noisy in ("kafka", "httpx", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
    )


def install(app: FastAPI, *, service: str, readiness: ReadinessCheck) -> None:
    """Add /health, /ready, /metrics and request metrics to an app."""

    @app.middleware("http")
    async def _metrics(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        LATENCY.labels(service, request.method, path).observe(time.perf_counter() - started)
        REQUESTS.labels(service, request.method, path, str(response.status_code)).inc()
        return response

    @app.get("/health", tags=["ops"])
    def health() -> dict[str, str]:
        return {"status": "alive", "service": service}

    @app.get("/ready", tags=["ops"])
    def ready() -> JSONResponse:
        details = readiness()
        problems = details.get("problems") or []
        body = {"status": "not ready" if problems else "ready", "service": service, **details}
        return JSONResponse(body, status_code=503 if problems else 200)

    @app.get("/metrics", tags=["ops"])
    def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
