"""Synthetic young people, never real ones: the one builder the seed, the tests and the benchmarks share.

`profile_create` is the body of `POST /profiles`; `profile_snapshot` is what the profiles service publishes about
the same kind of person. Both take keyword overrides for any field."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from typing import Any

from services.messaging.contract import ProfileSnapshotV1

_numbers = itertools.count(1)

# Stockport town centre (SK1), where the demo hub is.
HOME_DISTRICT = "SK1"
HOME_POSTCODE = "SK1 3XE"
HOME_LATITUDE = 53.4083
HOME_LONGITUDE = -2.1494


def birth_date_for_age(age: int, on: dt.date | None = None, *, birthday: bool = False) -> dt.date:
    """A date of birth giving `age` whole years on the day `on` (default today): 1 January of that year, or with
    `birthday` the date whose `age`th birthday is `on` itself (28 February for 29 February)."""
    on = on or dt.date.today()
    if not birthday:
        return dt.date(on.year - age, 1, 1)
    try:
        return on.replace(year=on.year - age)
    except ValueError:
        return on.replace(year=on.year - age, day=28)


def _matchable() -> dict[str, Any]:
    """The fields both forms of a synthetic person share (fresh lists each time, so callers may change them)."""
    return {
        "status": "neet",
        "on_universal_credit": True,
        "priority_groups": ["care_leaver"],
        "skills": ["customer service", "teamwork"],
        "interests": ["retail"],
        "qualifications": [{"level": "2", "subject": "English"}],
        "about": "Keen to start work in a shop or cafe.",
        "preferred_types": ["apprenticeship", "job"],
        "available_from": None,
        "consent_share_with_employers": True,
    }


def profile_create(**overrides: Any) -> dict[str, Any]:
    """A registration body for a synthetic young person (JSON-ready values)."""
    n = next(_numbers)
    body: dict[str, Any] = {
        "given_name": f"Test{n}",
        "family_name": "Person",
        "date_of_birth": birth_date_for_age(19).isoformat(),
        "postcode": HOME_POSTCODE,
        "email": f"test{n}@example.org",
        "phone": f"07700 9{n % 100_000:05d}",
        **_matchable(),
        "max_travel_km": 12,
    }
    body.update(overrides)
    return body


def profile_snapshot(**overrides: Any) -> ProfileSnapshotV1:
    """The published facts of a synthetic young person, as the profiles service would send them."""
    values: dict[str, Any] = {
        "profile_id": uuid.uuid4(),
        "date_of_birth": birth_date_for_age(19),
        "postcode_district": HOME_DISTRICT,
        "latitude": HOME_LATITUDE,
        "longitude": HOME_LONGITUDE,
        **_matchable(),
        "max_travel_km": 10.0,
        "adviser_id": "adviser-1",
        "registered_at": dt.datetime.now(dt.UTC),
    }
    values.update(overrides)
    return ProfileSnapshotV1(**values)
