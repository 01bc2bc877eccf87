"""Too few matches: when fewer than k eligible opportunities are within a person's travel distance, the answer says
so, lists wider steps with how many each finds, and offers the best from the first step that makes k, each marked
as beyond the distance they said they would travel; never when k are within it, never without a place."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from infra.seed.synthetic import HOME_LATITUDE, HOME_LONGITUDE
from services.common.auth import Principal, Role
from services.matching import service
from services.matching.config import MatchingSettings
from services.matching.ingest import Ingestor
from services.matching.ranking import Filters, wider_radii
from services.matching.runtime import new_state
from services.matching.state import MatchingState
from tests.matching.helpers import HashingEmbedder, person
from tests.support.events import KEYS, opportunity_event, opportunity_snapshot, profile_event

pytestmark = pytest.mark.unit
KM_PER_DEGREE = 111.2  # of latitude


def _north(km: float, **overrides: Any) -> Any:
    return opportunity_snapshot(latitude=HOME_LATITUDE + km / KM_PER_DEGREE, longitude=HOME_LONGITUDE,
                                postcode_district="XX1", **overrides)


@pytest.fixture()
def town() -> tuple[MatchingState, dict[str, list[Any]], Any, Any]:
    settings = MatchingSettings(concepts=False)
    embedder = HashingEmbedder()
    state = new_state(settings, embedder.dim)
    postings = {
        "near": [_north(1), _north(3)],
        "remote": [_north(200, remote=True)],
        "twelve": [_north(12), _north(12.5)],
        "twentyfive": [_north(25)],
        "far": [_north(200)],
    }
    placed = person(max_travel_km=10.0)
    nowhere = person(latitude=None, longitude=None)
    events = [opportunity_event(p) for group in postings.values() for p in group]
    Ingestor(state, embedder, KEYS).apply([*events, profile_event(placed), profile_event(nowhere)])
    return state, postings, placed, nowhere


def _matches(state: MatchingState, profile: Any, k: int) -> Any:
    return service.matches_for_profile(
        state=state, settings=MatchingSettings(concepts=False), principal=Principal(Role.ADVISER, "adviser-1"),
        profile_id=profile.profile_id, k=k, filters=Filters(), today=dt.date.today(),
    )


def _ids(items: list[Any]) -> set[str]:
    return {str(item.opportunity_id) for item in items}


def test_fewer_than_k_within_reach_says_so_and_offers_the_first_wider_step(town: Any) -> None:
    state, postings, placed, _ = town
    answer = _matches(state, placed, k=5)
    assert answer.travel_km == 10.0 and answer.within_travel == 3 and answer.fewer_than_k
    assert _ids(answer.matches) == _ids(postings["near"] + postings["remote"])
    assert not any(match.beyond_travel for match in answer.matches)
    assert [(step.radius_km, step.found) for step in answer.wider_steps] == [(15.0, 5), (20.0, 5), (30.0, 6)]
    assert answer.wider_radius_km == 15.0
    assert _ids(answer.wider_matches) == _ids(postings["twelve"])
    assert all(match.beyond_travel and 10 < (match.explanation.distance_km or 0) <= 15
               for match in answer.wider_matches)
    print(f"\nwidening: {answer.within_travel} within 10 km, steps "
          f"{[(s.radius_km, s.found) for s in answer.wider_steps]}, {len(answer.wider_matches)} offered beyond")


def test_when_no_step_makes_k_the_widest_is_offered(town: Any) -> None:
    state, postings, placed, _ = town
    answer = _matches(state, placed, k=10)
    assert answer.wider_radius_km == 30.0
    assert _ids(answer.wider_matches) == _ids(postings["twelve"] + postings["twentyfive"])


def test_enough_within_reach_or_no_place_means_no_widening(town: Any) -> None:
    state, _, placed, nowhere = town
    enough = _matches(state, placed, k=3)
    assert not enough.fewer_than_k and enough.wider_steps == [] and enough.wider_matches == []
    unplaced = _matches(state, nowhere, k=5)
    assert unplaced.within_travel is None and not unplaced.fewer_than_k and unplaced.wider_matches == []


@pytest.mark.parametrize(("travel", "radii"), [
    (10.0, [15.0, 20.0, 30.0]), (2.0, [7.0, 12.0, 17.0]), (80.0, [120.0, 150.0]), (150.0, []),
])
def test_wider_steps(travel: float, radii: list[float]) -> None:
    assert wider_radii(travel) == radii
