from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.broker import LocalBroker, free_port
from services.matching.embedder import Embedder
from tests.faults.harness import System, running_system
from tests.matching.conftest import embedder
from tests.support.databases import TestDatabases

__all__ = ["embedder"]


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[LocalBroker]:
    """A broker of the test's own, which it may kill."""
    broker = LocalBroker(port=free_port(), log_path=tmp_path / "tansu.log")
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def system(databases: TestDatabases, own_broker: LocalBroker, embedder: Embedder, tmp_path: Path
           ) -> Iterator[System]:
    """The four services and both relays on the test's own broker, every consumer ready."""
    with running_system(databases, own_broker, embedder, tmp_path) as running:
        running.wait_ready()
        yield running
