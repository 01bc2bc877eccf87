"""The timing rules on their own: working days, quiet hours across midnight and the clock change, digest times."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from services.notifications.config import NotificationsSettings
from services.notifications.rules import Timing, add_working_days, default_frequency, fits

pytestmark = pytest.mark.unit
TIMING = Timing.from_settings(NotificationsSettings(_env_file=None))  # type: ignore[call-arg]


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def test_working_days_skip_weekends() -> None:
    friday = at("2041-12-06T10:00:00+00:00")
    assert add_working_days(friday, 1) == at("2041-12-09T10:00:00+00:00")  # Monday
    assert add_working_days(friday, 10) == at("2041-12-20T10:00:00+00:00")
    assert add_working_days(friday, 0) == friday


@pytest.mark.parametrize(("moment", "released"), [
    ("2041-12-02T20:59:00+00:00", "2041-12-02T20:59:00+00:00"),  # before 21:00: at once
    ("2041-12-02T21:00:00+00:00", "2041-12-03T08:00:00+00:00"),
    ("2041-12-03T07:59:00+00:00", "2041-12-03T08:00:00+00:00"),  # after midnight: the same morning
    ("2041-07-02T06:30:00+00:00", "2041-07-02T07:00:00+00:00"),  # summer: 08:00 in London is 07:00 UTC
])
def test_quiet_hours_hold_until_eight_in_london(moment: str, released: str) -> None:
    assert TIMING.after_quiet_hours(at(moment)) == at(released)


def test_digests_go_at_eight_daily_and_on_mondays_weekly() -> None:
    tuesday = at("2041-12-03T09:00:00+00:00")
    assert TIMING.digest_due(tuesday, "daily") == at("2041-12-04T08:00:00+00:00")
    assert TIMING.digest_due(tuesday, "weekly") == at("2041-12-09T08:00:00+00:00")
    assert TIMING.digest_due(at("2041-12-02T07:00:00+00:00"), "weekly") == at("2041-12-02T08:00:00+00:00")


def test_under_18s_default_to_weekly() -> None:
    today = dt.date(2041, 12, 2)
    assert default_frequency(dt.date(2024, 12, 3), today, 18) == "weekly"  # 17, 18 tomorrow
    assert default_frequency(dt.date(2023, 12, 2), today, 18) == "daily"  # 18 today
    assert default_frequency(None, today, 18) == "daily"


def test_a_search_fits_by_every_filter_and_every_word() -> None:
    opportunity = {"type": "apprenticeship", "sector": "digital", "postcode_district": "SK1", "wage_per_hour": 8.0,
                   "text": "Junior web developer. Build websites with HTML and Python."}
    assert fits({}, "python web", opportunity)
    assert not fits({}, "python java", opportunity)
    assert fits({"types": ["apprenticeship"], "postcode_districts": ["sk1"]}, "", opportunity)
    assert not fits({"sectors": ["construction"]}, "", opportunity)
    assert not fits({"min_wage_per_hour": 9.5}, "", opportunity)


def test_with_a_matcher_the_words_fit_by_its_similarity_asked_only_once_the_filters_hold() -> None:
    opportunity = {"type": "apprenticeship", "sector": "digital", "postcode_district": "SK1", "wage_per_hour": 8.0,
                   "text": "Junior web developer. Build websites with HTML and Python."}
    asked: list[float] = []

    def similarity(value: float) -> Callable[[], float]:
        def ask() -> float:
            asked.append(value)
            return value
        return ask

    assert fits({}, "coding", opportunity, similarity(0.5), 0.4)  # no word in common, but near in meaning
    assert fits({}, "coding", opportunity, similarity(0.4), 0.4)  # at the threshold
    assert not fits({}, "python web", opportunity, similarity(0.39), 0.4)  # every word, but not near enough
    assert not fits({"sectors": ["construction"]}, "coding", opportunity, similarity(0.9), 0.4)
    assert fits({}, "", opportunity, similarity(0.0), 0.4)  # no words: the filters decide
    assert asked == [0.5, 0.4, 0.39]
