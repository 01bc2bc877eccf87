"""Test helpers for the matcher: a synthetic young person looking for warehouse work (never a real person),
a counting wrapper around the real embedder, and a handle on a running matching service."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import select

from infra.seed.synthetic import birth_date_for_age, profile_snapshot
from services.common.postcodes import locate
from services.matching.config import MatchingSettings
from services.matching.embedder import Embedder
from services.matching.models import OutboxRecord
from services.matching.runtime import MatchingRuntime
from services.matching.state import MatchingState
from services.messaging.contract import ProfileSnapshotV1
from tests.support.events import typical_start_date
from tests.support.services import bearer
from tests.support.waiting import wait_for

BUXTON = locate("SK17 6AA")  # about 20 km from Stockport town centre
assert BUXTON is not None


def person(**overrides: Any) -> ProfileSnapshotV1:
    """A young person in Stockport town centre who wants warehouse work, 19 on a typical start date."""
    values: dict[str, Any] = {
        "date_of_birth": birth_date_for_age(19, typical_start_date()),
        "skills": ["forklift driving", "stock control", "teamwork"],
        "interests": ["warehouse work", "logistics"],
        "about": "Wants a steady job in a warehouse near home.",
    }
    return profile_snapshot(**{**values, **overrides})


class HashingEmbedder:
    """Bag-of-words vectors: deterministic and instant, for unit tests only."""

    name = "hashing"
    dim = 64

    def __init__(self) -> None:
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


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


@dataclass
class Matcher:
    client: TestClient
    settings: MatchingSettings
    publish: Callable[..., None]

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

    def recorded_lists(self) -> dict[str, str]:
        """The suggestion lists in the matcher's outbox (for the audit log): list id -> event type."""
        with self.client.app.state.session_factory() as session:  # type: ignore[attr-defined]
            rows = session.execute(select(OutboxRecord.aggregate_id, OutboxRecord.event_type)).tuples()
            return dict(rows.all())

    def knows(self, aggregate_id: uuid.UUID, version: int = 1) -> bool:
        state = self.runtime.state
        return state is not None and state.versions.get(str(aggregate_id), 0) >= version

    def wait_known(self, *ids: uuid.UUID, version: int = 1, timeout: float = 20.0) -> None:
        wait_for(lambda: all(self.knows(i, version) for i in ids), what=f"the matcher knowing {len(ids)} ids",
                 timeout=timeout)


def opportunity_ids(body: dict[str, Any]) -> list[str]:
    return [match["opportunity_id"] for match in body["matches"]]


def profile_ids(body: dict[str, Any]) -> list[str]:
    return [match["profile_id"] for match in body["matches"]]


def index_view(state: MatchingState) -> dict[str, Any]:
    """What a consumer's run left in the matcher: versions, facts, and which items the indexes hold."""
    with state.lock:
        return {
            "versions": dict(state.versions),
            "erased": set(state.erased),
            "opportunities": {str(f.key): f for f in state.opportunities},
            "profiles": {str(f.key): f for f in state.profiles},
            "indexed_opportunities": {str(f.key) for f in state.opportunities
                                      if state.opportunities.index.contains(state.opportunities.rows[f.key])},
            "indexed_profiles": {str(f.key) for f in state.profiles
                                 if state.profiles.index.contains(state.profiles.rows[f.key])},
            "index_sizes": (len(state.opportunities.index), len(state.profiles.index)),
            "referrals": {str(key): value for key, value in state.referrals.items()},
        }
