"""Every rule checked at publish: a passing and a failing case each, the wage exactly at the legal minimum and
one penny below it for every period of the dated table and every age band boundary (a role pays the rate of the
oldest age it admits), an apprenticeship's second year, Kick-Start's scheme rules, dates, positions, postcode; the
wage failures in words that say which band fails and what to change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from services.common.minimum_wage import DEFAULT_TABLE, RATES, WageRates
from tests.opportunities.conftest import ProfilesService, make_harness
from tests.opportunities.harness import BASE_TIME, Harness, detail_types, kickstart_overrides, opportunity_payload
from tests.support.databases import TestDatabases

PENNY = Decimal("0.01")


def _publish(api: Harness, employer_id: str, **overrides: Any) -> Any:
    created = api.client.post(
        "/opportunities", json=opportunity_payload(employer_id, api.today, **overrides), headers=api.adviser()
    )
    assert created.status_code == 201, created.text
    return api.client.post(f"/opportunities/{created.json()['id']}/publish", headers=api.adviser())


def _at(api: Harness, start: dt.date) -> dict[str, str]:
    """Move the clock to 60 days before `start`; dates that pass the date rules."""
    api.clock.at = dt.datetime.combine(start - dt.timedelta(days=60), dt.time(9), tzinfo=dt.UTC)
    return {"start_date": start.isoformat(), "closing_date": (start - dt.timedelta(days=30)).isoformat()}


# (role, overrides, the table column that applies): a role that is not an apprenticeship must pay the rate of the
# OLDEST age it admits (no upper age: the 21 and over rate); each band boundary is crossed by one role.
ROLES = [
    ("apprenticeship of a year", {"type": "apprenticeship", "level": 2, "duration_months": 12}, "apprentice"),
    ("job for 16-17s", {"min_age": 16, "max_age": 17}, "under_18"),
    ("job for 16-18s", {"min_age": 16, "max_age": 18}, "age_18_to_20"),
    ("job for 18-20s", {"min_age": 18, "max_age": 20}, "age_18_to_20"),
    ("job for 16-21s", {"max_age": 21}, "age_21_and_over"),
    ("job open at 16", {"min_age": 16}, "age_21_and_over"),
    ("job with no minimum age", {}, "age_21_and_over"),
    ("job from 21", {"min_age": 21}, "age_21_and_over"),
    ("kickstart for 16-17s", kickstart_overrides(max_age=17), "under_18"),
    ("kickstart for 18-20s", kickstart_overrides(min_age=18, max_age=20), "age_18_to_20"),
    ("kickstart from 18", kickstart_overrides(min_age=18), "age_21_and_over"),
]


@pytest.mark.parametrize("period", RATES, ids=lambda rates: f"from-{rates.effective_from}")
@pytest.mark.parametrize(("role", "overrides", "column"), ROLES, ids=[role for role, _, _ in ROLES])
def test_wage_exactly_at_the_minimum_passes_and_a_penny_below_fails(
    api: Harness, employer: dict[str, Any], period: Any, role: str, overrides: dict[str, Any], column: str
) -> None:
    dates = _at(api, period.effective_from + dt.timedelta(days=45))
    minimum: Decimal = getattr(period, column)
    at_minimum = _publish(api, employer["id"], **{**overrides, **dates, "wage_per_hour": float(minimum)})
    assert at_minimum.status_code == 200, at_minimum.text
    below = _publish(api, employer["id"], **{**overrides, **dates, "wage_per_hour": float(minimum - PENNY)})
    assert below.status_code == 422
    assert detail_types(below) == {"wage_per_hour": "minimum_wage"}
    assert str(minimum) in below.json()["detail"][0]["msg"]


@pytest.mark.parametrize("period", RATES[1:], ids=lambda rates: f"from-{rates.effective_from}")
def test_the_rate_is_chosen_by_start_date_not_by_today(api: Harness, employer: dict[str, Any], period: Any) -> None:
    previous = RATES[RATES.index(period) - 1]
    wage = float(previous.apprentice)  # enough under the old table, too little under the new one
    day_before = _at(api, period.effective_from - dt.timedelta(days=1))
    year = {"type": "apprenticeship", "level": 3, "duration_months": 12, "wage_per_hour": wage}
    old_rates = _publish(api, employer["id"], **year, **day_before)
    assert old_rates.status_code == 200, old_rates.text
    first_day = _at(api, period.effective_from)
    new_rates = _publish(api, employer["id"], **year, **first_day)
    assert new_rates.status_code == 422 and detail_types(new_rates) == {"wage_per_hour": "minimum_wage"}


def test_an_annual_wage_is_judged_per_hour_over_52_weeks(api: Harness, employer: dict[str, Any]) -> None:
    dates = _at(api, dt.date(2026, 9, 1))
    # 12.71 x 37.5 x 52 = 24784.50 exactly: the 21+ minimum from April 2026
    enough = _publish(api, employer["id"], min_age=21, wage_per_hour=None, annual_wage=24784.50, **dates)
    assert enough.status_code == 200, enough.text
    assert enough.json()["wage_per_hour"] == 12.71 and enough.json()["annual_wage"] == 24784.5
    short = _publish(api, employer["id"], min_age=21, wage_per_hour=None, annual_wage=24784.49, **dates)
    assert short.status_code == 422 and detail_types(short) == {"wage_per_hour": "minimum_wage"}


def test_a_start_date_before_the_wage_table_cannot_be_judged(api: Harness, employer: dict[str, Any]) -> None:
    dates = _at(api, dt.date(2024, 3, 31))
    response = _publish(api, employer["id"], **dates)
    assert response.status_code == 422 and detail_types(response) == {"start_date": "wage_table_period"}


def test_kickstart_within_the_scheme_rules_publishes(api: Harness, employer: dict[str, Any]) -> None:
    response = _publish(api, employer["id"], **kickstart_overrides())
    assert response.status_code == 200, response.text
    assert response.json()["type"] == "kickstart"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"max_age": 25}, "max_age"),
        ({"max_age": None}, "max_age"),
        ({"requires_universal_credit": False}, "requires_universal_credit"),
        ({"hours_per_week": 30}, "hours_per_week"),
        ({"hours_per_week": 24.5}, "hours_per_week"),
        ({"duration_months": 12}, "duration_months"),
        ({"duration_months": None}, "duration_months"),
    ],
    ids=["over-24", "no-max-age", "not-uc", "30-hours", "24.5-hours", "12-months", "no-duration"],
)
def test_kickstart_outside_the_scheme_rules_fails(
    api: Harness, employer: dict[str, Any], overrides: dict[str, Any], field: str
) -> None:
    response = _publish(api, employer["id"], **kickstart_overrides(**overrides))
    assert response.status_code == 422
    assert detail_types(response)[field].startswith("kickstart_")


def test_closing_date_must_be_after_today(api: Harness, employer: dict[str, Any]) -> None:
    tomorrow = _publish(api, employer["id"], closing_date=(api.today + dt.timedelta(days=1)).isoformat())
    assert tomorrow.status_code == 200, tomorrow.text
    today = _publish(api, employer["id"], closing_date=api.today.isoformat())
    assert today.status_code == 422 and detail_types(today) == {"closing_date": "closing_date_after_today"}


def test_closing_date_must_be_before_the_start_date(api: Harness, employer: dict[str, Any]) -> None:
    start = api.today + dt.timedelta(days=60)
    day_before = _publish(
        api, employer["id"], start_date=start.isoformat(), closing_date=(start - dt.timedelta(days=1)).isoformat()
    )
    assert day_before.status_code == 200, day_before.text
    same_day = _publish(api, employer["id"], start_date=start.isoformat(), closing_date=start.isoformat())
    assert same_day.status_code == 422 and detail_types(same_day) == {"closing_date": "closing_date_before_start"}


def test_every_failed_rule_is_named_at_once(api: Harness, employer: dict[str, Any]) -> None:
    response = _publish(
        api,
        employer["id"],
        **kickstart_overrides(hours_per_week=30, requires_universal_credit=False),
        wage_per_hour=1.0,
        closing_date=api.today.isoformat(),
    )
    assert response.status_code == 422
    assert detail_types(response) == {
        "closing_date": "closing_date_after_today",
        "requires_universal_credit": "kickstart_universal_credit",
        "hours_per_week": "kickstart_hours",
        "wage_per_hour": "minimum_wage",
    }


def test_positions_must_be_at_least_one(api: Harness, employer: dict[str, Any]) -> None:
    assert _publish(api, employer["id"], positions=1).status_code == 200
    before = api.counts()
    none = api.client.post(
        "/opportunities", json=opportunity_payload(employer["id"], api.today, positions=0), headers=api.adviser()
    )
    assert none.status_code == 422 and none.json()["detail"][0]["loc"] == ["body", "positions"]
    assert api.counts() == before


def test_postcode_must_resolve_to_a_location(api: Harness, employer: dict[str, Any]) -> None:
    placed = _publish(api, employer["id"], postcode="m20 2ab")
    assert placed.status_code == 200 and placed.json()["postcode"] == "M20 2AB"
    assert placed.json()["latitude"] == pytest.approx(53.4209)
    before = api.counts()
    unplaced = api.client.post(
        "/opportunities",
        json=opportunity_payload(employer["id"], api.today, postcode="EC1A 1BB"),
        headers=api.adviser(),
    )
    assert unplaced.status_code == 422 and detail_types(unplaced) == {"postcode": "postcode_not_located"}
    assert api.counts() == before


@pytest.mark.parametrize("level", [2, 7])
def test_apprenticeship_levels_two_to_seven_pass(api: Harness, employer: dict[str, Any], level: int) -> None:
    response = _publish(api, employer["id"], type="apprenticeship", level=level)
    assert response.status_code == 200 and response.json()["level"] == level


@pytest.mark.parametrize("level", [None, 1, 8])
def test_apprenticeship_outside_levels_two_to_seven_is_refused(
    api: Harness, employer: dict[str, Any], level: int | None
) -> None:
    before = api.counts()
    response = api.client.post(
        "/opportunities",
        json=opportunity_payload(employer["id"], api.today, type="apprenticeship", level=level),
        headers=api.adviser(),
    )
    assert response.status_code == 422 and detail_types(response) == {"level": "apprenticeship_level"}
    assert api.counts() == before


def test_a_draft_edited_back_within_the_rules_publishes(api: Harness, employer: dict[str, Any]) -> None:
    created = api.client.post(
        "/opportunities", json=opportunity_payload(employer["id"], api.today, wage_per_hour=5), headers=api.adviser()
    ).json()
    refused = api.client.post(f"/opportunities/{created['id']}/publish", headers=api.adviser())
    assert refused.status_code == 422 and api.outbox(created["id"]) == []
    assert api.client.get(f"/opportunities/{created['id']}", headers=api.adviser()).json()["status"] == "draft"
    api.client.patch(f"/opportunities/{created['id']}", json={"wage_per_hour": 12.71}, headers=api.adviser())
    assert api.client.post(f"/opportunities/{created['id']}/publish", headers=api.adviser()).status_code == 200


def _message(response: Any) -> str:
    assert response.status_code == 422, response.text
    return str(response.json()["detail"][0]["msg"])


def test_a_job_open_from_16_says_which_age_bands_fail_and_what_to_change(
    api: Harness, employer: dict[str, Any]
) -> None:
    dates, rates = _at(api, dt.date(2026, 9, 1)), RATES[-1]
    refused = _publish(api, employer["id"], min_age=16, wage_per_hour=float(rates.under_18), **dates)
    assert detail_types(refused) == {"wage_per_hour": "minimum_wage"}
    assert _message(refused) == (
        f"£{rates.under_18} an hour is below the legal minimum of £{rates.age_18_to_20} an hour for ages 18 to 20 "
        f"and £{rates.age_21_and_over} an hour for ages 21 and over on the start date, 1 September 2026. "
        f"Raise the pay to at least £{rates.age_21_and_over} an hour, or set the oldest age to 17 so that only "
        "people aged 16 to 17 can apply."
    )
    narrowed = _publish(api, employer["id"], min_age=16, max_age=17, wage_per_hour=float(rates.under_18), **dates)
    assert narrowed.status_code == 200, narrowed.text
    to_20 = _publish(api, employer["id"], min_age=18, wage_per_hour=float(rates.age_18_to_20), **dates)
    assert f"below the legal minimum of £{rates.age_21_and_over} an hour for ages 21 and over" in _message(to_20)
    assert "set the oldest age to 20 so that only people aged 18 to 20 can apply" in _message(to_20)


def test_an_apprenticeship_past_its_first_year_pays_19s_and_over_their_age_rate_from_its_second_year(
    api: Harness, employer: dict[str, Any]
) -> None:
    dates, rates = _at(api, dt.date(2026, 9, 1)), RATES[-1]  # its second year starts on 1 September 2027
    base = {"type": "apprenticeship", "level": 3, "duration_months": 24, "wage_per_hour": float(rates.apprentice),
            **dates}
    flat = _publish(api, employer["id"], **base)
    assert detail_types(flat) == {"wage_after_first_year": "minimum_wage_after_first_year"}
    assert _message(flat) == (
        "This apprenticeship lasts 24 months. The apprentice rate covers people under 19 and those in their first "
        f"year only: from 1 September 2027, when its second year starts, £{rates.apprentice} an hour is below the "
        f"legal minimum of £{rates.age_18_to_20} an hour for ages 18 to 20 and £{rates.age_21_and_over} an hour "
        f"for ages 21 and over. Give a pay after the first year of at least £{rates.age_21_and_over} an hour, or "
        "set the oldest age to 17 so that only people aged 16 to 17 can apply."
    )
    rising = _publish(api, employer["id"], **base, wage_after_first_year=float(rates.age_21_and_over))
    assert rising.status_code == 200, rising.text
    assert rising.json()["pay_rise_after_first_year"] == {"from_date": "2027-09-01",
                                                         "at_least": float(rates.age_21_and_over)}
    assert rising.json()["wage_after_first_year"] == float(rates.age_21_and_over)
    short = _publish(api, employer["id"], **base, wage_after_first_year=float(rates.age_21_and_over - PENNY))
    assert detail_types(short) == {"wage_after_first_year": "minimum_wage_after_first_year"}

    # The oldest admitted age sets the rise: 19 at the start is 20 in the second year, in the 18 to 20 band.
    to_19 = _publish(api, employer["id"], **base, max_age=19, wage_after_first_year=float(rates.age_18_to_20))
    assert to_19.status_code == 200 and to_19.json()["pay_rise_after_first_year"]["at_least"] == float(
        rates.age_18_to_20)
    # 18 at the start is 19, out of the apprentice rate, in the second year; 17 is 18 and still on it.
    assert detail_types(_publish(api, employer["id"], **base, max_age=18)) == {
        "wage_after_first_year": "minimum_wage_after_first_year"}
    to_17 = _publish(api, employer["id"], **base, max_age=17)
    assert to_17.status_code == 200 and to_17.json()["pay_rise_after_first_year"] is None
    # A year-long one never reaches a second year; one that gives no length may.
    assert _publish(api, employer["id"], **{**base, "duration_months": 12}).status_code == 200
    unknown = _publish(api, employer["id"], **{**base, "duration_months": None})
    assert "gives no length, so it may run past its first year" in _message(unknown)


def test_pay_after_the_first_year_cannot_be_lower_than_at_the_start(api: Harness, employer: dict[str, Any]) -> None:
    response = api.client.post(
        "/opportunities",
        json=opportunity_payload(employer["id"], api.today, type="apprenticeship", level=2, wage_per_hour=13.0,
                                 wage_after_first_year=12.0),
        headers=api.adviser(),
    )
    assert response.status_code == 422
    assert detail_types(response) == {"wage_after_first_year": "pay_after_first_year_not_lower"}


# A made-up future row of the dated table: the second year of a role starting in September 2026 falls under it.
NEW_RATE = WageRates(dt.date(2027, 4, 1), Decimal("8.50"), Decimal("8.50"), Decimal("11.40"), Decimal("13.20"))


@pytest.fixture(scope="module")
def with_new_rate(databases: TestDatabases, profiles_service: ProfilesService) -> Iterator[Harness]:
    yield from make_harness(databases, profiles_service, wage_table=DEFAULT_TABLE.with_row(NEW_RATE))()


def test_the_second_year_is_checked_against_the_rate_in_force_when_it_starts(with_new_rate: Harness) -> None:
    api = with_new_rate
    api.clock.at = BASE_TIME
    employer = api.new_employer()
    dates = _at(api, dt.date(2026, 9, 1))
    base = {"type": "apprenticeship", "level": 2, "duration_months": 24, "wage_per_hour": 8.0, **dates}
    under_19s = _publish(api, employer["id"], **base, max_age=17)
    assert detail_types(under_19s) == {"wage_after_first_year": "minimum_wage_after_first_year"}
    assert "the apprentice rate (£8.50 an hour)" in _message(under_19s)
    assert _publish(api, employer["id"], **base, max_age=17, wage_after_first_year=8.5).status_code == 200
    everyone = _publish(api, employer["id"], **base, wage_after_first_year=12.71)
    assert "at least £13.20 an hour" in _message(everyone)
    assert _publish(api, employer["id"], **base, wage_after_first_year=13.2).status_code == 200
