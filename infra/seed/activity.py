"""Seed activity histories: advisers confirming what people are doing, activities that lapse to "not known", people
traced (some reached, some never: 820, a few refusing: 830), and the hub's school leavers (Year 11 and Year 12
leavers tracked from their school's return, most in education) since September of last year, so the returns have
a winter to average. Synthetic people only; every change goes through the profiles service's own use cases at the
time it would have happened."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from infra.seed.context import NEET, SeedContext, weighted_choice
from infra.seed.profiles import synthetic_person
from services.common.auth import Principal, Role
from services.common.db import make_engine, make_session_factory, run_migrations
from services.common.errors import RuleViolation
from services.messaging.vocabulary import ACTIVITY_CODE_NOT_KNOWN, STATUS_OF_ACTIVITY
from services.profiles import activity, adviser_work, service
from services.profiles.config import ProfilesSettings
from services.profiles.main import MIGRATIONS
from services.profiles.models import ActivitySpell, Profile
from services.profiles.schemas import (
    ActivityCreate,
    AppointmentCreate,
    ContactAttemptCreate,
    PlannedActionCreate,
    SeptemberGuaranteeWrite,
    TransferCreate,
)

# Share of due check-ins an adviser makes in time, by what the person is doing: a NEET person is seen often.
KEPT_CURRENT = {"neet_available": 0.85, "neet_not_available": 0.8, "education": 0.8, "apprenticeship": 0.85,
                "employment": 0.7, "training": 0.8, "re_engagement": 0.85}
# Days after a lapse until the first attempt to trace the person, and between attempts.
FIRST_ATTEMPT_DAYS, NEXT_ATTEMPT_DAYS = (2, 14), (3, 10)
# What an attempt to trace someone finds.
ATTEMPT_OUTCOMES = {"reached": 0.45, "no_answer": 0.3, "message_left": 0.12, "wrong_details": 0.08, "refused": 0.05}
# What a person traced turns out to be doing.
FOUND_DOING = {610: 0.45, 540: 0.1, 330: 0.2, 360: 0.08, 230: 0.1, 450: 0.07}
# The school leavers' first activity, from their school's return, and later what some move on to.
LEAVERS_DOING = {230: 0.32, 210: 0.2, 220: 0.11, 310: 0.07, 450: 0.05, 410: 0.03, 610: 0.08, 540: 0.03,
                 620: 0.02, 630: 0.02, 330: 0.02, 810: 0.1}
# A leaver the school's return could not place (810) is traced when the hub's tracing reaches them: weeks or months.
LEAVERS_TRACED_AFTER_DAYS = (45, 240)
# Whether a school leaver was made a suitable offer by the end of September, as their adviser records it (None: not
# recorded).
SEPTEMBER_OFFERS: dict[str | None, float] = {"offer_made": 0.72, "no_offer": 0.12, "offer_not_appropriate": 0.08,
                                             None: 0.08}
LEAVERS_PER_COHORT = 90
DROP_OUT_SHARE = 0.15
ADVISER_SOURCE = "adviser"
# An adviser's work with the people waiting: actions agreed at a meeting, and the meetings.
ACTIONS = {
    "cv_and_applications": ("Update the CV with the new course", "Apply for two roles from the suggestions"),
    "job_search": ("Look at the warehouse and retail jobs near home", "Register with the jobs board"),
    "training_search": ("Visit the college open day", "Find a maths course for the evenings"),
    "benefits_advice": ("Check the Universal Credit claim with the work coach",),
    "follow_up_contact": ("Call to see how the interview went", "Text a reminder about the open day"),
}
APPOINTMENT_NOTES = ("Hub office, Wellington Road", "Phone catch-up", "Library, second floor", "Video call")
TRANSFER_REASONS = ("Moved across town: closer to the other office", "Balancing caseloads")
TRANSFERS = 4


@dataclass
class ActivitySummary:
    actions: int = 0
    appointments: int = 0
    transfers: int = 0
    confirmations: int = 0
    lapses: int = 0
    attempts: Counter[str] = field(default_factory=Counter)
    school_leavers: int = 0
    september_guarantee: Counter[str] = field(default_factory=Counter)
    current: Counter[str] = field(default_factory=Counter)


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


class Histories:
    """One person at a time, in time order: check-ins while they are kept current, tracing once they lapse."""

    def __init__(self, ctx: SeedContext, sessions: sessionmaker[Session], settings: ProfilesSettings):
        self.ctx = ctx
        self.rng = ctx.rng
        self.sessions = sessions
        self.settings = settings
        self.today = ctx.now.date()
        self.summary = ActivitySummary()

    def _open_spell(self, profile_id: uuid.UUID) -> ActivitySpell | None:
        with self.sessions() as session:
            return activity.current_spell(session, profile_id)

    def _adviser(self, profile_id: uuid.UUID) -> Principal:
        with self.sessions() as session:
            profile = session.get(Profile, profile_id)
            adviser_id = profile.adviser_id if profile is not None else None
        return Principal(Role.ADVISER, adviser_id or self.ctx.adviser_ids[0])

    def current_group(self, profile_id: uuid.UUID) -> str | None:
        with self.sessions() as session:
            return activity.record_of(session=session, profile_id=profile_id, today=self.today,
                                      settings=self.settings).current_group

    def record(self, profile_id: uuid.UUID, code: int, day: dt.date, source: str) -> None:
        with self.sessions() as session:
            activity.record_activity(session=session, profile_id=profile_id,
                                     data=ActivityCreate(code=code, started_on=day, source=source),  # type: ignore[arg-type]
                                     principal=self._adviser(profile_id), settings=self.settings, now=_at(day))

    def live(self, profile_id: uuid.UUID) -> None:
        """From the current spell on until today: confirm it in time or let it lapse, then trace the person."""
        while True:
            spell = self._open_spell(profile_id)
            if spell is None:
                return
            group = activity.group_of(spell.code)
            if group == "not_known":
                if spell.code != ACTIVITY_CODE_NOT_KNOWN or not self._trace(profile_id, spell.started_on):
                    return
                continue
            lapse = activity.lapses_on(spell, self.settings)
            due = spell.confirmed_on + dt.timedelta(days=round((lapse - spell.confirmed_on).days
                                                               * self.rng.uniform(0.5, 0.95)))
            if due > self.today:
                return
            if self.rng.random() < KEPT_CURRENT[group]:
                with self.sessions() as session:
                    activity.confirm_activity(session=session, profile_id=profile_id, confirmed_on=due,
                                              principal=self._adviser(profile_id), settings=self.settings,
                                              now=_at(due))
                self.summary.confirmations += 1
                continue
            if lapse > self.today:
                return
            self.summary.lapses += 1
            if not self._trace(profile_id, lapse):
                return

    def _trace(self, profile_id: uuid.UUID, lapsed_on: dt.date) -> bool:
        """Attempts to reach a person whose activity is not known; True once they are found doing something, False
        when they cannot be (820 after failed attempts, 830 refused) or today comes first."""
        day = lapsed_on + dt.timedelta(days=self.rng.randint(*FIRST_ATTEMPT_DAYS))
        while day <= self.today:
            outcome = weighted_choice(self.rng, ATTEMPT_OUTCOMES)
            method = self.rng.choice(("phone", "phone", "text", "email", "letter", "home_visit"))
            with self.sessions() as session:
                activity.record_contact_attempt(
                    session=session, profile_id=profile_id,
                    data=ContactAttemptCreate(method=method, outcome=outcome, attempted_on=day),  # type: ignore[arg-type]
                    principal=self._adviser(profile_id), settings=self.settings, now=_at(day, 15))
            self.summary.attempts[outcome] += 1
            if outcome == "reached":
                self.record(profile_id, weighted_choice(self.rng, FOUND_DOING), day, ADVISER_SOURCE)
                return True
            current = self._open_spell(profile_id)
            if current is not None and current.code != ACTIVITY_CODE_NOT_KNOWN:
                return False
            day += dt.timedelta(days=self.rng.randint(*NEXT_ATTEMPT_DAYS))
        return False

    def school_leavers(self, september: dt.date, age: int) -> list[uuid.UUID]:
        """A cohort the school's return names in September: aged `age` on the 31 August before it."""
        cohort: list[uuid.UUID] = []
        for _ in range(LEAVERS_PER_COHORT):
            born = dt.date(september.year - age - 1, 9, 1) + dt.timedelta(days=self.rng.randint(0, 364))
            registered = september + dt.timedelta(days=self.rng.randint(1, 25))
            if registered > self.today:
                return cohort
            code = weighted_choice(self.rng, LEAVERS_DOING)
            status = STATUS_OF_ACTIVITY[activity.group_of(code)]
            drawn = synthetic_person(self.ctx, registered)
            groups = [g for g in drawn.priority_groups if g != NEET] + ([NEET] if status == NEET else [])
            if code == 620 and "young_carer" not in groups:
                groups.append("young_carer")
            data = drawn.model_copy(update={"date_of_birth": born, "status": status, "priority_groups": groups})
            adviser = Principal(Role.ADVISER, self.rng.choice(self.ctx.adviser_ids))
            try:
                with self.sessions() as session:
                    read = service.register_profile(session=session, data=data, principal=adviser,
                                                    settings=self.settings, now=_at(registered, 9))
            except RuleViolation:
                continue
            if code != activity.CODE_OF_STATUS[status]:  # type: ignore[index]
                self.record(read.id, code, registered, "school_or_college")
            self.summary.school_leavers += 1
            cohort.append(read.id)
            self.september_offer(read.id, september.year, registered)
            if code == ACTIVITY_CODE_NOT_KNOWN:
                self._trace(read.id, registered + dt.timedelta(days=self.rng.randint(*LEAVERS_TRACED_AFTER_DAYS)))
            if activity.group_of(code) == "education" and self.rng.random() < DROP_OUT_SHARE:
                left = registered + dt.timedelta(days=self.rng.randint(40, 200))
                if left <= self.today:
                    self.live_until(read.id, left)
                    self.record(read.id, self.rng.choice((610, 610, 540, 330, 450)), left, "school_or_college")
            self.live(read.id)
        return cohort

    def september_offer(self, profile_id: uuid.UUID, year: int, day: dt.date) -> None:
        """Whether the adviser recorded a suitable offer by the end of that September (sometimes nothing)."""
        offer = weighted_choice(self.rng, SEPTEMBER_OFFERS)
        if offer is None or day > self.today:
            return
        with self.sessions() as session:
            activity.record_september_guarantee(
                session=session, profile_id=profile_id, year=year,
                data=SeptemberGuaranteeWrite(outcome=offer),  # type: ignore[arg-type]
                principal=self._adviser(profile_id), settings=self.settings, now=_at(day, 11))
        self.summary.september_guarantee[offer] += 1

    def adviser_work(self, profile_id: uuid.UUID) -> None:
        """The last six weeks of a waiting person's work with their adviser: a meeting every fortnight or so (missed
        now and then), actions agreed at each (most done, some late), and the next meeting booked."""
        rng, adviser = self.rng, self._adviser(profile_id)
        day = self.today - dt.timedelta(days=rng.randint(28, 42))
        while day < self.today:
            met = _at(day, rng.choice((10, 11, 14, 15)))
            with self.sessions() as session:
                booked = adviser_work.book_appointment(
                    session=session, profile_id=profile_id, now=met - dt.timedelta(days=7), principal=adviser,
                    data=AppointmentCreate(starts_at=met, mode=rng.choice(("in_person", "in_person", "phone")),  # type: ignore[arg-type]
                                           notes=rng.choice(APPOINTMENT_NOTES)))
                attended = rng.random() < 0.8
                adviser_work.record_outcome(session=session, profile_id=profile_id, appointment_id=booked.id,
                                            outcome="attended" if attended else "missed", principal=adviser, now=met)
            self.summary.appointments += 1
            if attended:
                category = rng.choice(list(ACTIONS))
                due = day + dt.timedelta(days=rng.randint(5, 14))
                with self.sessions() as session:
                    action = adviser_work.plan_action(
                        session=session, profile_id=profile_id, principal=adviser, now=met,
                        data=PlannedActionCreate(category=category, description=rng.choice(ACTIONS[category]),  # type: ignore[arg-type]
                                                 due_on=due))
                    done = due + dt.timedelta(days=rng.randint(-4, 3))
                    if done <= self.today and rng.random() < 0.75:
                        adviser_work.mark_done(session=session, profile_id=profile_id, action_id=action.id,
                                               done_on=max(done, day), principal=adviser, now=_at(max(done, day), 16))
                self.summary.actions += 1
            day += dt.timedelta(days=rng.randint(10, 18))
        with self.sessions() as session:
            adviser_work.book_appointment(
                session=session, profile_id=profile_id, principal=adviser, now=self.ctx.now,
                data=AppointmentCreate(starts_at=_at(day, rng.choice((10, 14))), mode="in_person",
                                       notes=rng.choice(APPOINTMENT_NOTES)))
        self.summary.appointments += 1

    def transfer(self, profile_id: uuid.UUID) -> None:
        """Move a person to the other adviser's caseload, a few days ago."""
        adviser = self._adviser(profile_id)
        others = [a for a in self.ctx.adviser_ids if a != adviser.sub]
        with self.sessions() as session:
            profile = session.get(Profile, profile_id)
            if profile is None or not others:
                return
            when = max(profile.updated_at + dt.timedelta(minutes=5), self.ctx.now - dt.timedelta(days=6))
            if when > self.ctx.now:
                return
            adviser_work.transfer(session=session, profile_id=profile_id, principal=adviser, settings=self.settings,
                                  now=when, data=TransferCreate(to_adviser_id=self.rng.choice(others),
                                                                reason=self.rng.choice(TRANSFER_REASONS)))
        self.summary.transfers += 1

    def live_until(self, profile_id: uuid.UUID, day: dt.date) -> None:
        """Check-ins before `day` (a change of activity then), made in time: the school keeps the hub told."""
        spell = self._open_spell(profile_id)
        while spell is not None:
            due = spell.confirmed_on + dt.timedelta(days=self.rng.randint(25, 60))
            if due >= day or activity.lapses_on(spell, self.settings) <= due:
                return
            with self.sessions() as session:
                activity.confirm_activity(session=session, profile_id=profile_id, confirmed_on=due,
                                          principal=self._adviser(profile_id), settings=self.settings, now=_at(due))
            self.summary.confirmations += 1
            spell = self._open_spell(profile_id)


