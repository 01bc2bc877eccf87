"""What every seed step shares: settings, a reproducible random source, 'now', a progress bar,
and what earlier steps created."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")


@dataclass(frozen=True)
class SeededPerson:
    profile_id: uuid.UUID
    date_of_birth: dt.date
    on_universal_credit: bool
    registered_at: dt.datetime
    skills: tuple[str, ...]
    postcode: str


@dataclass
class SeedContext:
    now: dt.datetime
    rng: random.Random
    show_progress: bool = True
    adviser_ids: tuple[str, ...] = ("adviser-1", "adviser-2")
    people: list[SeededPerson] = field(default_factory=list)
    employer_ids: list[uuid.UUID] = field(default_factory=list)

    def progress(self, items: Iterable[T], desc: str, total: int | None = None) -> Iterator[T]:
        yield from tqdm(items, desc=desc, total=total, disable=not self.show_progress, unit="item")
