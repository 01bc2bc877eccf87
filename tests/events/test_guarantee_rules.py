"""The clock's rules as pure functions: episodes from status history and offers, statuses at a time,
and small-number suppression."""

from __future__ import annotations

import datetime as dt
import random
import uuid

import pytest

from services.events.guarantee import ClockRules, GroupTally, derive_episodes, status_at, suppress
from services.messaging.vocabulary import GUARANTEE_STATUSES

pytestmark = pytest.mark.unit

T0 = dt.datetime(2030, 1, 1, 9, tzinfo=dt.UTC)
RULES = ClockRules(deadline_days=120, warning_share=0.75, suppression_threshold=5)


def d(n: float) -> dt.datetime:
    return T0 + dt.timedelta(days=n)


@pytest.mark.parametrize(
    ("now_day", "offer_day", "expected"),
    [
        (0, None, "on_track"),
        (89.9, None, "on_track"),
        (90, None, "at_risk"),
        (120, None, "at_risk"),
        (120.01, None, "overdue"),
        (400, 120, "met"),
        (400, 120.01, "met_late"),
        (10, 5, "met"),
        (-3, None, "on_track"),
    ],
)
def test_status_follows_the_deadline_and_the_warning_share(
    now_day: float, offer_day: float | None, expected: str
) -> None:
    offer = d(offer_day) if offer_day is not None else None
    assert status_at(started_at=T0, offer_at=offer, now=d(now_day), rules=RULES) == expected


def test_a_town_can_set_its_own_deadline_and_warning() -> None:
    rules = ClockRules(deadline_days=60, warning_share=0.5)
    assert status_at(started_at=T0, offer_at=None, now=d(29), rules=rules) == "on_track"
    assert status_at(started_at=T0, offer_at=None, now=d(30), rules=rules) == "at_risk"
    assert status_at(started_at=T0, offer_at=None, now=d(61), rules=rules) == "overdue"
    assert status_at(started_at=T0, offer_at=d(61), now=d(61), rules=rules) == "met_late"


def test_clock_starts_at_registration_as_neet_and_stops_at_the_first_offer() -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    spans = derive_episodes([(1, "neet", d(0))], [(d(50), second), (d(30), first)], registered_at=d(0))
    assert len(spans) == 1
    assert (spans[0].started_at, spans[0].ended_at, spans[0].offer_at, spans[0].offer_referral_id) == (
        d(0), None, d(30), first,
    )


def test_neet_again_after_work_opens_a_new_episode_and_keeps_the_old_one() -> None:
    history = [(1, "neet", d(0)), (2, "employment", d(40)), (3, "neet", d(200)), (4, "neet", d(210))]
    offers = [(d(20), uuid.uuid4()), (d(100), uuid.uuid4()), (d(230), uuid.uuid4())]
    spans = derive_episodes(history, offers, registered_at=d(0))
    assert [(s.number, s.started_at, s.ended_at, s.offer_at) for s in spans] == [
        (1, d(0), d(40), d(20)),
        (2, d(200), None, d(230)),
    ]


def test_a_neet_person_whose_activity_turns_not_known_keeps_waiting_on_the_same_clock() -> None:
    history = [(1, "neet", d(0)), (2, "not_known", d(31)), (3, "neet", d(50)), (4, "training", d(90))]
    spans = derive_episodes(history, [], registered_at=d(0))
    assert [(s.started_at, s.ended_at) for s in spans] == [(d(0), d(90))]
    assert derive_episodes([(1, "education", d(0)), (2, "not_known", d(365))], [], registered_at=d(0)) == []


def test_an_offer_outside_every_episode_stops_nothing() -> None:
    history = [(1, "education", d(0)), (2, "neet", d(50))]
    spans = derive_episodes(history, [(d(10), uuid.uuid4())], registered_at=d(0))
    assert [(s.started_at, s.offer_at) for s in spans] == [(d(50), None)]


def test_registering_in_work_starts_no_clock() -> None:
    assert derive_episodes([(1, "employment", d(0))], [], registered_at=d(0)) == []


def test_history_is_read_in_version_order_whatever_order_it_came_in() -> None:
    history = [(3, "neet", d(200)), (1, "neet", d(0)), (2, "training", d(40))]
    in_order = derive_episodes(sorted(history), [], registered_at=d(0))
    assert derive_episodes(history, [], registered_at=d(0)) == in_order
    assert [s.started_at for s in in_order] == [d(0), d(200)]


def test_before_the_registration_event_arrives_the_clock_counts_from_registered_at() -> None:
    spans = derive_episodes([(2, "neet", d(5))], [], registered_at=d(0))
    assert [s.started_at for s in spans] == [d(0)]


def _tally(counts: dict[str, int], days: list[float], group: str = "all") -> GroupTally:
    full = {"on_track": 0, "at_risk": 0, "overdue": 0, "met": 0, "met_late": 0, **counts}
    return GroupTally(group, full, days, full["met"])  # type: ignore[arg-type]


def test_suppression_hides_figures_with_fewer_than_five_people_behind_them() -> None:
    figures = suppress(_tally({"on_track": 6, "overdue": 3, "met": 5}, [10, 20, 30, 40, 50]), 5)
    assert figures.size.model_dump() == {"value": 14, "suppressed": False}
    assert figures.counts["on_track"].model_dump() == {"value": 6, "suppressed": False}
    assert figures.counts["overdue"].model_dump() == {"value": None, "suppressed": True}
    assert figures.counts["at_risk"].model_dump() == {"value": 0, "suppressed": False}
    assert figures.counts["met"].model_dump() == {"value": None, "suppressed": True}, "else overdue = 14 - 6 - 5"
    assert figures.median_days_to_offer.model_dump() == {"value": 30.0, "suppressed": False}
    assert figures.share_offered_within_deadline.model_dump() == {"value": 1.0, "suppressed": False}


def test_a_small_group_hides_every_figure_even_zeros() -> None:
    figures = suppress(_tally({"on_track": 2, "met": 2}, [10, 11], group="send"), 5)
    assert figures.size.suppressed and figures.size.value is None
    assert all(figure.suppressed and figure.value is None for figure in figures.counts.values())
    assert figures.median_days_to_offer.suppressed and figures.share_offered_within_deadline.suppressed


def test_offer_figures_need_five_offers_behind_them() -> None:
    figures = suppress(_tally({"on_track": 10, "met": 3, "met_late": 1}, [5, 6, 7, 130]), 5)
    assert figures.size.value == 14
    assert figures.median_days_to_offer.suppressed and figures.share_offered_within_deadline.suppressed
    nobody = suppress(_tally({"on_track": 7}, []), 5)
    assert nobody.median_days_to_offer.model_dump() == {"value": None, "suppressed": False}


@pytest.mark.parametrize("seed", range(20))
def test_no_hidden_count_can_be_worked_out_from_the_size(seed: int) -> None:
    rng = random.Random(seed)
    counts = {status: rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 9, 20]) for status in GUARANTEE_STATUSES}
    figures = suppress(_tally(counts, []), 5)
    hidden = [status for status, figure in figures.counts.items() if figure.suppressed]
    if not figures.size.suppressed:
        assert len(hidden) != 1, (counts, hidden)
    for status, figure in figures.counts.items():
        assert figure.suppressed or not 0 < counts[status] < 5
