"""What the matcher embeds of a young person who typed special category data into free text: the profiles
service holds the text back, so neither the embedded text nor the matcher's facts contain it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence

import numpy as np
import pytest

from services.matching.embedder import Embedder
from services.profiles.config import ProfilesSettings
from services.profiles.main import create_app as create_profiles_app
from tests.matching.conftest import matcher_settings, running_matcher
from tests.matching.helpers import Matcher
from tests.support.databases import TestDatabases
from tests.support.factories import profile_payload
from tests.support.keys import CONSUMER_KEYS, profiles_keys
from tests.support.services import bearer, client_for, running_relay
from tests.support.topics import TopicPublisher


class RecordingEmbedder:
    """The real embedder, keeping every text it was given."""

    def __init__(self, inner: Embedder) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return self.inner.embed(texts)


@pytest.fixture(scope="module")
def recording(embedder: Embedder) -> RecordingEmbedder:
    return RecordingEmbedder(embedder)


@pytest.fixture(scope="module")
def recording_matcher(bootstrap_servers: str, recording: RecordingEmbedder, publisher: TopicPublisher,
                      tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matcher]:
    settings = matcher_settings(bootstrap_servers, tmp_path_factory.mktemp("matching-screening"))
    with running_matcher(settings, recording, publisher) as running:
        yield running


def test_the_matcher_never_embeds_a_disclosure_typed_into_about_or_skills(
    recording_matcher: Matcher, recording: RecordingEmbedder, databases: TestDatabases, bootstrap_servers: str,
    tmp_path,
) -> None:
    url = databases.new_url("profiles")
    settings = ProfilesSettings(database_url=url, kafka_bootstrap_servers=bootstrap_servers, data_dir=tmp_path)
    with (
        client_for(create_profiles_app(settings)) as profiles,
        CONSUMER_KEYS.attached(profiles_keys(profiles, settings, caller="matching")),
        running_relay("profiles", url, bootstrap_servers),
    ):
        created = profiles.post(
            "/profiles",
            json=profile_payload(about="I have dyslexia and ADHD.", skills=["barista skills", "ADHD"],
                                 interests=["coffee"]),
            headers=bearer(settings, "adviser", "adviser-1"),
        )
        assert created.status_code == 201, created.text
        body = created.json()
        assert [w["field"] for w in body["warnings"]] == ["about", "skills"]
        recording_matcher.wait_known(body["id"])

    state = recording_matcher.runtime.state
    assert state is not None
    facts = state.profiles.get(uuid.UUID(body["id"]))
    assert facts is not None and facts.skills == ("barista skills",)
    mine = [text for text in recording.texts if "barista skills" in text]
    assert mine, recording.texts
    assert not any(word in text.lower() for text in mine for word in ("dyslexia", "adhd"))
