"""Capacity-aware ranking: an opportunity with many open referrals for the places it has left loses up to
weight_capacity of its score, and of two that score the same the less crowded comes first; closed referrals do
not count."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from services.common.auth import Principal, Role
from services.matching import service
from services.matching.config import MatchingSettings
from services.matching.ingest import Ingestor
from services.matching.ranking import Filters
from services.matching.runtime import new_state
from services.matching.state import MatchingState, Referral
from tests.matching.helpers import HashingEmbedder, person
from tests.support.events import KEYS, opportunity_event, opportunity_snapshot, profile_event

pytestmark = pytest.mark.unit


def _scores(state: MatchingState, profile_id: uuid.UUID, capacity: float) -> dict[uuid.UUID, float]:
    settings = MatchingSettings(concepts=False, weight_capacity=capacity)
    answer = service.matches_for_profile(state=state, settings=settings, principal=Principal(Role.ADVISER, "a"),
                                         profile_id=profile_id, k=10, filters=Filters(), today=dt.date.today())
    return {match.opportunity_id: match.score for match in answer.matches}


def _refer(state: MatchingState, opportunity_id: uuid.UUID, status: str = "referred") -> uuid.UUID:
    referral_id = uuid.uuid4()
    state.put_referral(referral_id, Referral(uuid.uuid4(), opportunity_id, status), 1)
    return referral_id


def test_the_crowded_of_two_equal_opportunities_comes_second_and_loses_score() -> None:
    embedder = HashingEmbedder()
    state = new_state(MatchingSettings(), embedder.dim)
    crowded, free = opportunity_snapshot(positions=1), opportunity_snapshot(positions=1)
    young = person()
    Ingestor(state, embedder, KEYS).apply([opportunity_event(crowded), opportunity_event(free), profile_event(young)])
    before = _scores(state, young.profile_id, 0.05)
    assert before[crowded.opportunity_id] == before[free.opportunity_id]  # the same text, place and rules

    referrals = [_refer(state, crowded.opportunity_id) for _ in range(3)]  # 3 open referrals for its 1 place
    _refer(state, free.opportunity_id, "unsuccessful")  # closed: does not count
    assert state.open_referrals == {crowded.opportunity_id: 3}
    after = _scores(state, young.profile_id, 0.05)
    assert list(after)[:2] == [free.opportunity_id, crowded.opportunity_id]
    assert after[crowded.opportunity_id] == pytest.approx(after[free.opportunity_id] - 0.05, abs=1e-4)
    # Without the penalty the tie still goes to the less crowded.
    tied = _scores(state, young.profile_id, 0.0)
    assert list(tied)[:2] == [free.opportunity_id, crowded.opportunity_id]
    assert tied[crowded.opportunity_id] == tied[free.opportunity_id]

    state.put_referral(referrals[0], Referral(uuid.uuid4(), crowded.opportunity_id, "withdrawn"), 2)
    assert state.open_referrals == {crowded.opportunity_id: 2}
    partly = _scores(state, young.profile_id, 0.05)
    assert partly[crowded.opportunity_id] == pytest.approx(partly[free.opportunity_id] - 0.05 * 2 / 3, abs=1e-4)
