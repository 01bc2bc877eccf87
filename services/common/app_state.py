"""FastAPI dependencies every service shares: the request's database session and the clock."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request
from sqlalchemy.orm import Session

from services.common.clock import Clock


def db_session(request: Request) -> Iterator[Session]:
    with request.app.state.session_factory() as session:
        yield session


def clock(request: Request) -> Clock:
    return request.app.state.clock
