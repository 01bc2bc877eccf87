"""The seed's data files are checked against the shared vocabulary when they load."""

from __future__ import annotations

import pytest

from infra.seed import employers, occupations, places, postings, profiles  # noqa: F401 - loading runs the checks
from infra.seed.datafiles import SeedDataError, keyed_by, members_of
from services.messaging.vocabulary import SECTORS

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
