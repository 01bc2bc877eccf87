"""Whatever the broker does to a clean sequence of events (each delivered any number of times, published again
under a new id, in any order, in batches of any size), the matcher ends with what one clean in-order run gives:
the same facts, versions, referrals, erasure marks and indexed items, with the same vectors."""

from __future__ import annotations

import datetime as dt
import uuid

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from services.matching.config import MatchingSettings
from services.matching.ingest import Ingestor
from services.matching.runtime import new_state
from services.matching.state import MatchingState
from services.messaging.contract import EventEnvelope, EventType
from tests.matching.helpers import index_view, person
from tests.matching.test_ingest_unit import HashingEmbedder
from tests.support.deliveries import DeliveryPlan, delivery_plans
from tests.support.events import (
    KEYS,
    opportunity_event,
    opportunity_snapshot,
    profile_erased_event,
    profile_event,
    referral_event,
    referral_snapshot,
)

pytestmark = pytest.mark.unit


def story() -> list[EventEnvelope]:
    """Three people (one changes twice, one is erased after a referral), three opportunities (one updated, one
    closed), and two referrals moved on (one accepted, taking a place)."""
    ana, ben, cal = (person(about=f"Person {name}.") for name in ("Ana", "Ben", "Cal"))
    jobs = [opportunity_snapshot(title=f"Job {i}", positions=2) for i in range(3)]
    events = [profile_event(p) for p in (ana, ben, cal)] + [opportunity_event(j) for j in jobs]
    events.append(profile_event(ana.model_copy(update={"skills": ["baking"], "status": "neet"}), 2))
    events.append(profile_event(ana.model_copy(update={"skills": ["baking", "driving"], "status": "training"}), 3))
    events.append(opportunity_event(jobs[0].model_copy(update={"title": "Job 0, now with a van"}), 2))
    events.append(opportunity_event(jobs[1].model_copy(update={"status": "closed"}), 2, EventType.OPPORTUNITY_CLOSED))
    taken = referral_snapshot(profile_id=ben.profile_id, opportunity_id=jobs[2].opportunity_id)
    erased_ref = referral_snapshot(profile_id=cal.profile_id, opportunity_id=jobs[0].opportunity_id)
    now = dt.datetime.now(dt.UTC)
    events += [referral_event(taken), referral_event(erased_ref)]
    for version, status in enumerate(("interviewing", "offered", "accepted"), start=2):
        events.append(referral_event(taken.model_copy(update={"status": status, "changed_at": now}), version))
    events.append(referral_event(erased_ref.model_copy(update={"status": "interviewing"}), 2))
    events.append(profile_erased_event(cal.profile_id, 2))
    return events


def run(events: list[EventEnvelope], batches: list[list[EventEnvelope]]) -> MatchingState:
    embedder = HashingEmbedder()
    state = new_state(MatchingSettings(environment="test"), embedder.dim)
    ingestor = Ingestor(state, embedder, KEYS)
    for batch in batches:
        ingestor.apply(batch)
    return state


def vectors(state: MatchingState) -> dict[uuid.UUID, np.ndarray | None]:
    return {f.key: state.opportunities.index.vector(state.opportunities.rows[f.key]) for f in state.opportunities} | {
        f.key: state.profiles.index.vector(state.profiles.rows[f.key]) for f in state.profiles}


EVENTS = story()


@given(delivery_plans(len(EVENTS)))
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_duplicated_reissued_and_reordered_deliveries_end_as_one_clean_run(plan: DeliveryPlan) -> None:
    clean = run(EVENTS, [[event] for event in EVENTS])
    noisy = run(EVENTS, plan.batches(EVENTS))
    assert index_view(noisy) == index_view(clean)
    want, got = vectors(clean), vectors(noisy)
    assert want.keys() == got.keys()
    for key, vector in want.items():
        other = got[key]
        assert (vector is None) == (other is None)
        if vector is not None and other is not None:
            assert np.allclose(vector, other, atol=1e-3)
    with clean.lock:
        left = {str(f.key): int(clean.opportunities.column("positions_left")[clean.opportunities.rows[f.key]])
                for f in clean.opportunities}
    with noisy.lock:
        assert left == {str(f.key): int(noisy.opportunities.column("positions_left")[noisy.opportunities.rows[f.key]])
                        for f in noisy.opportunities}


def test_the_clean_run_tells_the_story() -> None:
    clean = index_view(run(EVENTS, [[event] for event in EVENTS]))
    assert len(clean["profiles"]) == 2  # the third was erased
    assert len(clean["indexed_opportunities"]) == 2 and len(clean["opportunities"]) == 3
    assert [r.status for r in clean["referrals"].values()] == ["accepted"]
    assert max(clean["versions"].values()) == 4
