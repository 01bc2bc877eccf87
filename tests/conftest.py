"""Shared fixtures: the real broker (started here unless KAFKA_BOOTSTRAP_SERVERS names one), a publisher onto it,
and per-test databases on the real PostgreSQL (SQLite when none answers). Tests marked `unit` may use none of
them, and a run of only such tests neither starts the broker nor contacts PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.broker import LocalBroker, free_port
from services.common.tokens import SERVICE_NAMES
from tests.support.databases import TestDatabases
from tests.support.figures import FIGURES
from tests.support.tokens import use_test_keys
from tests.support.topics import TopicPublisher

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
use_test_keys()
# Tests write many times a second as one principal; tests/common/test_rate_limits.py turns the limits on.
os.environ.setdefault("YG_RATE_LIMITS", "false")
# The profiles service's consumer of referral outcomes joins one consumer group, and a Tansu group whose members stop
# before their first join completes (as apps started for one test do) rebalances for a long time: tests that need it
# turn it on with a group of their own (tests/profiles/test_referral_outcomes.py).
os.environ.setdefault("PROFILES_CONSUME", "false")
# A service freezes what it holds out of the garbage collector once started; in this process, which makes and drops
# many, that would keep every dropped one (tests/e2e/test_stack.py runs the stack with it on, as deployed).
for service in SERVICE_NAMES:
    os.environ.setdefault(f"{service.upper()}_GC_FREEZE", "false")

# The fixtures that reach the broker or PostgreSQL; every other fixture that does depends on one of them.
SERVICE_FIXTURES = frozenset({"databases", "local_broker", "bootstrap_servers"})

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


def _services_used(item: pytest.Item) -> set[str]:
    return SERVICE_FIXTURES & set(getattr(item, "fixturenames", ()))


def pytest_report_header(config: pytest.Config) -> list[str]:
    broker = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    return [f"broker: {'external ' + broker if broker else 'Tansu started by the test setup'} (when a test needs it)"]


def pytest_report_collectionfinish(config: pytest.Config, items: list[pytest.Item]) -> list[str]:
    """Which databases the selected tests get: PostgreSQL is asked only when one of them needs a database."""
    if not any("databases" in _services_used(item) for item in items):
        return ["databases: none needed by the selected tests (PostgreSQL not contacted)"]
    databases = _get_databases(_sqlite_dir(config))
    if databases.backend == "postgresql":
        return ["databases: PostgreSQL (per-test databases created and dropped)"]
    return [f"databases: SQLite files - no PostgreSQL answered ({databases.reason}); integration tests run on SQLite"]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The figures tests reported (tests.support.figures.report), e.g. the access matrix's routes x callers."""
    if FIGURES:
        terminalreporter.section("figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test marked `unit` that asks for the broker or a database is mislabelled: fail it before either starts."""
    used = _services_used(item)
    if used and item.get_closest_marker("unit") is not None:
        pytest.fail(f"{item.nodeid} is marked unit but uses {', '.join(sorted(used))} (the broker or PostgreSQL): "
                    "remove the unit mark or the fixture", pytrace=False)


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


@pytest.fixture(scope="session")
def publisher(bootstrap_servers: str) -> Iterator[TopicPublisher]:
    """Puts events (or raw records) on the real broker's topics."""
    publisher = TopicPublisher(bootstrap_servers)
    yield publisher
    publisher.close()
