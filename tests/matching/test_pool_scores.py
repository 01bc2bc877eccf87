"""A pool is scored all at once (arrays over its rows); each score is still the one pair's own score, as `measure`
works it out for that pair alone, in both directions: any skills, places (near, far, remote, not located), travel
distances, posting levels and qualifications."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infra.seed.synthetic import HOME_LATITUDE, HOME_LONGITUDE
from services.matching.config import MatchingSettings
from services.matching.ingest import Ingestor
from services.matching.ranking import (
    Filters,
    Weights,
    candidate_mask,
    measure,
    opportunity_mask,
    person_origin,
    rank_candidates,
    rank_opportunities,
)
from services.matching.runtime import new_state
from services.matching.state import MatchingState
from tests.matching.helpers import HashingEmbedder, person
from tests.support.events import KEYS, opportunity_event, opportunity_snapshot, profile_event

pytestmark = pytest.mark.unit
WEIGHTS = Weights(similarity=0.7, skills=0.2, distance=0.1, level=0.1)
SKILLS = ["forklift driving", "Stock Control", "first aid", "teamwork", "cooking", "customer service"]

skills = st.lists(st.sampled_from(SKILLS), max_size=4, unique=True)
# Up to about 45 km from the town centre; a person's may be None: a postcode district that is not located.
offsets = st.tuples(st.floats(-0.4, 0.4), st.floats(-0.4, 0.4))
levels = st.one_of(st.none(), st.integers(1, 7))
qualifications = st.lists(st.sampled_from(["entry", "1", "2", "3", "6"]), max_size=2)
postings = st.lists(st.tuples(skills, offsets, st.booleans(), levels), min_size=1, max_size=25)
people = st.lists(st.tuples(skills, st.one_of(st.none(), offsets), st.sampled_from([0.0, 1.0, 10.0, 25.0, 80.0]),
                            qualifications), min_size=1, max_size=25)


def _place(offset: tuple[float, float] | None) -> dict[str, object]:
    if offset is None:
        return {"postcode_district": "ZZ99", "latitude": None, "longitude": None}
    return {"latitude": HOME_LATITUDE + offset[0], "longitude": HOME_LONGITUDE + offset[1]}


def _world(opportunities: list, young: list) -> MatchingState:
    embedder = HashingEmbedder()
    state = new_state(MatchingSettings(concepts=False), embedder.dim)
    events = []
    for asked, offset, remote, level in opportunities:
        events.append(opportunity_event(opportunity_snapshot(skills=asked, remote=remote, level=level,
                                                             **_place(offset))))
    for own, offset, reach, held in young:
        recorded = [{"level": level, "subject": "English"} for level in held]
        events.append(profile_event(person(skills=own, max_travel_km=reach, qualifications=recorded,
                                           **_place(offset))))
    Ingestor(state, embedder, KEYS).apply(events)
    return state


@given(postings, people)
@settings(max_examples=40, deadline=None)
def test_each_of_a_pools_scores_is_that_pairs_own_score(opportunities: list, young: list) -> None:
    state = _world(opportunities, young)
    today = dt.date.today()
    for someone in state.profiles:
        row = state.profiles.row_of(someone.profile_id)
        assert row is not None
        query = state.profiles.index.vector(row)
        assert query is not None
        mask = opportunity_mask(state, someone, today, Filters(), person_origin(someone), travel_km=1000.0)
        rows, sims = state.opportunities.index.search(query, 100, allowed=mask)
        alone = {facts.key: measure(facts, someone, float(sim), WEIGHTS).score
                 for row, sim in zip(rows.tolist(), sims.tolist(), strict=True)
                 if (facts := state.opportunities.at(row)) is not None}
        ranked = rank_opportunities(state, query, mask, person=someone, k=100, pool=100, weights=WEIGHTS,
                                    today=today)
        assert {item.key: item.score for item in ranked} == alone
        assert [item.score for item in ranked] == sorted(alone.values(), reverse=True)

    for posting in state.opportunities:
        row = state.opportunities.row_of(posting.opportunity_id)
        assert row is not None
        query = state.opportunities.index.vector(row)
        assert query is not None
        mask = candidate_mask(state, posting, Filters())
        rows, sims = state.profiles.index.search(query, 100, allowed=mask)
        alone = {facts.key: measure(posting, facts, float(sim), WEIGHTS).score
                 for row, sim in zip(rows.tolist(), sims.tolist(), strict=True)
                 if (facts := state.profiles.at(row)) is not None}
        ranked = rank_candidates(state, query, mask, opportunity=posting, k=100, pool=100, weights=WEIGHTS,
                                 today=today, explained=False)
        assert {item.key: item.score for item in ranked} == alone


def test_a_free_text_pool_is_scored_from_the_place_searched_with_the_skills_the_text_names() -> None:
    state = _world([(["first aid", "cooking"], (0.05, 0.0), False, None), (["first aid"], (0.0, 0.0), True, 2)], [])
    query = np.ones(state.opportunities.index.dim, dtype=np.float32)
    query /= np.linalg.norm(query)
    origin = (HOME_LATITUDE, HOME_LONGITUDE)
    mask = opportunity_mask(state, None, dt.date.today(), Filters(), origin)
    rows, sims = state.opportunities.index.search(query, 10, allowed=mask)
    similarity = {state.opportunities.facts[row].opportunity_id: sim  # type: ignore[union-attr]
                  for row, sim in zip(rows.tolist(), sims.tolist(), strict=True)}
    ranked = rank_opportunities(state, query, mask, person=None, k=10, pool=10, weights=WEIGHTS,
                                today=dt.date.today(), origin=origin, query_text="Cooking jobs")
    assert len(ranked) == 2
    for item in ranked:
        facts = state.opportunities.get(item.key)
        assert facts is not None
        alone = measure(facts, None, similarity[item.key], WEIGHTS, origin=origin, query_text="Cooking jobs")
        assert item.score == alone.score
        assert item.explanation.matched_skills == (["cooking"] if "cooking" in facts.skills else [])