def seed(ctx: SeedContext) -> ActivitySummary:
    settings = ProfilesSettings()
    url = settings.resolved_database_url()
    run_migrations(url, MIGRATIONS)
    engine = make_engine(url)
    histories = Histories(ctx, make_session_factory(engine), settings)
    try:
        people = [person.profile_id for person in ctx.people]
        for profile_id in ctx.progress(people, desc="activity histories", total=len(people)):
            histories.live(profile_id)
        this_september = dt.date(ctx.now.year if ctx.now.month >= 9 else ctx.now.year - 1, 9, 1)
        last_september = this_september.replace(year=this_september.year - 1)
        staying_on = histories.school_leavers(last_september, 16)
        histories.school_leavers(last_september, 17)
        histories.school_leavers(this_september, 16)
        for profile_id in staying_on:  # leaving Year 12 this summer: the guarantee again
            histories.september_offer(profile_id, this_september.year,
                                      this_september + dt.timedelta(days=ctx.rng.randint(3, 28)))
        waiting = [p for p in people if histories.current_group(p) in ("neet_available", "neet_not_available")]
        for profile_id in waiting[: len(waiting) // 2]:
            histories.adviser_work(profile_id)
        for profile_id in ctx.rng.sample(waiting, min(TRANSFERS, len(waiting))):
            histories.transfer(profile_id)
        with histories.sessions() as session:
            everyone = list(session.scalars(select(Profile.id)))
        for profile_id in everyone:
            histories.summary.current[histories.current_group(profile_id) or "none"] += 1
        return histories.summary
    finally:
        engine.dispose()
