"""The journey on the production topology: Apache Kafka and PostgreSQL in containers (testcontainers), the four
services and the relays in-process against them. A young person is registered, an employer posts and publishes an
opportunity, the matcher suggests it, the adviser refers them, and the events service starts their guarantee
clock and counts the referral. Skips, saying why, where no Docker engine answers (as on our development machines,
where Tansu stands in for Kafka in every other test)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.matching.embedder import Embedder
from tests.faults.harness import ExternalBroker, System, Workload, running_system
from tests.infra.test_deployment import docker_engine
from tests.matching.conftest import embedder
from tests.support.databases import TestDatabases
from tests.support.waiting import wait_for

__all__ = ["embedder"]

KAFKA_IMAGE = "apache/kafka:3.9.0"
POSTGRES_IMAGE = "postgres:15"


@pytest.fixture(scope="module")
def containers() -> Iterator[tuple[str, str]]:
    reason = docker_engine()
    if reason is not None:
        pytest.skip(f"the testcontainers scenario needs a Docker engine: {reason}")
    from testcontainers.community.kafka import KafkaContainer
    from testcontainers.community.postgres import PostgresContainer

    with KafkaContainer(KAFKA_IMAGE).with_kraft() as kafka, PostgresContainer(POSTGRES_IMAGE, driver=None) as pg:
        yield kafka.get_bootstrap_server(), pg.get_connection_url()


@pytest.fixture
def system(containers: tuple[str, str], embedder: Embedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
           ) -> Iterator[System]:
    bootstrap, admin = containers
    monkeypatch.setenv("TEST_DATABASE_URL", admin)
    from services.messaging.broker import ensure_topics

    ensure_topics(bootstrap)
    databases = TestDatabases(tmp_path)
    assert databases.backend == "postgresql", databases.reason
    with running_system(databases, ExternalBroker(bootstrap), embedder, tmp_path) as running:
        running.wait_ready()
        yield running


def test_journey_from_registration_to_referral_on_apache_kafka(system: System) -> None:
    work = Workload(system)
    work.employers_(1)
    work.register(1)
    work.publish(1)
    person, job = work.people[0], work.opportunities[0]
    headers = system.headers()

    def suggested() -> bool:
        response = httpx.get(f"{system.urls['matching']}/profiles/{person}/matches", headers=headers, timeout=10,
                             params={"k": 10})
        return response.status_code == 200 and job in [m["opportunity_id"] for m in response.json()["matches"]]

    wait_for(suggested, what="the opportunity among the person's matches", timeout=120)
    work.refer(1)
    clock = wait_for(lambda: httpx.get(f"{system.urls['events']}/guarantee/{person}", headers=headers, timeout=10),
                     until=lambda r: r.status_code == 200, what="the guarantee clock", timeout=120)
    assert clock.json()["profile_id"] == person
    wanted = {"profile.registered", "referral.created"}
    wait_for(lambda: httpx.get(f"{system.urls['events']}/events", headers=headers, timeout=10,
                               params={"profile_id": person}).json()["items"],
             until=lambda items: wanted <= {e["event_type"] for e in items},
             what="the registration and the referral in the audit log", timeout=120)
