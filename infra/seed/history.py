"""The back-dated history of the opportunities seed: a chronological simulation in which opportunities are
published, young people are referred and say they are interested, and referrals walk the pipeline, each through
the real use case at the moment it would have happened."""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from infra.seed.context import NEET, SeedContext, SeededOffer, SeededPerson, weighted_choice
from infra.seed.datafiles import keyed_by, load
from infra.seed.postings import PlannedOpportunity
from infra.seed.profile_directory import InProcessProfileDirectory
from services.common.auth import Principal, Role
from services.common.clock import FixedClock
from services.common.eligibility import age_on
from services.common.errors import RuleViolation
from services.common.minimum_wage import DEFAULT_TABLE
from services.messaging.vocabulary import ADVISER_ONLY_REFERRAL_STATUSES, REFERRAL_STATUSES, REFERRAL_TRANSITIONS
from services.opportunities.config import OpportunitiesSettings
from services.opportunities.directory import ProfileDirectory
from services.opportunities.interests import express_interest
from services.opportunities.lifecycle import create_opportunity, expire_due_opportunities, publish_opportunity
from services.opportunities.referrals import change_referral_status, create_referral
from services.opportunities.schemas import InterestCreate, ReferralCreate, ReferralUpdate

ADVISER_BY_DEFAULT = "adviser-1"


_REFERRALS = load("referrals")
NOTES: list[str] = _REFERRALS["notes"]
FEEDBACK: list[str] = _REFERRALS["feedback"]
INTEREST_MESSAGE: str = _REFERRALS["interest_message"]


def _pipeline(name: str, *, complete: bool) -> dict[str, dict[str, float]]:
    """The table `name` of referrals.toml: next-status weights by open status, each step one the pipeline allows."""
    steps = keyed_by(
        REFERRAL_TRANSITIONS,
        _REFERRALS[name],
        what="open referral status",
        where=f"referrals.toml [{name}]",
        complete=complete,
    )
    return {
        status: keyed_by(
            [s for s in REFERRAL_STATUSES if s in REFERRAL_TRANSITIONS[status]],
            weights,
            what="next status",
            where=f"referrals.toml [{name}.{status}]",
            complete=False,
        )
        for status, weights in steps.items()
    }


# The pipeline a seeded referral walks: next status -> weight, and days until it happens.
NEXT_STEP = _pipeline("next_step", complete=True)
STEP_DAYS = (2, 12)
# A few people registered long ago wait past the guarantee's 120 days for a first referral, then move quickly
# to an offer: the late offers the guarantee figures count as met_late.
LATE_PEOPLE = 12
LATE_REGISTERED_DAYS = (140, 180)
LATE_FIRST_REFERRAL_DAYS = (121, 125)
FAST_TRACK = _pipeline("fast_track", complete=False)
FAST_STEP_DAYS = (1, 3)


@dataclass
class SeedSummary:
    employers: int = 0
    opportunities: int = 0
    live_opportunities: int = 0
    referrals: int = 0
    late_referrals: int = 0
    interests: int = 0
    referral_statuses: Counter[str] = field(default_factory=Counter)
    opportunity_types: Counter[str] = field(default_factory=Counter)


