"""Shared fixtures: the real broker (started here unless KAFKA_BOOTSTRAP_SERVERS names one) and per-test
databases on the real PostgreSQL (SQLite when none answers)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.broker import LocalBroker, free_port
from tests.support.databases import TestDatabases

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

_databases: TestDatabases | None = None


def _get_databases(tmp_root: Path) -> TestDatabases:
    global _databases
    if _databases is None:
        _databases = TestDatabases(tmp_root)
    return _databases


def _sqlite_dir(config: pytest.Config) -> Path:
    path = Path(config.rootpath) / ".pytest_cache" / "sqlite"
    path.mkdir(parents=True, exist_ok=True)
    return path


def pytest_report_header(config: pytest.Config) -> list[str]:
    databases = _get_databases(_sqlite_dir(config))
    if databases.backend == "postgresql":
        line = "databases: PostgreSQL (per-test databases created and dropped)"
    else:
        line = f"databases: SQLite files - no PostgreSQL answered ({databases.reason}); integration tests run on SQLite"
    broker = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    return [line, f"broker: {'external ' + broker if broker else 'Tansu started by the test setup'}"]


@pytest.fixture(scope="session")
def databases(pytestconfig: pytest.Config) -> Iterator[TestDatabases]:
    databases = _get_databases(_sqlite_dir(pytestconfig))
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def local_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker | None]:
    """The Tansu process the tests started (None when an external broker is used)."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield None
        return
    broker = LocalBroker(port=free_port(), log_path=tmp_path_factory.mktemp("broker") / "tansu.log")
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def bootstrap_servers(local_broker: LocalBroker | None) -> str:
    return local_broker.bootstrap_servers if local_broker else os.environ["KAFKA_BOOTSTRAP_SERVERS"]
