"""What every service keeps on app.state: its database (sessions per request) and its clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from fastapi import FastAPI, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from services.common.clock import Clock
from services.common.db import make_engine, make_session_factory, run_migrations


def db_session(request: Request) -> Iterator[Session]:
    with request.app.state.session_factory() as session:
        yield session


def engine(request: Request) -> Engine:
    return request.app.state.engine


def clock(request: Request) -> Clock:
    return request.app.state.clock


def attach_database(app: FastAPI, url: str, migrations_dir: Path) -> None:
    """Migrate a service's database to the newest revision and put its engine and sessions on app.state."""
    run_migrations(url, migrations_dir)
    app.state.engine = make_engine(url)
    app.state.session_factory = make_session_factory(app.state.engine)
