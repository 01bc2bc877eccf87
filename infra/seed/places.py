"""Where seeded things are: made-up postcodes in real districts, for employers, opportunities and young people."""

from __future__ import annotations

import random

from infra.seed.context import weighted_choice
from infra.seed.datafiles import keyed_by, load, members_of
from services.common.postcodes import known_outward_codes

_PLACES = load("places")
INWARD_LETTERS: str = _PLACES["inward_letters"]
WORK_DISTRICTS: dict[str, float] = keyed_by(
    known_outward_codes(),
    _PLACES["work_districts"],
    what="district",
    where="places.toml [work_districts]",
    complete=False,
)
HOME_AREAS: tuple[str, ...] = tuple(_PLACES["home_areas"])
HOME_NEIGHBOURS: list[str] = members_of(
    known_outward_codes(), _PLACES["home_neighbours"], what="district", where="places.toml home_neighbours"
)


def postcode_in(rng: random.Random, district: str) -> str:
    """A made-up full postcode in `district`."""
    return f"{district} {rng.randint(1, 9)}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"


def work_postcode(rng: random.Random) -> str:
    """Where an employer or an opportunity is: mostly Stockport's own districts."""
    return postcode_in(rng, weighted_choice(rng, WORK_DISTRICTS))


def home_postcode(rng: random.Random) -> str:
    """Where a young person lives: any district of the home areas, or a neighbouring one."""
    districts = [code for code in known_outward_codes() if code.startswith(HOME_AREAS) or code in HOME_NEIGHBOURS]
    return postcode_in(rng, rng.choice(districts))
