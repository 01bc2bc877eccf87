"""The opportunities service on a real database, with the REAL profiles service running on a local port."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from services.common.auth import Role
from services.common.clock import FixedClock
from services.common.db import make_engine
from services.opportunities.config import OpportunitiesSettings
from services.opportunities.main import create_app
from services.profiles.config import ProfilesSettings
from services.profiles.main import create_app as create_profiles_app
from tests.opportunities.harness import BASE_TIME, Harness
from tests.support.databases import TestDatabases
from tests.support.factories import profile_payload
from tests.support.live_server import live_server
from tests.support.services import bearer, client_for


@dataclass
class ProfilesService:
    url: str
    settings: ProfilesSettings

    def register(self, **overrides: Any) -> str:
        """A young person registered through the real profiles API; returns their id."""
        response = httpx.post(
            f"{self.url}/profiles",
            json=profile_payload(**overrides),
            headers=bearer(self.settings, Role.ADVISER, "adviser-7"),
            timeout=10,
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def subject_of(self, profile_id: str) -> str:
        """The subject reference the person's events name them by (as the key service tells a service)."""
        response = httpx.get(f"{self.url}/profiles/{profile_id}/subject",
                             headers=bearer(self.settings, Role.SERVICE, "opportunities"), timeout=10)
        assert response.status_code == 200, response.text
        return str(response.json()["subject"])

    def erase(self, profile_id: str) -> None:
        response = httpx.delete(
            f"{self.url}/profiles/{profile_id}", headers=bearer(self.settings, Role.ADVISER, "adviser-7"), timeout=10
        )
        assert response.status_code == 204, response.text


@pytest.fixture(scope="session")
def profiles_service(databases: TestDatabases) -> Iterator[ProfilesService]:
    settings = ProfilesSettings(database_url=databases.new_url("profiles"), environment="test")
    app = create_profiles_app(settings, clock=FixedClock(BASE_TIME))
    with live_server(app) as url:
        yield ProfilesService(url=url, settings=settings)


def make_harness(
    databases: TestDatabases, profiles: ProfilesService, **settings_overrides: Any
) -> Callable[[], Iterator[Harness]]:
    def run() -> Iterator[Harness]:
        settings = OpportunitiesSettings(
            database_url=databases.new_url("opportunities"),
            environment="test",
            **{"profiles_url": profiles.url, "expiry_interval_seconds": 3600.0, "consume": False, **settings_overrides},
        )
        clock = FixedClock(BASE_TIME)
        engine = make_engine(settings.resolved_database_url())
        with client_for(create_app(settings, clock=clock)) as client:
            yield Harness(client, settings, clock, engine)
        engine.dispose()

    return run


@pytest.fixture(scope="module")
def module_harness(databases: TestDatabases, profiles_service: ProfilesService) -> Iterator[Harness]:
    yield from make_harness(databases, profiles_service)()


@pytest.fixture
def api(module_harness: Harness) -> Harness:
    """The module's service with its clock back at the base time."""
    module_harness.clock.at = BASE_TIME
    return module_harness


@pytest.fixture
def employer(api: Harness) -> dict[str, Any]:
    return api.new_employer()


@pytest.fixture
def person(profiles_service: ProfilesService) -> str:
    return profiles_service.register()


def random_id() -> str:
    return str(uuid.uuid4())
