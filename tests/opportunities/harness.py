"""Driving the real opportunities service in tests: tokens, factories for valid payloads, and row counts."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from services.common.auth import Role
from services.common.clock import FixedClock
from services.opportunities.config import OpportunitiesSettings
from services.opportunities.models import Employer, Interest, Opportunity, OutboxRecord, Referral
from tests.support.services import bearer

BASE_TIME = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
ADVISER = "adviser-7"

_counter = itertools.count(1)


def employer_payload(**overrides: Any) -> dict[str, Any]:
    n = next(_counter)
    payload: dict[str, Any] = {
        "name": f"Test Employer {n} Ltd",
        "postcode": "SK1 1AA",
        "sector": "catering_hospitality",
        "contact_email": f"jobs{n}@employer.example.org",
        "disability_confident": True,
        "living_wage_employer": False,
        "good_employment_charter": True,
    }
    payload.update(overrides)
    return payload


def opportunity_payload(employer_id: str, today: dt.date, **overrides: Any) -> dict[str, Any]:
    """A job that passes every publishing rule on `today`."""
    n = next(_counter)
    payload: dict[str, Any] = {
        "employer_id": employer_id,
        "type": "job",
        "title": f"Kitchen assistant {n}",
        "description": "Help our chefs prepare food and keep the kitchen clean.",
        "skills": ["food hygiene", "teamwork"],
        "sector": "catering_hospitality",
        "postcode": "SK1 3XE",
        "hours_per_week": 37.5,
        "wage_per_hour": 13.0,
        "duration_months": None,
        "positions": 2,
        "start_date": (today + dt.timedelta(days=60)).isoformat(),
        "closing_date": (today + dt.timedelta(days=30)).isoformat(),
        "requires_universal_credit": False,
        "remote": False,
    }
    payload.update(overrides)
    return payload


def kickstart_overrides(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "kickstart",
        "min_age": 16,
        "max_age": 24,
        "requires_universal_credit": True,
        "hours_per_week": 25,
        "duration_months": 6,
    }
    payload.update(overrides)
    return payload


def detail_types(response: Any) -> dict[str, str]:
    """field name -> rule type, from a 422 in FastAPI's error shape."""
    return {str(item["loc"][-1]): item["type"] for item in response.json()["detail"]}


class Harness:
    def __init__(self, client: TestClient, settings: OpportunitiesSettings, clock: FixedClock, engine: Engine):
        self.client = client
        self.settings = settings
        self.clock = clock
        self.engine = engine

    @property
    def today(self) -> dt.date:
        return self.clock.today()

    def adviser(self, sub: str = ADVISER) -> dict[str, str]:
        return bearer(self.settings, Role.ADVISER, sub)

    def employer(self, employer_id: str) -> dict[str, str]:
        return bearer(self.settings, Role.EMPLOYER, employer_id)

    def person(self, profile_id: str) -> dict[str, str]:
        return bearer(self.settings, Role.YOUNG_PERSON, profile_id)

    def new_employer(self, **overrides: Any) -> dict[str, Any]:
        response = self.client.post("/employers", json=employer_payload(**overrides), headers=self.adviser())
        assert response.status_code == 201, response.text
        return response.json()

    def draft(self, employer_id: str, **overrides: Any) -> dict[str, Any]:
        response = self.client.post(
            "/opportunities", json=opportunity_payload(employer_id, self.today, **overrides), headers=self.adviser()
        )
        assert response.status_code == 201, response.text
        return response.json()

    def live(self, employer_id: str, **overrides: Any) -> dict[str, Any]:
        draft = self.draft(employer_id, **overrides)
        response = self.client.post(f"/opportunities/{draft['id']}/publish", headers=self.adviser())
        assert response.status_code == 200, response.text
        return response.json()

    def refer(self, profile_id: str, opportunity_id: str, note: str = "Keen and reliable.") -> Any:
        return self.client.post(
            "/referrals",
            json={"profile_id": profile_id, "opportunity_id": opportunity_id, "note": note},
            headers=self.adviser(),
        )

    def move(self, referral_id: str, status: str, headers: dict[str, str] | None = None, **extra: Any) -> Any:
        return self.client.patch(
            f"/referrals/{referral_id}", json={"status": status, **extra}, headers=headers or self.adviser()
        )

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as connection:
            return {
                model.__tablename__: connection.scalar(select(func.count()).select_from(model)) or 0
                for model in (Employer, Opportunity, Referral, Interest, OutboxRecord)
            }

    def outbox(self, aggregate_id: str) -> list[dict[str, Any]]:
        """The envelopes staged for one aggregate, in order."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(OutboxRecord.envelope).where(OutboxRecord.aggregate_id == aggregate_id).order_by(OutboxRecord.id)
            ).scalars()
            return list(rows)


def new_id() -> str:
    return str(uuid.uuid4())
