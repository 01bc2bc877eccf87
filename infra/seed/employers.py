"""Seeded employers: one or more in every sector, named after a Stockport place and the kind of business."""

from __future__ import annotations

import datetime as dt
import itertools
import random
import re
import uuid
from collections.abc import Iterator

from sqlalchemy.orm import Session

from infra.seed.context import SeedContext
from infra.seed.datafiles import keyed_by, load
from infra.seed.places import work_postcode
from services.common.auth import Principal
from services.messaging.vocabulary import SECTORS
from services.opportunities.employers import register_employer
from services.opportunities.schemas import EmployerCreate

_EMPLOYERS = load("employers")
NAME_PLACES: list[str] = _EMPLOYERS["places"]
NAME_SUFFIXES: list[str] = _EMPLOYERS["suffixes"]
SECTOR_NOUNS: dict[str, list[str]] = keyed_by(
    SECTORS, _EMPLOYERS["nouns"], what="sector", where="employers.toml [nouns]"
)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def employer_payloads(rng: random.Random, count: int) -> Iterator[EmployerCreate]:
    """`count` employers with different names, the sectors taken in turn."""
    names: set[str] = set()
    for index in itertools.count():
        if len(names) >= count:
            return
        sector = SECTORS[index % len(SECTORS)]
        name = " ".join(
            part
            for part in (rng.choice(NAME_PLACES), rng.choice(SECTOR_NOUNS[sector]), rng.choice(NAME_SUFFIXES))
            if part
        )
        if name in names:
            continue
        names.add(name)
        yield EmployerCreate(
            name=name,
            postcode=work_postcode(rng),
            sector=sector,
            contact_email=f"jobs@{_slug(name)}.example.org",
            disability_confident=rng.random() < 0.45,
            living_wage_employer=rng.random() < 0.3,
            good_employment_charter=rng.random() < 0.35,
        )


def register_employers(
    *, ctx: SeedContext, session: Session, principal: Principal, count: int, days_ago: tuple[float, float]
) -> list[tuple[uuid.UUID, EmployerCreate]]:
    """Register `count` employers, each back-dated by a number of days drawn from `days_ago`; their ids go into
    ctx.employer_ids."""
    employers: list[tuple[uuid.UUID, EmployerCreate]] = []
    for payload in ctx.progress(list(employer_payloads(ctx.rng, count)), desc="employers"):
        registered_at = ctx.now - dt.timedelta(days=ctx.rng.uniform(*days_ago))
        registered = register_employer(session=session, data=payload, principal=principal, now=registered_at)
        employers.append((registered.id, payload))
        ctx.employer_ids.append(registered.id)
    return employers
