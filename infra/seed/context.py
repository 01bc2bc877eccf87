"""What every seed step shares: settings, a reproducible random source (and a weighted draw from it), 'now', a
progress bar, and what earlier steps created."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import Engine
from tqdm import tqdm

from services.common.db import make_engine

T = TypeVar("T")
K = TypeVar("K")

# Both a status and the priority group that goes with it.
NEET = "neet"


@dataclass(frozen=True)
class SeededPerson:
    profile_id: uuid.UUID
    date_of_birth: dt.date
    on_universal_credit: bool
    registered_at: dt.datetime
    skills: tuple[str, ...]
    postcode: str


@dataclass
class SeededOffer:
    """An offer made on a seeded referral, and when (if ever) the young person accepted it."""

    profile_id: uuid.UUID
    referral_id: uuid.UUID
    opportunity_type: str
    offered_at: dt.datetime
    accepted_at: dt.datetime | None = None


@dataclass
class SeedContext:
    now: dt.datetime
    rng: random.Random
    show_progress: bool = True
    adviser_ids: tuple[str, ...] = ("adviser-1", "adviser-2")
    people: list[SeededPerson] = field(default_factory=list)
    employer_ids: list[uuid.UUID] = field(default_factory=list)
    # Filled by the opportunities seed, in the order the offers were made.
    offers: list[SeededOffer] = field(default_factory=list)

    def progress(self, items: Iterable[T], desc: str, total: int | None = None) -> Iterator[T]:
        yield from tqdm(items, desc=desc, total=total, disable=not self.show_progress, unit="item")


def seed_engine(url: str) -> Engine:
    """An engine for seeding: on PostgreSQL commits do not wait for the disk (a seed interrupted by a crash is
    simply run again), which makes its thousands of small transactions several times faster."""
    if url.startswith("postgresql"):
        return make_engine(url, connect_args={"options": "-c synchronous_commit=off"})
    return make_engine(url)


def weighted_choice(rng: random.Random, weights: Mapping[K, float]) -> K:
    """One key of `weights`, drawn with its weight."""
    return rng.choices(list(weights), weights=list(weights.values()))[0]
