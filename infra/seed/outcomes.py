"""Seed outcomes: young people who accepted an offer leave NEET for work or training on the day they accepted,
and a few fall back to NEET some weeks later (their guarantee clock starts again). Synthetic data only; every
change goes through the profiles service's own use case with the time it would have happened."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from infra.seed.context import NEET, SeedContext, SeededOffer, seed_engine
from services.common.auth import Principal, Role
from services.common.db import make_session_factory, run_migrations
from services.common.errors import NotFound
from services.profiles import service
from services.profiles.config import ProfilesSettings
from services.profiles.main import MIGRATIONS
from services.profiles.schemas import ProfileRead, ProfileUpdate

# Opportunities that are a course rather than a job: accepting one means training, anything else employment.
TRAINING_TYPES = frozenset({"training", "traineeship"})
# Share of people who fall back to NEET after starting, by the kind of place (short placements end sooner).
RETURN_SHARE = {"work_experience": 0.6, "kickstart": 0.4}
DEFAULT_RETURN_SHARE = 0.2
RETURN_WEEKS = (2, 12)
# Changes to one profile keep their order: never back-date before the profile's last change.
AFTER_LAST_CHANGE = dt.timedelta(minutes=5)


@dataclass
class OutcomesSummary:
    started: dict[str, int] = field(default_factory=lambda: {"employment": 0, "training": 0})
    already_there: int = 0
    back_to_neet: int = 0
    skipped: int = 0


def _principal(read: ProfileRead) -> Principal:
    return Principal(Role.ADVISER, read.adviser_id) if read.adviser_id else Principal(Role.SERVICE, "seed")


def _groups(read: ProfileRead, status: str) -> list[str]:
    """The person's priority groups with `neet` following their status."""
    groups: list[str] = [group for group in read.priority_groups if group != NEET]
    return [*groups, NEET] if status == NEET else groups


def first_acceptances(offers: list[SeededOffer]) -> list[SeededOffer]:
    """Each person's first accepted offer, in the order they were accepted."""
    accepted = [(offer.accepted_at, offer) for offer in offers if offer.accepted_at is not None]
    first: dict[uuid.UUID, SeededOffer] = {}
    for _, offer in sorted(accepted, key=lambda pair: pair[0]):
        first.setdefault(offer.profile_id, offer)
    return list(first.values())


def seed(ctx: SeedContext) -> OutcomesSummary:
    """Move people who accepted an offer into employment or training at that time; some back to NEET later."""
    settings = ProfilesSettings()
    url = settings.resolved_database_url()
    run_migrations(url, MIGRATIONS)
    engine = seed_engine(url)
    sessions = make_session_factory(engine)
    summary = OutcomesSummary()
    reader = Principal(Role.SERVICE, "seed")

    def change(read: ProfileRead, status: str, at: dt.datetime) -> ProfileRead | None:
        at = max(at, read.updated_at + AFTER_LAST_CHANGE)
        if at > ctx.now:
            return None
        with sessions() as session:
            return service.update_profile(
                session=session,
                profile_id=read.id,
                data=ProfileUpdate(status=status, priority_groups=_groups(read, status)),  # type: ignore[arg-type]
                principal=_principal(read),
                settings=settings,
                now=at,
            )

    try:
        accepted = first_acceptances(ctx.offers)
        for offer in ctx.progress(accepted, desc="outcomes", total=len(accepted)):
            assert offer.accepted_at is not None
            try:
                with sessions() as session:
                    read = service.get_profile(
                        session=session, profile_id=offer.profile_id, principal=reader, kek=settings.kek(),
                        now=ctx.now,
                    )
            except NotFound:
                summary.skipped += 1
                continue
            status = "training" if offer.opportunity_type in TRAINING_TYPES else "employment"
            started = change(read, status, offer.accepted_at) if read.status != status else read
            if started is None:
                summary.skipped += 1
                continue
            if started is read:
                summary.already_there += 1
            else:
                summary.started[status] += 1
            if ctx.rng.random() < RETURN_SHARE.get(offer.opportunity_type, DEFAULT_RETURN_SHARE):
                back = started.updated_at + dt.timedelta(weeks=ctx.rng.uniform(*RETURN_WEEKS))
                if change(started, NEET, back) is not None:
                    summary.back_to_neet += 1
        return summary
    finally:
        engine.dispose()
