"""Per-test databases: on the real PostgreSQL when one answers, else SQLite files (and the run says so)."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import psycopg

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def _admin_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL", DEFAULT_ADMIN_URL)
    return url.replace("postgresql+psycopg://", "postgresql://")


class TestDatabases:
    __test__ = False

    def __init__(self, tmp_dir: Path):
        self.tmp_dir = tmp_dir
        self.created: list[str] = []
        self.reason = ""
        self.backend = "postgresql" if self._postgres_answers() else "sqlite"

    def _postgres_answers(self) -> bool:
        try:
            with psycopg.connect(_admin_url(), connect_timeout=3, autocommit=True) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.Error as exc:
            self.reason = " ".join(str(exc).split())[:160] or type(exc).__name__
            return False

    def new_url(self, name: str) -> str:
        """A fresh, empty database for one service in one test."""
        db_name = f"yg_test_{name}_{uuid.uuid4().hex[:10]}"
        if self.backend == "sqlite":
            return f"sqlite:///{self.tmp_dir / (db_name + '.db')}"
        with psycopg.connect(_admin_url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{db_name}"')
        self.created.append(db_name)
        base = _admin_url().rsplit("/", 1)[0]
        return f"{base.replace('postgresql://', 'postgresql+psycopg://')}/{db_name}"

    def drop_all(self) -> None:
        if self.backend != "postgresql":
            return
        with psycopg.connect(_admin_url(), autocommit=True) as conn:
            for db_name in self.created:
                conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        self.created.clear()


def all_text_in_database(database_url: str) -> str:
    """Every value of every row of every table, lower-cased: for checking that erased data is gone."""
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(database_url)
    dump = []
    with engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                dump.append(json.dumps([str(value) for value in row]))
    engine.dispose()
    return "\n".join(dump).lower()
