"""Synthetic young people with registrations spread over the past months (never real people), built with the
shared builder in infra.seed.synthetic."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session, sessionmaker

from infra.seed.context import NEET, SeedContext, SeededPerson, weighted_choice
from infra.seed.datafiles import keyed_by, load, members_of
from infra.seed.places import home_postcode
from infra.seed.synthetic import profile_create
from services.common.auth import Principal, Role
from services.common.db import make_engine, make_session_factory, run_migrations
from services.common.eligibility import age_on
from services.common.errors import RuleViolation
from services.messaging.vocabulary import (
    OPPORTUNITY_TYPES,
    PRIORITY_GROUPS,
    PROFILE_STATUSES,
    QUALIFICATION_LEVELS,
    level_number,
)
from services.profiles import advisers, service
from services.profiles.config import ProfilesSettings
from services.profiles.main import MIGRATIONS
from services.profiles.schemas import AdviserWrite, ProfileCreate, ProfileRead, ProfileUpdate

_PEOPLE = load("people")
ADVISERS: dict[str, dict[str, str]] = load("advisers")
GIVEN_NAMES: list[str] = _PEOPLE["given_names"]
FAMILY_NAMES: list[str] = _PEOPLE["family_names"]
SKILLS: list[str] = _PEOPLE["skills"]
INTERESTS: list[str] = _PEOPLE["interests"]
ABOUT: list[str] = _PEOPLE["about"]
SUBJECTS: list[str] = _PEOPLE["subjects"]
QUALIFICATION_LEVELS_DRAWN: list[str] = members_of(
    QUALIFICATION_LEVELS, _PEOPLE["qualification_levels"], what="qualification level", where="people.toml"
)
STATUS_WEIGHTS: dict[str, float] = keyed_by(
    PROFILE_STATUSES, _PEOPLE["status_weights"], what="profile status", where="people.toml [status_weights]"
)
# `neet` follows the status; every other group has its share.
PRIORITY_GROUP_SHARES: dict[str, float] = keyed_by(
    [group for group in PRIORITY_GROUPS if group != NEET],
    _PEOPLE["priority_group_shares"],
    what="priority group",
    where="people.toml [priority_group_shares]",
)


def _birth_date(ctx: SeedContext, registered: dt.date) -> dt.date:
    age = ctx.rng.choices(range(16, 30), weights=[6, 8, 10, 10, 9, 8, 7, 6, 5, 4, 3, 3, 2, 2])[0]
    born = registered.replace(year=registered.year - age - 1, month=1, day=1)
    return born + dt.timedelta(days=ctx.rng.randint(1, 360))


def _at_most(level: str, top: int) -> str:
    return level if level_number(level) <= top else str(top)


def synthetic_person(ctx: SeedContext, registered: dt.date, *, with_phone: bool = True) -> ProfileCreate:
    """A synthetic young person registered on `registered`, drawn from the seed data files (a phone number from
    Ofcom's drama range when `with_phone`: there are only a thousand, so two people may share one)."""
    rng = ctx.rng
    groups = [group for group, share in PRIORITY_GROUP_SHARES.items() if rng.random() < share]
    status = weighted_choice(rng, STATUS_WEIGHTS)
    if status == NEET:
        groups.append(NEET)
    given = rng.choice(GIVEN_NAMES)
    family = rng.choice(FAMILY_NAMES)
    born = _birth_date(ctx, registered)
    # Level 2 (GCSEs) by 16; level 3 (A levels, a T Level) from 18.
    top_level = 2 if age_on(born, registered) < 18 else 3
    return ProfileCreate.model_validate(
        profile_create(
            given_name=given,
            family_name=family,
            date_of_birth=born.isoformat(),
            postcode=home_postcode(rng),
            email=f"{given}.{family}.{rng.randint(1000, 9999)}@example.org".lower(),
            phone=f"07700 900{rng.randint(0, 999):03d}" if with_phone else None,
            status=status,
            on_universal_credit=rng.random() < 0.55,
            priority_groups=groups,
            skills=rng.sample(SKILLS, rng.randint(2, 6)),
            interests=rng.sample(INTERESTS, rng.randint(1, 3)),
            qualifications=[
                {"level": _at_most(rng.choice(QUALIFICATION_LEVELS_DRAWN), top_level), "subject": subject}
                for subject in rng.sample(SUBJECTS, rng.randint(0, 3))
            ],
            about=rng.choice(ABOUT),
            preferred_types=rng.sample(OPPORTUNITY_TYPES, rng.randint(1, 3)),
            max_travel_km=rng.choice((5, 8, 10, 12, 15, 20)),
            consent_share_with_employers=rng.random() < 0.8,
        )
    )


def _register(
    ctx: SeedContext, sessions: sessionmaker[Session], settings: ProfilesSettings, adviser: Principal,
    registered_at: dt.datetime,
) -> ProfileRead:
    """Register a new synthetic person; one who looks like someone already registered is drawn again."""
    for attempt in range(10):
        data = synthetic_person(ctx, registered_at.date(), with_phone=attempt == 0)
        with sessions() as session:
            try:
                return service.register_profile(
                    session=session, data=data, principal=adviser, settings=settings, now=registered_at
                )
            except RuleViolation as err:
                if err.rule != "likely_duplicate":
                    raise
    raise RuntimeError("every synthetic person drawn looked like someone already registered")


def seed_advisers(ctx: SeedContext, sessions: sessionmaker[Session]) -> None:
    """The demo advisers as records (infra/seed/data/advisers.toml): one for each adviser id the seed uses."""
    for adviser_id in ctx.adviser_ids:
        with sessions() as session:
            advisers.save_adviser(
                session=session, adviser_id=adviser_id, data=AdviserWrite.model_validate(ADVISERS[adviser_id]),
                now=ctx.now,
            )


def seed(ctx: SeedContext, count: int = 160) -> None:
    """The demo advisers, and `count` synthetic young people registered over the past six months."""
    settings = ProfilesSettings()
    url = settings.resolved_database_url()
    run_migrations(url, MIGRATIONS)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    seed_advisers(ctx, sessions)
    adviser_for = {index: ctx.adviser_ids[index % len(ctx.adviser_ids)] for index in range(count)}
    for index in ctx.progress(range(count), "young people", total=count):
        registered_at = ctx.now - dt.timedelta(days=ctx.rng.uniform(0, 180), hours=ctx.rng.uniform(0, 8))
        read = _register(ctx, sessions, settings, Principal(Role.ADVISER, adviser_for[index]), registered_at)
        if ctx.rng.random() < 0.15:
            later = min(ctx.now, registered_at + dt.timedelta(days=ctx.rng.uniform(3, 40)))
            with sessions() as session:
                service.update_profile(
                    session=session,
                    profile_id=read.id,
                    data=ProfileUpdate(skills=[*read.skills, ctx.rng.choice(SKILLS)]),
                    principal=Principal(Role.ADVISER, adviser_for[index]),
                    settings=settings,
                    now=later,
                )
        ctx.people.append(
            SeededPerson(
                profile_id=read.id,
                date_of_birth=read.date_of_birth,
                on_universal_credit=read.on_universal_credit,
                registered_at=registered_at,
                skills=tuple(read.skills),
                postcode=read.postcode,
            )
        )
    engine.dispose()


def profile_count() -> int:
    """How many profiles the profiles database holds (0 for a new one)."""
    from sqlalchemy import func, select

    from services.profiles.models import Profile

    settings = ProfilesSettings()
    url = settings.resolved_database_url()
    run_migrations(url, MIGRATIONS)
    engine = make_engine(url)
    with engine.connect() as connection:
        count = connection.scalar(select(func.count()).select_from(Profile)) or 0
    engine.dispose()
    return count
