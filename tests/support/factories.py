"""Test data factories: synthetic young people, never real ones."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

_counter = itertools.count(1)


def birth_date_for_age(age: int, today: dt.date | None = None) -> str:
    """A date of birth (1 January) giving `age` whole years today."""
    today = today or dt.date.today()
    return dt.date(today.year - age, 1, 1).isoformat()


def profile_payload(**overrides: Any) -> dict[str, Any]:
    n = next(_counter)
    payload: dict[str, Any] = {
        "given_name": f"Test{n}",
        "family_name": "Person",
        "date_of_birth": birth_date_for_age(19),
        "postcode": "SK1 3XE",
        "email": f"test{n}@example.org",
        "phone": "07700 900123",
        "status": "neet",
        "on_universal_credit": True,
        "priority_groups": ["care_leaver"],
        "skills": ["customer service", "teamwork"],
        "interests": ["retail"],
        "qualifications": [{"level": "2", "subject": "English"}],
        "about": "Keen to start work in a shop or cafe.",
        "preferred_types": ["apprenticeship", "job"],
        "max_travel_km": 12,
        "available_from": None,
        "consent_share_with_employers": True,
    }
    payload.update(overrides)
    return payload
