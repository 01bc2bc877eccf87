"""UK postcodes: format rules, normalisation, offline outward-code centroids and distances."""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][ABD-HJLNP-UW-Z]{2})$")
EARTH_RADIUS_KM = 6371.0088


class InvalidPostcode(ValueError):
    pass


@dataclass(frozen=True)
class Location:
    outward_code: str
    latitude: float
    longitude: float
    area: str


def normalise_postcode(raw: str) -> str:
    """'sk1 3xe' -> 'SK1 3XE'; raises InvalidPostcode for anything not in the UK format."""
    compact = re.sub(r"\s+", "", raw or "").upper()
    if not compact:
        raise InvalidPostcode("Enter a postcode")
    match = _POSTCODE.match(compact)
    if not match:
        raise InvalidPostcode(f"Enter a UK postcode, like SK1 3XE ('{raw.strip()}' is not one)")
    return f"{match.group(1)} {match.group(2)}"


def outward_code(postcode: str) -> str:
    return normalise_postcode(postcode).split(" ")[0]


@lru_cache(maxsize=1)
def _centroids() -> dict[str, Location]:
    text = resources.files("services.common").joinpath("data/outward_codes.csv").read_text()
    rows = csv.DictReader(text.splitlines())
    return {
        row["outward_code"]: Location(row["outward_code"], float(row["latitude"]), float(row["longitude"]), row["area"])
        for row in rows
    }


def known_outward_codes() -> list[str]:
    return sorted(_centroids())


def locate(postcode: str) -> Location | None:
    """The centroid of the postcode's outward code, or None when it is outside the shipped table."""
    return _centroids().get(outward_code(postcode))


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))
