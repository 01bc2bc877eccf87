from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from services.profiles.config import ProfilesSettings
from services.profiles.main import create_app
from tests.support.databases import TestDatabases
from tests.support.services import bearer, client_for


@dataclass
class ProfilesHarness:
    client: TestClient
    settings: ProfilesSettings
    database_url: str

    def as_(self, role: str, sub: str = "adviser-1") -> dict[str, str]:
        return bearer(self.settings, role, sub)


@pytest.fixture
def profiles(databases: TestDatabases, bootstrap_servers: str, tmp_path) -> Iterator[ProfilesHarness]:
    url = databases.new_url("profiles")
    settings = ProfilesSettings(database_url=url, kafka_bootstrap_servers=bootstrap_servers, data_dir=tmp_path)
    with client_for(create_app(settings)) as client:
        yield ProfilesHarness(client=client, settings=settings, database_url=url)
