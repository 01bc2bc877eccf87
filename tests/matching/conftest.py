from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from services.matching.config import MatchingSettings
from services.matching.embedder import Embedder, build_embedder
from services.matching.main import create_app
from tests.matching.helpers import CountingEmbedder, Matcher
from tests.support.keys import CONSUMER_KEYS
from tests.support.services import client_for
from tests.support.topics import TopicPublisher


@pytest.fixture(scope="session")
def embedder(pytestconfig: pytest.Config) -> Embedder:
    """The real model, loaded once per session (the ONNX export is cached under .pytest_cache)."""
    cache = Path(pytestconfig.rootpath) / ".pytest_cache" / "matching-models"
    return build_embedder(MatchingSettings(model_cache_dir=cache))


def matcher_settings(bootstrap_servers: str, data_dir: Path, **overrides: object) -> MatchingSettings:
    return MatchingSettings(kafka_bootstrap_servers=bootstrap_servers, data_dir=data_dir, environment="test",
                            save_interval_seconds=0.5, **overrides)


@contextmanager
def running_matcher(settings: MatchingSettings, embedder: Embedder, publisher: TopicPublisher
                    ) -> Iterator[Matcher]:
    """A matching service with its lifespan running, ready; stopped (and saved) on exit."""
    with client_for(create_app(settings, embedder=embedder, keys=CONSUMER_KEYS)) as client:
        matcher = Matcher(client=client, settings=settings, publish=publisher.publish)
        matcher.runtime.wait_ready(timeout=60)
        yield matcher


@pytest.fixture(scope="module")
def matcher(
    bootstrap_servers: str, embedder: Embedder, publisher: TopicPublisher, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Matcher]:
    """One running matching service per test module, on the real broker and the real model."""
    settings = matcher_settings(bootstrap_servers, tmp_path_factory.mktemp("matching"))
    with running_matcher(settings, CountingEmbedder(embedder), publisher) as running:
        yield running
