"""A posting's level beside the person's qualifications: a level 6 apprenticeship is not the first suggestion for
someone whose highest qualification is GCSEs, and the answer says why; unknown levels change nothing."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from services.common.auth import Principal, Role
from services.matching import service
from services.matching.config import MatchingSettings
from services.matching.facts import PersonFacts
from services.matching.ingest import Ingestor
from services.matching.ranking import Filters
from services.matching.runtime import new_state
from services.matching.schemas import LevelFit
from services.matching.state import MatchingState
from services.messaging.contract import ProfileSnapshotV1
from services.messaging.vocabulary import level_asked_first
from tests.matching.helpers import HashingEmbedder, person
from tests.support.events import KEYS, opportunity_event, opportunity_snapshot, profile_event

pytestmark = pytest.mark.unit
SETTINGS = MatchingSettings(concepts=False, weight_level=0.1)
ADVISER = Principal(Role.ADVISER, "adviser-1")


def _qualified(*levels: str) -> list[dict[str, str]]:
    return [{"level": level, "subject": "English"} for level in levels]


def _world(postings: list[dict[str, object]], people: list[dict[str, object]]) -> tuple[MatchingState, list, list]:
    embedder = HashingEmbedder()
    state = new_state(SETTINGS, embedder.dim)
    opportunities = [opportunity_snapshot(**fields) for fields in postings]
    young = [person(**fields) for fields in people]
    Ingestor(state, embedder, KEYS).apply([*(opportunity_event(o) for o in opportunities),
                                           *(profile_event(p) for p in young)])
    return state, opportunities, young


@pytest.mark.parametrize(("posting", "asked"), [(1, 0), (2, 0), (3, 2), (4, 3), (5, 3), (6, 3), (7, 3), (8, 3)])
def test_levels_1_and_2_ask_for_nothing_level_3_for_level_2_and_higher_levels_for_level_3(posting: int,
                                                                                          asked: int) -> None:
    assert level_asked_first(posting) == asked


def test_a_persons_highest_level_is_the_highest_recorded_entry_counting_as_0_and_none_when_none_is() -> None:
    assert PersonFacts.from_snapshot(person(qualifications=_qualified("2", "entry", "3")), 1, "h").highest_level == 3
    assert PersonFacts.from_snapshot(person(qualifications=_qualified("entry")), 1, "h").highest_level == 0
    assert PersonFacts.from_snapshot(person(qualifications=[]), 1, "h").highest_level is None


def test_of_two_postings_alike_but_for_level_the_one_within_reach_comes_first_and_the_other_says_why() -> None:
    state, (degree, advanced), (someone,) = _world(
        [{"title": "Food technician apprentice", "level": 6}, {"title": "Food technician apprentice", "level": 3}],
        [{"qualifications": _qualified("2")}],
    )
    answer = service.matches_for_profile(state=state, settings=SETTINGS, principal=ADVISER,
                                         profile_id=someone.profile_id, k=10, filters=Filters(), today=dt.date.today())
    first, second = answer.matches
    assert (first.opportunity_id, second.opportunity_id) == (advanced.opportunity_id, degree.opportunity_id)
    assert round(first.score - second.score, 4) == 0.1  # the same text, place and rules: one level short
    assert first.explanation.level_fit is not None and first.explanation.level_fit.short == 0
    assert "level 3: has level 2, it usually asks for level 2 first" in first.explanation.reasons
    fit = second.explanation.level_fit
    assert fit is not None and (fit.posting_level, fit.asked_first, fit.highest_recorded, fit.short) == (6, 3, 2, 1)
    assert not any(reason.startswith("level") for reason in second.explanation.reasons)


def test_a_posting_at_or_below_the_persons_level_or_asking_for_nothing_first_is_no_reason() -> None:
    state, (intermediate, advanced), (with_a_levels, with_entry_level) = _world(
        [{"level": 2}, {"level": 3}], [{"qualifications": _qualified("3")}, {"qualifications": _qualified("entry")}]
    )

    def fits(someone: ProfileSnapshotV1) -> dict[uuid.UUID, tuple[int, bool, list[str]]]:
        answer = service.matches_for_profile(state=state, settings=SETTINGS, principal=ADVISER,
                                             profile_id=someone.profile_id, k=10, filters=Filters(),
                                             today=dt.date.today())
        return {match.opportunity_id: (match.explanation.level_fit.short, match.explanation.level_fit.step_up,
                                       [reason for reason in match.explanation.reasons if reason.startswith("level")])
                for match in answer.matches if match.explanation.level_fit is not None}

    assert fits(with_a_levels) == {intermediate.opportunity_id: (0, False, []), advanced.opportunity_id: (0, False, [])}
    # Level 2 asks for nothing first: no word about it; level 3 asks for level 2 first.
    assert fits(with_entry_level) == {intermediate.opportunity_id: (0, False, []),
                                      advanced.opportunity_id: (2, True, [])}


def test_more_levels_short_count_up_to_two() -> None:
    state, postings, (someone,) = _world([{"level": level} for level in (2, 3, 4)],
                                         [{"qualifications": _qualified("entry")}])
    answer = service.matches_for_profile(state=state, settings=SETTINGS, principal=ADVISER,
                                         profile_id=someone.profile_id, k=10, filters=Filters(), today=dt.date.today())
    score = {match.opportunity_id: match.score for match in answer.matches}
    level_2, level_3, level_4 = (score[posting.opportunity_id] for posting in postings)
    assert round(level_2 - level_3, 4) == 0.2 and level_3 == level_4  # short 0, 2 and 3 (counted as 2)


def test_an_unknown_level_on_either_side_changes_nothing() -> None:
    state, (levelled, unlevelled), (unqualified, qualified) = _world(
        [{"level": 7}, {"level": None}], [{"qualifications": []}, {"qualifications": _qualified("1")}]
    )

    def scored(someone: ProfileSnapshotV1, weight: float) -> dict[uuid.UUID, tuple[float, LevelFit | None]]:
        answer = service.matches_for_profile(
            state=state, settings=SETTINGS.model_copy(update={"weight_level": weight}), principal=ADVISER,
            profile_id=someone.profile_id, k=10, filters=Filters(), today=dt.date.today(),
        )
        return {match.opportunity_id: (match.score, match.explanation.level_fit) for match in answer.matches}

    # No qualification recorded: no level is compared and no score moves.
    assert scored(unqualified, 0.1) == scored(unqualified, 0.0)
    assert all(fit is None for _, fit in scored(unqualified, 0.1).values())
    # Level 1 recorded: the posting without a level is not moved; the level 7 one (asks for 3) loses 2 x 0.1.
    weighed, unweighed = scored(qualified, 0.1), scored(qualified, 0.0)
    assert weighed[unlevelled.opportunity_id] == unweighed[unlevelled.opportunity_id]
    assert round(unweighed[levelled.opportunity_id][0] - weighed[levelled.opportunity_id][0], 4) == 0.2


def test_an_advisers_candidates_for_a_higher_level_posting_put_those_with_the_level_asked_first() -> None:
    state, (higher,), (a_levels, gcses) = _world(
        [{"level": 4}], [{"qualifications": _qualified("3")}, {"qualifications": _qualified("1")}]
    )
    answer = service.candidates_for_opportunity(state=state, settings=SETTINGS, opportunity_id=higher.opportunity_id,
                                                k=10, filters=Filters(), today=dt.date.today(), principal=ADVISER)
    order = [match.profile_id for match in answer.matches]
    assert order == [a_levels.profile_id, gcses.profile_id]
    gap = answer.matches[1].explanation.level_fit
    assert gap is not None and gap.short == 2
    assert round(answer.matches[0].score - answer.matches[1].score, 4) == 0.2


def test_the_weight_0_turns_it_off() -> None:
    off = SETTINGS.model_copy(update={"weight_level": 0.0})
    state, postings, (someone,) = _world([{"level": 2}, {"level": 6}], [{"qualifications": _qualified("1")}])
    answer = service.matches_for_profile(state=state, settings=off, principal=ADVISER, profile_id=someone.profile_id,
                                         k=10, filters=Filters(), today=dt.date.today())
    assert len({match.score for match in answer.matches}) == 1
    assert {match.opportunity_id for match in answer.matches} == {p.opportunity_id for p in postings}
