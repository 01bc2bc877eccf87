"""Bad input gets a 422 naming the field, and nothing is stored: neither the tables nor the outbox change."""

from __future__ import annotations

from typing import Any

import pytest

from tests.opportunities.harness import Harness, employer_payload, opportunity_payload


def _field_named(response: Any) -> set[str]:
    """Every name in every error location (a missing field is named in its loc)."""
    return {str(part) for item in response.json()["detail"] for part in item["loc"]}


BAD_OPPORTUNITIES: list[tuple[dict[str, Any], str]] = [
    ({"title": ""}, "title"),
    ({"title": None}, "title"),
    ({"type": "internship"}, "type"),
    ({"sector": "space travel"}, "sector"),
    ({"wage_per_hour": 12.345}, "wage_per_hour"),
    ({"wage_per_hour": -1}, "wage_per_hour"),
    ({"wage_per_hour": "twelve"}, "wage_per_hour"),
    ({"wage_per_hour": None}, "wage_per_hour"),
    ({"annual_wage": 25000}, "annual_wage"),
    ({"hours_per_week": 0}, "hours_per_week"),
    ({"hours_per_week": 60}, "hours_per_week"),
    ({"positions": 0}, "positions"),
    ({"positions": 1.5}, "positions"),
    ({"start_date": "2026-02-30"}, "start_date"),
    ({"closing_date": "2026-08-01T10:00:00"}, "closing_date"),
    ({"postcode": "not a postcode"}, "postcode"),
    ({"postcode": "EC1A 1BB"}, "postcode"),
    ({"min_age": 15}, "min_age"),
    ({"min_age": 25, "max_age": 20}, "max_age"),
    ({"level": 9}, "level"),
    ({"type": "apprenticeship"}, "level"),
    ({"skills": ["x" * 61]}, "0"),
    ({"remote": "yes"}, "remote"),
    ({"employer_id": "not-a-uuid"}, "employer_id"),
    ({"employer_id": "8d6f4c3e-0000-4000-8000-000000000000"}, "employer_id"),
    ({"colour": "blue"}, "colour"),
]


@pytest.mark.parametrize(
    ("overrides", "field"),
    BAD_OPPORTUNITIES,
    ids=[f"{field}:{list(o.values())[0]!r}"[:40] for o, field in BAD_OPPORTUNITIES],
)
def test_a_bad_opportunity_is_refused_naming_the_field_and_nothing_is_stored(
    api: Harness, employer: dict[str, Any], overrides: dict[str, Any], field: str
) -> None:
    before = api.counts()
    payload = {**opportunity_payload(employer["id"], api.today), **overrides}
    response = api.client.post("/opportunities", json=payload, headers=api.adviser())
    assert response.status_code == 422, response.text
    assert field in _field_named(response)
    assert api.counts() == before


def test_a_missing_required_field_is_named(api: Harness, employer: dict[str, Any]) -> None:
    payload = opportunity_payload(employer["id"], api.today)
    del payload["closing_date"]
    before = api.counts()
    response = api.client.post("/opportunities", json=payload, headers=api.adviser())
    assert response.status_code == 422 and "closing_date" in _field_named(response)
    assert api.counts() == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"contact_email": "nobody"}, "contact_email"),
        ({"sector": "mining"}, "sector"),
        ({"postcode": "12345"}, "postcode"),
        ({"disability_confident": "maybe"}, "disability_confident"),
    ],
)
def test_a_bad_employer_is_refused_and_nothing_is_stored(api: Harness, overrides: dict[str, Any], field: str) -> None:
    before = api.counts()
    response = api.client.post("/employers", json=employer_payload(**overrides), headers=api.adviser())
    assert response.status_code == 422 and field in _field_named(response)
    assert api.counts() == before


def test_a_bad_draft_edit_changes_nothing(api: Harness, employer: dict[str, Any]) -> None:
    draft = api.draft(employer["id"])
    before = api.counts()
    for body, field in [
        ({"type": "apprenticeship"}, "level"),
        ({"postcode": "EC1A 1BB"}, "postcode"),
        ({"wage_per_hour": 10, "annual_wage": 20000}, "annual_wage"),
        ({"min_age": 30, "max_age": 20}, "max_age"),
        ({"positions": None}, "positions"),
    ]:
        response = api.client.patch(f"/opportunities/{draft['id']}", json=body, headers=api.adviser())
        assert response.status_code == 422 and field in _field_named(response), body
    after = api.client.get(f"/opportunities/{draft['id']}", headers=api.adviser()).json()
    assert after == draft
    assert api.counts() == before


def test_bad_referral_input_is_refused_and_nothing_is_stored(
    api: Harness, employer: dict[str, Any], person: str
) -> None:
    opportunity = api.live(employer["id"])
    before = api.counts()
    for body, field in [
        ({"profile_id": "nope", "opportunity_id": opportunity["id"]}, "profile_id"),
        ({"profile_id": person}, "opportunity_id"),
        ({"profile_id": person, "opportunity_id": opportunity["id"], "note": "x" * 2001}, "note"),
        ({"profile_id": person, "opportunity_id": opportunity["id"], "priority": "high"}, "priority"),
    ]:
        response = api.client.post("/referrals", json=body, headers=api.adviser())
        assert response.status_code == 422 and field in _field_named(response), body
    assert api.counts() == before
    referral = api.refer(person, opportunity["id"]).json()
    moved_before = api.counts()
    for body, field in [
        ({"status": "hired"}, "status"),
        ({}, "status"),
        ({"status": "applied", "feedback": ""}, "feedback"),
    ]:
        response = api.client.patch(f"/referrals/{referral['id']}", json=body, headers=api.adviser())
        assert response.status_code == 422 and field in _field_named(response), body
    assert api.counts() == moved_before
    assert api.client.get(f"/referrals/{referral['id']}", headers=api.adviser()).json()["status"] == "referred"
