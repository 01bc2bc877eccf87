from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.messaging.contract import EventEnvelope
from services.profiles.config import ProfilesSettings
from services.profiles.main import create_app
from tests.support.databases import TestDatabases
from tests.support.keys import Openings, profiles_keys
from tests.support.services import bearer, client_for


@dataclass
class ProfilesHarness:
    client: TestClient
    settings: ProfilesSettings
    database_url: str

    openings: Openings | None = field(default=None, init=False)

    def as_(self, role: str, sub: str = "adviser-1") -> dict[str, str]:
        return bearer(self.settings, role, sub)

    def events_for(self, records: list[Any], profile_id: str) -> list[EventEnvelope]:
        """The person's events among records read off a topic, opened with this service's keys as it gives them."""
        if self.openings is None:
            self.openings = Openings(profiles_keys(self.client, self.settings))
        return self.openings.about(records, profile_id)


@pytest.fixture
def profiles(databases: TestDatabases, bootstrap_servers: str, tmp_path) -> Iterator[ProfilesHarness]:
    url = databases.new_url("profiles")
    settings = ProfilesSettings(database_url=url, kafka_bootstrap_servers=bootstrap_servers, data_dir=tmp_path)
    with client_for(create_app(settings)) as client:
        yield ProfilesHarness(client=client, settings=settings, database_url=url)
