"""Test helpers for the matcher: synthetic event payloads (never real people), publishing them to the real
broker, a counting wrapper around the real embedder, and waiting for results."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from fastapi.testclient import TestClient

from services.common.postcodes import locate
from services.matching.config import MatchingSettings
from services.matching.embedder import Embedder
from services.matching.runtime import MatchingRuntime
from services.messaging.broker import make_producer
from services.messaging.contract import (
    EventEnvelope,
    EventType,
    OpportunitySnapshotV1,
    ProfileErasedV1,
    ProfileSnapshotV1,
    ReferralV1,
    make_event,
)
from tests.support.services import bearer

T = TypeVar("T")
STOCKPORT = locate("SK1 3XE")
BUXTON = locate("SK17 6AA")  # about 20 km from Stockport town centre
assert STOCKPORT is not None and BUXTON is not None


def today() -> dt.date:
    return dt.date.today()


def birth_date(age: int, on: dt.date | None = None) -> dt.date:
    """A date of birth giving `age` on the day `on` (default: 40 days from now, a typical start date)."""
    on = on or today() + dt.timedelta(days=40)
    return dt.date(on.year - age, 1, 1) if on.month > 1 or on.day > 1 else dt.date(on.year - age - 1, 1, 1)


def opportunity(**overrides: Any) -> OpportunitySnapshotV1:
    values: dict[str, Any] = {
        "opportunity_id": uuid.uuid4(),
        "employer_id": uuid.uuid4(),
        "type": "apprenticeship",
        "status": "live",
        "title": "Warehouse operative apprentice",
        "description": "Pick and pack orders, load vans and keep the stock room tidy in a busy distribution centre.",
        "skills": ["forklift driving", "stock control", "first aid"],
        "sector": "logistics",
        "level": 2,
        "postcode_district": "SK1",
        "latitude": STOCKPORT.latitude,
        "longitude": STOCKPORT.longitude,
        "remote": False,
        "hours_per_week": 37.5,
        "wage_per_hour": 7.55,
        "duration_months": 12,
        "positions": 2,
        "positions_filled": 0,
        "start_date": today() + dt.timedelta(days=40),
        "closing_date": today() + dt.timedelta(days=20),
        "min_age": 16,
        "max_age": 24,
        "requires_universal_credit": False,
    }
    values.update(overrides)
    return OpportunitySnapshotV1(**values)


def person(**overrides: Any) -> ProfileSnapshotV1:
    values: dict[str, Any] = {
        "profile_id": uuid.uuid4(),
        "status": "neet",
        "date_of_birth": birth_date(19),
        "postcode_district": "SK1",
        "latitude": STOCKPORT.latitude,
        "longitude": STOCKPORT.longitude,
        "on_universal_credit": True,
        "priority_groups": ["care_leaver"],
        "skills": ["forklift driving", "stock control", "teamwork"],
        "interests": ["warehouse work", "logistics"],
        "qualifications": [{"level": "2", "subject": "English"}],
        "about": "Wants a steady job in a warehouse near home.",
        "preferred_types": ["apprenticeship", "job"],
        "max_travel_km": 10.0,
        "available_from": None,
        "consent_share_with_employers": True,
        "adviser_id": "adviser-1",
        "registered_at": dt.datetime.now(dt.UTC),
    }
    values.update(overrides)
    return ProfileSnapshotV1(**values)


def opportunity_event(
    snapshot: OpportunitySnapshotV1, version: int = 1, kind: EventType | None = None
) -> EventEnvelope:
    kind = kind or (EventType.OPPORTUNITY_PUBLISHED if version == 1 else EventType.OPPORTUNITY_UPDATED)
    return make_event(kind, producer="test", aggregate_id=str(snapshot.opportunity_id), aggregate_version=version,
                      payload=snapshot)


def person_event(snapshot: ProfileSnapshotV1, version: int = 1) -> EventEnvelope:
    kind = EventType.PROFILE_REGISTERED if version == 1 else EventType.PROFILE_UPDATED
    return make_event(kind, producer="test", aggregate_id=str(snapshot.profile_id), aggregate_version=version,
                      payload=snapshot)


def erased_event(profile_id: uuid.UUID, version: int) -> EventEnvelope:
    return make_event(EventType.PROFILE_ERASED, producer="test", aggregate_id=str(profile_id),
                      aggregate_version=version,
                      payload=ProfileErasedV1(profile_id=profile_id, erased_at=dt.datetime.now(dt.UTC)))


def referral_event(profile_id: uuid.UUID, opportunity_id: uuid.UUID, status: str = "referred",
                   referral_id: uuid.UUID | None = None, version: int = 1) -> EventEnvelope:
    referral_id = referral_id or uuid.uuid4()
    payload = ReferralV1(referral_id=referral_id, profile_id=profile_id, opportunity_id=opportunity_id,
                         employer_id=uuid.uuid4(), opportunity_type="apprenticeship", adviser_id="adviser-1",
                         status=status, previous_status=None, changed_at=dt.datetime.now(dt.UTC))
    kind = EventType.REFERRAL_CREATED if version == 1 else EventType.REFERRAL_STATUS_CHANGED
    return make_event(kind, producer="test", aggregate_id=str(referral_id), aggregate_version=version,
                      payload=payload)


class Publisher:
    def __init__(self, bootstrap_servers: str) -> None:
        self.producer = make_producer(bootstrap_servers, client_id="matching-tests")

    def __call__(self, *events: EventEnvelope) -> None:
        for event in events:
            self.producer.send(str(event.topic), key=event.aggregate_id.encode(),
                               value=event.model_dump_json().encode())
        self.producer.flush(timeout=15)

    def close(self) -> None:
        self.producer.close(timeout=5)


class CountingEmbedder:
    """The real embedder, counting the texts it embeds."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.texts = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += len(texts)
        return self.inner.embed(texts)


def wait_for(probe: Callable[[], T | None], timeout: float = 20.0, interval: float = 0.05) -> T:
    """Call probe until it returns something truthy; fail after the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last value: {value!r})")
        time.sleep(interval)


@dataclass
class Matcher:
    client: TestClient
    settings: MatchingSettings
    publish: Publisher

    @property
    def runtime(self) -> MatchingRuntime:
        return self.client.app.state.runtime  # type: ignore[attr-defined]

    def as_(self, role: str, sub: str = "adviser-1") -> dict[str, str]:
        return bearer(self.settings, role, sub)

    def matches_for(self, profile_id: uuid.UUID, **params: Any) -> dict[str, Any]:
        response = self.client.get(f"/profiles/{profile_id}/matches", params=params, headers=self.as_("adviser"))
        assert response.status_code == 200, response.text
        return response.json()

    def candidates_for(self, opportunity_id: uuid.UUID, **params: Any) -> dict[str, Any]:
        response = self.client.get(f"/opportunities/{opportunity_id}/matches", params=params,
                                   headers=self.as_("adviser"))
        assert response.status_code == 200, response.text
        return response.json()

    def knows(self, aggregate_id: uuid.UUID, version: int = 1) -> bool:
        state = self.runtime.state
        return state is not None and state.versions.get(str(aggregate_id), 0) >= version

    def wait_known(self, *ids: uuid.UUID, version: int = 1, timeout: float = 20.0) -> None:
        wait_for(lambda: all(self.knows(i, version) for i in ids), timeout)


def opportunity_ids(body: dict[str, Any]) -> list[str]:
    return [match["opportunity_id"] for match in body["matches"]]


def profile_ids(body: dict[str, Any]) -> list[str]:
    return [match["profile_id"] for match in body["matches"]]
