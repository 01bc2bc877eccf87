"""The travel filter's shortcut (a dot product with the centre, haversine only near the threshold) answers exactly
as haversine over every row, anywhere on Earth and for any radius."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.matching.ranking import haversine_km, within_km
from services.matching.state import unit_vector

pytestmark = pytest.mark.unit


@given(lat0=st.floats(-89.9, 89.9), lon0=st.floats(-179.9, 179.9), radius=st.floats(0.01, 3000),
       seed=st.integers(0, 2**31 - 1))
@settings(max_examples=200, deadline=None)
def test_within_km_is_haversine_within_the_radius(lat0: float, lon0: float, radius: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    spread = rng.choice([0.05, 0.5, 5.0, 90.0])
    lat = np.clip(lat0 + rng.uniform(-spread, spread, 2000), -90, 90)
    lon = ((lon0 + rng.uniform(-2 * spread, 2 * spread, 2000)) + 180) % 360 - 180
    xyz = tuple(np.array(axis) for axis in zip(*(unit_vector(a, b) for a, b in zip(lat, lon, strict=True)),
                                                strict=True))
    lat[::53] = np.nan
    for axis in xyz:
        axis[::53] = np.nan
    got = within_km(lat, lon, lat0, lon0, radius, xyz)  # type: ignore[arg-type]
    assert (got == (haversine_km(lat, lon, lat0, lon0) <= radius)).all()
