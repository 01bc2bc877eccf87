"""Engines, sessions and Alembic migrations for each service's own database."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import JSON, DateTime, Dialect, Engine, TypeDecorator, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session, sessionmaker

JSONType = JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def make_engine(url: str, *, limits: DatabaseLimits | None = None, **kwargs: Any) -> Engine:
    """An engine; SQLite files get WAL, a busy timeout and foreign keys so services and relays can share them, and
    secure_delete, so deleted rows are overwritten with zeros rather than left in free pages. On PostgreSQL every
    pooled connection is checked before use (a terminated one is replaced, not handed out), and `limits` bound
    connecting, waiting for the pool and each statement."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

        return engine
    if limits is not None:
        connect_args = dict(kwargs.pop("connect_args", {}))
        connect_args.setdefault("connect_timeout", limits.connect_timeout_seconds)
        if limits.statement_timeout_ms:
            options = f"-c statement_timeout={limits.statement_timeout_ms}"
            connect_args["options"] = f"{connect_args.get('options', '')} {options}".strip()
        kwargs = {"pool_timeout": limits.pool_timeout_seconds, "pool_size": limits.pool_size, "max_overflow": 5,
                  **kwargs, "connect_args": connect_args}
    return create_engine(url, pool_pre_ping=True, **kwargs)


@dataclass(frozen=True)
class DatabaseLimits:
    connect_timeout_seconds: int = 2
    pool_timeout_seconds: float = 2.0
    statement_timeout_ms: int = 10_000
    pool_size: int = 10


def scrub_after_erasure(engine: Engine, attempts: int = 5) -> bool:
    """After an erasure has committed: copy the SQLite write-ahead log into the database file (where secure_delete
    has zeroed the erased rows) and truncate it, so no earlier frame with their old contents survives. True once
    done (at once on other databases, whose tables hold no deleted rows visibly)."""
    if engine.dialect.name != "sqlite":
        return True
    for attempt in range(attempts):
        with engine.connect() as connection:
            busy = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()[0]
        if not busy:
            return True
        time.sleep(0.2 * (attempt + 1))
    return False


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def run_migrations(url: str, migrations_dir: Path) -> None:
    """Upgrade a service's database to the newest Alembic revision."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, "head")


def database_is_usable(engine: Engine) -> str | None:
    """None when a trivial query works, else the reason it does not."""
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
        return None
    except Exception as exc:  # noqa: BLE001 - the reason is reported, not handled
        return f"database: {type(exc).__name__}: {exc}"[:300]
