"""The seed's data files are checked against the shared vocabulary when they load."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from infra.seed import employers, occupations, places, postings, profiles  # noqa: F401 - loading runs the checks
from infra.seed.context import SeedContext
from infra.seed.datafiles import SeedDataError, keyed_by, members_of
from services.common.eligibility import age_on
from services.messaging.vocabulary import SECTORS, level_number

pytestmark = pytest.mark.unit


def test_a_table_keyed_by_an_unknown_or_missing_sector_is_refused_naming_both() -> None:
    table = {sector: 1 for sector in SECTORS if sector != "digital"} | {"digtal": 1}
    with pytest.raises(SeedDataError) as refused:
        keyed_by(SECTORS, table, what="sector", where="employers.toml [nouns]")
    message = str(refused.value)
    assert "employers.toml [nouns]" in message and "unknown sector: digtal" in message
    assert "no entry for sector: digital" in message


def test_a_complete_table_and_known_members_pass() -> None:
    assert keyed_by(SECTORS, dict.fromkeys(SECTORS, 0), what="sector", where="x") == dict.fromkeys(SECTORS, 0)
    assert members_of(SECTORS, ["digital"], what="sector", where="x") == ["digital"]
    with pytest.raises(SeedDataError, match="unknown sector: retail"):
        members_of(SECTORS, ["retail"], what="sector", where="x")


def test_no_synthetic_person_under_18_has_a_qualification_above_level_2() -> None:
    registered = dt.date(2026, 9, 1)
    ctx = SeedContext(now=dt.datetime(2026, 9, 1, 9, tzinfo=dt.UTC), rng=random.Random(7), show_progress=False)
    people = [profiles.synthetic_person(ctx, registered) for _ in range(400)]
    levels_by_age = [(age_on(person.date_of_birth, registered), level_number(q.level))
                     for person in people for q in person.qualifications if q.level is not None]
    assert not [pair for pair in levels_by_age if pair[0] < 18 and pair[1] > 2]
    assert any(age < 18 and level == 2 for age, level in levels_by_age)
    assert any(age >= 18 and level == 3 for age, level in levels_by_age)