class History:
    """A chronological simulation: actions run in time order against the real use cases."""

    def __init__(self, ctx: SeedContext, session: Session, directory: ProfileDirectory | None, clock: FixedClock):
        self.ctx = ctx
        self.rng = ctx.rng
        self.session = session
        self.directory = directory
        self.clock = clock
        self.queue: list[tuple[dt.datetime, int, Callable[[], None]]] = []
        self.sequence = itertools.count()
        self.planned: list[PlannedOpportunity] = []
        self.referred_pairs: set[tuple[uuid.UUID, uuid.UUID]] = set()
        self.settled: set[uuid.UUID] = set()
        self.fast_tracked: set[uuid.UUID] = set()
        self.offers: dict[uuid.UUID, SeededOffer] = {}
        self.last_sweep: dt.date | None = None
        self.summary = SeedSummary()
        self.adviser = Principal(role=Role.ADVISER, sub=ADVISER_BY_DEFAULT)

    def adviser_of(self, person: SeededPerson) -> str:
        """The person's own adviser, as the profiles service knows them."""
        facts = self.directory.get_profile(person.profile_id) if self.directory else None
        if facts is not None and facts.adviser_id:
            return facts.adviser_id
        return self.ctx.adviser_ids[0] if self.ctx.adviser_ids else ADVISER_BY_DEFAULT

    def at(self, moment: dt.datetime, action: Callable[[], None]) -> None:
        if moment <= self.ctx.now:
            heapq.heappush(self.queue, (moment, next(self.sequence), action))

    def schedule_publishing(self, planned: list[PlannedOpportunity], settings: OpportunitiesSettings) -> None:
        """Publish each planned opportunity when it was published."""
        for plan in planned:
            self.planned.append(plan)
            self.at(plan.published_at, lambda p=plan: self.publish(p, settings))  # type: ignore[misc]

    def schedule_people(self, late: set[uuid.UUID]) -> None:
        """Each person's first referral (after day 120 for the `late` ones) and, for some, an interest of their own."""
        rng = self.rng
        for person in self.ctx.people:
            adviser_id = self.adviser_of(person)
            if person.profile_id in late:
                first = person.registered_at + dt.timedelta(days=rng.uniform(*LATE_FIRST_REFERRAL_DAYS))
                self.at(first, lambda p=person, a=adviser_id: self.refer(p, a, fast_track=True))  # type: ignore[misc]
            elif rng.random() < 0.85:
                first = person.registered_at + dt.timedelta(days=rng.uniform(1, 40), hours=rng.uniform(0, 8))
                self.at(first, lambda p=person, a=adviser_id: self.refer(p, a))  # type: ignore[misc]
            if rng.random() < 0.2:
                when = max(person.registered_at, self.ctx.now - dt.timedelta(days=10)) + dt.timedelta(
                    hours=rng.uniform(1, 200)
                )
                self.at(when, lambda p=person, a=adviser_id: self.interest(p, a))  # type: ignore[misc]

    def run(self) -> Iterator[None]:
        while self.queue:
            moment, _, action = heapq.heappop(self.queue)
            self._sweep(moment)
            self.clock.at = moment
            action()
            yield None
        self._sweep(self.ctx.now)

    def _sweep(self, moment: dt.datetime) -> None:
        if self.last_sweep != moment.date():
            self.last_sweep = moment.date()
            start_of_day = dt.datetime.combine(moment.date(), dt.time(0, 5), tzinfo=dt.UTC)
            expire_due_opportunities(session=self.session, now=min(start_of_day, moment))

    def publish(self, planned: PlannedOpportunity, settings: OpportunitiesSettings) -> None:
        draft = create_opportunity(
            session=self.session, data=planned.data, principal=self.adviser, now=planned.created_at
        )
        publish_opportunity(
            session=self.session,
            opportunity_id=draft.id,
            principal=self.adviser,
            settings=settings,
            now=planned.published_at,
            rates=DEFAULT_TABLE,
        )
        planned.id = draft.id
        self.summary.opportunities += 1
        self.summary.opportunity_types[planned.data.type] += 1

    def _eligible(self, person: SeededPerson, planned: PlannedOpportunity, moment: dt.datetime) -> bool:
        data = planned.data
        if not planned.open_on(moment.date(), moment) or planned.id in self.settled:
            return False
        if planned.id is None or (person.profile_id, planned.id) in self.referred_pairs:
            return False
        age = age_on(person.date_of_birth, data.start_date)
        if (data.min_age is not None and age < data.min_age) or (data.max_age is not None and age > data.max_age):
            return False
        return person.on_universal_credit or not data.requires_universal_credit

    def refer(
        self, person: SeededPerson, adviser: str, target: PlannedOpportunity | None = None, fast_track: bool = False
    ) -> None:
        moment = self.clock.now()
        candidates = [target] if target else [p for p in self.planned if self._eligible(person, p, moment)]
        if not candidates or self.directory is None:
            return
        planned = self.rng.choice(candidates)
        assert planned.id is not None
        try:
            referral = create_referral(
                session=self.session,
                data=ReferralCreate(
                    profile_id=person.profile_id, opportunity_id=planned.id, note=self.rng.choice(NOTES)
                ),
                principal=Principal(role=Role.ADVISER, sub=adviser),
                directory=self.directory,
                now=moment,
            )
        except RuleViolation as refused:
            self.session.rollback()
            if refused.rule == "opportunity_not_open":
                self.settled.add(planned.id)
            return
        self.referred_pairs.add((person.profile_id, planned.id))
        self.summary.referrals += 1
        if fast_track:
            self.fast_tracked.add(referral.id)
            self.summary.late_referrals += 1
        self._next_step(person, adviser, referral.id, planned, "referred")

    def _next_step(
        self, person: SeededPerson, adviser: str, referral_id: uuid.UUID, planned: PlannedOpportunity, status: str
    ) -> None:
        moment = self.clock.now()
        if status not in NEXT_STEP:
            self.summary.referral_statuses[status] += 1
            if status != "accepted" and self.rng.random() < 0.75:
                self.at(moment + dt.timedelta(days=self.rng.uniform(3, 25)), lambda: self.refer(person, adviser))
            return
        fast = referral_id in self.fast_tracked
        step = weighted_choice(self.rng, (FAST_TRACK if fast else NEXT_STEP)[status])
        when = moment + dt.timedelta(
            days=self.rng.uniform(*(FAST_STEP_DAYS if fast else STEP_DAYS)), hours=self.rng.uniform(0, 8)
        )
        if when > self.ctx.now:
            self.summary.referral_statuses[status] += 1
            return
        self.at(when, lambda: self.move(person, adviser, referral_id, planned, step))

    def move(
        self, person: SeededPerson, adviser: str, referral_id: uuid.UUID, planned: PlannedOpportunity, status: str
    ) -> None:
        assert self.directory is not None
        by_employer = status not in ADVISER_ONLY_REFERRAL_STATUSES and self.rng.random() < 0.6
        principal = (
            Principal(role=Role.EMPLOYER, sub=str(planned.data.employer_id))
            if by_employer
            else Principal(role=Role.ADVISER, sub=adviser)
        )
        feedback = self.rng.choice(FEEDBACK) if status == "unsuccessful" else None
        try:
            change_referral_status(
                session=self.session,
                referral_id=referral_id,
                data=ReferralUpdate(status=status, feedback=feedback),  # type: ignore[arg-type]
                principal=principal,
                directory=self.directory,
                now=self.clock.now(),
            )
        except RuleViolation:  # no places left: the employer turns it down instead
            self.session.rollback()
            self.settled.add(planned.id)  # type: ignore[arg-type]
            if status in ("offered", "accepted"):
                self.move(person, adviser, referral_id, planned, "unsuccessful" if status == "offered" else "declined")
            return
        if status == "offered":
            self.offers[referral_id] = SeededOffer(
                person.profile_id, referral_id, planned.data.type, offered_at=self.clock.now()
            )
        elif status == "accepted" and referral_id in self.offers:
            self.offers[referral_id].accepted_at = self.clock.now()
        self._next_step(person, adviser, referral_id, planned, status)

    def interest(self, person: SeededPerson, adviser: str) -> None:
        moment = self.clock.now()
        candidates = [p for p in self.planned if self._eligible(person, p, moment)]
        if not candidates or self.directory is None:
            return
        planned = self.rng.choice(candidates)
        assert planned.id is not None
        try:
            express_interest(
                session=self.session,
                opportunity_id=planned.id,
                data=InterestCreate(message=INTEREST_MESSAGE),
                principal=Principal(role=Role.YOUNG_PERSON, sub=str(person.profile_id)),
                directory=self.directory,
                now=moment,
            )
        except RuleViolation:
            self.session.rollback()
            return
        self.summary.interests += 1
        if self.rng.random() < 0.4:
            self.at(moment + dt.timedelta(days=self.rng.uniform(1, 4)), lambda: self.refer(person, adviser, planned))


def late_people(ctx: SeedContext, directory: ProfileDirectory | None) -> set[uuid.UUID]:
    """A handful of people registered NEET 140-180 days ago whose first referral comes after day 120."""
    low, high = LATE_REGISTERED_DAYS
    candidates = [
        person
        for person in ctx.people
        if low <= (ctx.now - person.registered_at).days < high
        and (not isinstance(directory, InProcessProfileDirectory) or directory.status_of(person.profile_id) == NEET)
    ]
    return {person.profile_id for person in ctx.rng.sample(candidates, min(LATE_PEOPLE, len(candidates)))}
