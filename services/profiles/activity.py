"""The activity record: what a young person is doing, as NCCIS activity spells, kept current.

The current spell gives the profile's status. An activity not confirmed within its group's period turns "not known"
(810) on the day it lapses; people not known are traced, and after the configured number of failed contact attempts
they are recorded as "cannot be contacted" (820); a refusal records 830. An accepted referral opens the spell its
opportunity starts. The September Guarantee offers of the Year 11 and Year 12 cohorts are kept with the record.

Every change to the record counts up the profile's `activity_version` and stages one profile.activity_recorded
event with the whole record (every spell with every confirmation, and the offers), sealed under the person's special
category key: some codes say something about health or religion."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.auth import Principal, Role
from services.common.eligibility import age_on
from services.common.errors import NotFound, RuleViolation
from services.common.school_years import september_cohort
from services.messaging.contract import ActivityRecordV1, ActivitySpellV1, EventType, SeptemberGuaranteeV1
from services.messaging.vocabulary import (
    ACTIVITY_CODE_CANNOT_CONTACT,
    ACTIVITY_CODE_NOT_KNOWN,
    ACTIVITY_CODE_OF_OPPORTUNITY_TYPE,
    ACTIVITY_CODES,
    FAILED_CONTACT_OUTCOMES,
    STATUS_OF_ACTIVITY,
    ActivityGroup,
    OpportunityType,
    ProfileStatus,
)
from services.profiles.config import ProfilesSettings
from services.profiles.keys import keys_of
from services.profiles.models import ActivityConfirmation, ActivitySpell, ContactAttempt, Profile, SeptemberGuarantee
from services.profiles.publishing import emit, snapshot
from services.profiles.schemas import (
    ActivityCreate,
    ActivityRead,
    ActivityRecord,
    ContactAttemptCreate,
    ContactAttemptRead,
    SeptemberGuaranteeRead,
    SeptemberGuaranteeWrite,
    TraceItem,
    TraceQueue,
)

# The code a status set on its own (at registration, or changed on the profile) is recorded with.
CODE_OF_STATUS: dict[ProfileStatus, int] = {
    "neet": 610, "education": 270, "employment": 330, "training": 450, "not_known": ACTIVITY_CODE_NOT_KNOWN,
}
REFUSED_TO_DISCLOSE = 830
LAPSED = "lapsed"  # the source of a not known spell written down when an activity's confirmation lapsed
REFERRAL_OUTCOME = "referral_outcome"  # the source of a spell an accepted referral opened
FIRST_SEPTEMBER_GUARANTEE_YEAR = 2000


def group_of(code: int) -> ActivityGroup:
    return ACTIVITY_CODES[code][0]


@dataclass(frozen=True)
class Current:
    """A person's activity on a day: the spell that covers it, or "not known" from the day that spell lapsed."""

    code: int
    since: dt.date
    lapsed_from: int | None = None
    written: bool = True  # False: a lapse that no spell records yet

    @property
    def group(self) -> ActivityGroup:
        return group_of(self.code)


def lapses_on(spell: ActivitySpell, settings: ProfilesSettings) -> dt.date:
    return spell.confirmed_on + dt.timedelta(days=settings.activity_currency_days[group_of(spell.code)])


def current_activity(spells: list[ActivitySpell], on: dt.date, settings: ProfilesSettings) -> Current | None:
    covering = [s for s in spells if s.started_on <= on and (s.ended_on is None or s.ended_on > on)]
    if not covering:
        return None
    spell = max(covering, key=lambda s: (s.started_on, s.recorded_at))
    lapse = lapses_on(spell, settings)
    if group_of(spell.code) != "not_known" and lapse <= on:
        return Current(ACTIVITY_CODE_NOT_KNOWN, lapse, lapsed_from=spell.code, written=False)
    if spell.source == LAPSED:
        before = [s for s in spells if s.ended_on == spell.started_on and s is not spell]
        return Current(spell.code, spell.started_on, lapsed_from=before[-1].code if before else None)
    return Current(spell.code, spell.started_on)


def _spells(session: Session, profile_id: uuid.UUID) -> list[ActivitySpell]:
    return list(session.scalars(select(ActivitySpell).where(ActivitySpell.profile_id == profile_id)
                                .order_by(ActivitySpell.started_on, ActivitySpell.recorded_at)))


def current_spell(session: Session, profile_id: uuid.UUID) -> ActivitySpell | None:
    """The spell still open (the record keeps one), whatever its currency."""
    return next((s for s in reversed(_spells(session, profile_id)) if s.ended_on is None), None)


def _profile(session: Session, profile_id: uuid.UUID) -> Profile:
    profile = session.get(Profile, profile_id)
    if profile is None:
        raise NotFound("profile", profile_id)
    return profile


def open_spell(session: Session, profile: Profile, *, code: int, started_on: dt.date, source: str,
               confirmed_on: dt.date, by: str, now: dt.datetime, referral_id: uuid.UUID | None = None
               ) -> ActivitySpell:
    """Start a spell; the spell open until now ends the day this one starts. History is appended, not rewritten:
    a spell may not start before the open one did."""
    spells = _spells(session, profile.id)
    still_open = [s for s in spells if s.ended_on is None]
    for spell in still_open:
        if started_on < spell.started_on:
            raise RuleViolation("started_on", "after_current_spell",
                                f"must be on or after {spell.started_on.isoformat()}, when the current activity "
                                f"({spell.code} {ACTIVITY_CODES[spell.code][1]}) started")
    for spell in still_open:
        spell.ended_on = started_on
    spell = ActivitySpell(profile_id=profile.id, code=code, started_on=started_on, ended_on=None, source=source,
                          confirmed_on=confirmed_on, recorded_by=by, recorded_at=now, referral_id=referral_id)
    session.add(spell)
    session.flush()
    _confirm(session, spell, confirmed_on, by=by, now=now)
    return spell


def _confirm(session: Session, spell: ActivitySpell, day: dt.date, *, by: str, now: dt.datetime) -> bool:
    """Keep a day the spell's activity was confirmed (its `confirmed_on` is the latest); False if already kept."""
    if session.get(ActivityConfirmation, (spell.id, day)) is not None:
        return False
    session.add(ActivityConfirmation(spell_id=spell.id, confirmed_on=day, profile_id=spell.profile_id, recorded_by=by,
                                     recorded_at=now))
    spell.confirmed_on = max(spell.confirmed_on, day)
    session.flush()
    return True


def _confirmations(session: Session, profile_id: uuid.UUID) -> dict[uuid.UUID, list[dt.date]]:
    days: dict[uuid.UUID, list[dt.date]] = {}
    for row in session.scalars(select(ActivityConfirmation).where(ActivityConfirmation.profile_id == profile_id)
                               .order_by(ActivityConfirmation.confirmed_on)):
        days.setdefault(row.spell_id, []).append(row.confirmed_on)
    return days


def _offers(session: Session, profile_id: uuid.UUID) -> list[SeptemberGuarantee]:
    return list(session.scalars(select(SeptemberGuarantee).where(SeptemberGuarantee.profile_id == profile_id)
                                .order_by(SeptemberGuarantee.year)))


def record_changed(session: Session, profile: Profile, settings: ProfilesSettings, now: dt.datetime) -> None:
    """The activity record changed: count it and stage profile.activity_recorded with the whole record. Call once
    per transaction, after its last change."""
    session.flush()
    profile.activity_version = (profile.activity_version or 0) + 1
    confirmations = _confirmations(session, profile.id)
    record = ActivityRecordV1(
        profile_id=profile.id,
        spells=[ActivitySpellV1(spell_id=s.id, code=s.code, started_on=s.started_on, ended_on=s.ended_on,
                                source=s.source,  # type: ignore[arg-type]
                                confirmed_on=confirmations.get(s.id, [s.confirmed_on]), recorded_at=s.recorded_at)
                for s in _spells(session, profile.id)],
        september_guarantee=[SeptemberGuaranteeV1(year=o.year, outcome=o.outcome,  # type: ignore[arg-type]
                                                  recorded_on=o.recorded_on) for o in _offers(session, profile.id)],
        recorded_at=now,
    )
    keys = keys_of(session, profile.id, settings.kek())
    emit(session, EventType.PROFILE_ACTIVITY_RECORDED, profile.id, profile.activity_version, record, now, keys)


def follow_status(session: Session, profile: Profile, code: int, now: dt.datetime,
                  settings: ProfilesSettings) -> None:
    """Set the profile's status from the activity and tell the others if it changed (the event carries the status
    only: never the code, which may say illness, pregnancy or religion)."""
    status = STATUS_OF_ACTIVITY[group_of(code)]
    if profile.status == status:
        return
    profile.status = status
    profile.version += 1
    profile.updated_at = now
    keys = keys_of(session, profile.id, settings.kek())
    emit(session, EventType.PROFILE_UPDATED, profile.id, profile.version, snapshot(profile), now, keys)


def recorder(principal: Principal) -> str:
    """Who recorded something: an adviser by their id, anyone else by their role."""
    return principal.sub if principal.role is Role.ADVISER else str(principal.role)


def source_of(principal: Principal) -> str:
    """Where a status set on the profile came from: the young person themself, or their adviser."""
    return "young_person" if principal.role is Role.YOUNG_PERSON else "adviser"


def _read(spell: ActivitySpell, confirmations: list[dt.date], settings: ProfilesSettings) -> ActivityRead:
    group, label = ACTIVITY_CODES[spell.code]
    return ActivityRead(id=spell.id, code=spell.code, label=label, group=group, started_on=spell.started_on,
                        ended_on=spell.ended_on, source=spell.source, confirmed_on=spell.confirmed_on,
                        confirmations=confirmations or [spell.confirmed_on],
                        lapses_on=None if group == "not_known" else lapses_on(spell, settings),
                        recorded_by=spell.recorded_by)


def _attempt_read(attempt: ContactAttempt) -> ContactAttemptRead:
    return ContactAttemptRead(id=attempt.id, method=attempt.method, outcome=attempt.outcome,  # type: ignore[arg-type]
                              attempted_on=attempt.attempted_on, recorded_by=attempt.recorded_by)


def record_of(*, session: Session, profile_id: uuid.UUID, today: dt.date,
              settings: ProfilesSettings) -> ActivityRecord:
    profile = _profile(session, profile_id)
    spells = _spells(session, profile_id)
    confirmations = _confirmations(session, profile_id)
    now = current_activity(spells, today, settings)
    attempts = session.scalars(select(ContactAttempt).where(ContactAttempt.profile_id == profile_id)
                               .order_by(ContactAttempt.attempted_on, ContactAttempt.recorded_at))
    return ActivityRecord(
        profile_id=profile_id,
        current_code=now.code if now else None,
        current_label=ACTIVITY_CODES[now.code][1] if now else None,
        current_group=now.group if now else None,
        current_since=now.since if now else None,
        lapsed_from=now.lapsed_from if now else None,
        spells=[_read(s, confirmations.get(s.id, []), settings) for s in reversed(spells)],
        contact_attempts=[_attempt_read(a) for a in attempts],
        september_guarantee=[
            SeptemberGuaranteeRead(year=o.year, cohort=september_cohort(profile.date_of_birth, o.year),
                                   outcome=o.outcome, recorded_on=o.recorded_on,  # type: ignore[arg-type]
                                   recorded_by=o.recorded_by)
            for o in _offers(session, profile_id)],
    )


def record_activity(*, session: Session, profile_id: uuid.UUID, data: ActivityCreate, principal: Principal,
                    settings: ProfilesSettings, now: dt.datetime) -> ActivityRecord:
    profile = _profile(session, profile_id)
    today = now.date()
    if data.started_on > today:
        raise RuleViolation("started_on", "not_in_future", "must be today or earlier")
    confirmed_on = data.confirmed_on or today
    if not data.started_on <= confirmed_on <= today:
        raise RuleViolation("confirmed_on", "between_start_and_today",
                            f"must be between the start ({data.started_on.isoformat()}) and today")
    open_spell(session, profile, code=data.code, started_on=data.started_on, source=data.source,
               confirmed_on=confirmed_on, by=recorder(principal), now=now)
    follow_status(session, profile, data.code, now, settings)
    record_changed(session, profile, settings, now)
    session.commit()
    return record_of(session=session, profile_id=profile_id, today=today, settings=settings)


def confirm_activity(*, session: Session, profile_id: uuid.UUID, confirmed_on: dt.date | None, principal: Principal,
                     settings: ProfilesSettings, now: dt.datetime) -> ActivityRecord:
    """The current activity is still what the person is doing: its currency starts again."""
    profile = _profile(session, profile_id)
    today = now.date()
    spell = current_spell(session, profile_id)
    if spell is None:
        raise RuleViolation("code", "no_current_activity", "record what the person is doing first")
    day = confirmed_on or today
    if not spell.started_on <= day <= today:
        raise RuleViolation("confirmed_on", "between_start_and_today",
                            f"must be between the start ({spell.started_on.isoformat()}) and today")
    if group_of(spell.code) != "not_known" and lapses_on(spell, settings) <= day:
        raise RuleViolation("confirmed_on", "lapsed",
                            f"the activity lapsed to not known on {lapses_on(spell, settings).isoformat()}: record "
                            "what the person is doing now instead")
    if _confirm(session, spell, day, by=recorder(principal), now=now):
        record_changed(session, profile, settings, now)
        session.commit()
    return record_of(session=session, profile_id=profile_id, today=today, settings=settings)


def record_contact_attempt(*, session: Session, profile_id: uuid.UUID, data: ContactAttemptCreate,
                           principal: Principal, settings: ProfilesSettings, now: dt.datetime) -> ActivityRecord:
    """An attempt to find out what a person is doing. A refusal records 830; once the person is not known, the
    configured number of failed attempts since they became not known records 820."""
    profile = _profile(session, profile_id)
    today = now.date()
    if data.attempted_on > today:
        raise RuleViolation("attempted_on", "not_in_future", "must be today or earlier")
    session.add(ContactAttempt(profile_id=profile_id, method=data.method, outcome=data.outcome,
                               attempted_on=data.attempted_on, recorded_by=recorder(principal), recorded_at=now))
    session.flush()
    changed = _lapse(session, profile, today, settings, now)
    current = current_activity(_spells(session, profile_id), today, settings)
    code = None
    if data.outcome == "refused":
        code = REFUSED_TO_DISCLOSE
    elif current is not None and current.code == ACTIVITY_CODE_NOT_KNOWN:
        failed = session.scalars(select(ContactAttempt).where(
            ContactAttempt.profile_id == profile_id, ContactAttempt.attempted_on >= current.since,
            ContactAttempt.outcome.in_(FAILED_CONTACT_OUTCOMES))).all()
        if len(failed) >= settings.failed_contacts_until_cannot_contact:
            code = ACTIVITY_CODE_CANNOT_CONTACT
    if code is not None and (current is None or current.code != code):
        day = max(data.attempted_on, current.since) if current else data.attempted_on
        open_spell(session, profile, code=code, started_on=day, source="adviser", confirmed_on=day,
                   by=recorder(principal), now=now)
        follow_status(session, profile, code, now, settings)
        changed = True
    if changed:
        record_changed(session, profile, settings, now)
    session.commit()
    return record_of(session=session, profile_id=profile_id, today=today, settings=settings)


def _lapse(session: Session, profile: Profile, today: dt.date, settings: ProfilesSettings,
           now: dt.datetime) -> bool:
    """Write down a lapse that has happened: the spell ends and a not known (810) spell starts on the day it lapsed."""
    current = current_activity(_spells(session, profile.id), today, settings)
    if current is None or current.written:
        return False
    open_spell(session, profile, code=ACTIVITY_CODE_NOT_KNOWN, started_on=current.since, source=LAPSED,
               confirmed_on=current.since, by="currency", now=now)
    follow_status(session, profile, ACTIVITY_CODE_NOT_KNOWN, now, settings)
    return True


def apply_lapses(*, session: Session, settings: ProfilesSettings, now: dt.datetime) -> int:
    """Every open activity past its currency turns not known (run daily); returns how many did."""
    open_ids = session.scalars(select(ActivitySpell.profile_id).where(ActivitySpell.ended_on.is_(None))).all()
    lapsed = 0
    for profile_id in sorted(set(open_ids)):
        profile = _profile(session, profile_id)
        if _lapse(session, profile, now.date(), settings, now):
            record_changed(session, profile, settings, now)
            lapsed += 1
    session.commit()
    return lapsed


def not_known_since(spells: list[ActivitySpell], current: Current) -> dt.date:
    """The day a person not known today stopped being known: back through not known spells (810 then 820, say)."""
    since = current.since
    if not current.written:
        return since
    while True:
        before = [s for s in spells if s.ended_on == since and s.started_on < since and group_of(s.code) == "not_known"]
        if not before:
            return since
        since = min(s.started_on for s in before)


def trace_queue(*, session: Session, today: dt.date, settings: ProfilesSettings,
                adviser_id: str | None = None) -> TraceQueue:
    """People whose activity is not known today (lapsed or recorded so), longest not known first, with their
    contact attempts since they stopped being known: the adviser's list of whom to trace."""
    people = select(Profile)
    if adviser_id:
        people = people.where(Profile.adviser_id == adviser_id)
    profiles = {profile.id: profile for profile in session.scalars(people)}
    ids = people.with_only_columns(Profile.id).scalar_subquery()
    spells_of: dict[uuid.UUID, list[ActivitySpell]] = {}
    for spell in session.scalars(select(ActivitySpell).where(ActivitySpell.profile_id.in_(ids))
                                 .order_by(ActivitySpell.started_on, ActivitySpell.recorded_at)):
        spells_of.setdefault(spell.profile_id, []).append(spell)
    attempts_of: dict[uuid.UUID, list[ContactAttempt]] = {}
    for attempt in session.scalars(select(ContactAttempt).where(ContactAttempt.profile_id.in_(ids))
                                   .order_by(ContactAttempt.attempted_on, ContactAttempt.recorded_at)):
        attempts_of.setdefault(attempt.profile_id, []).append(attempt)
    items = []
    for profile_id, spells in spells_of.items():
        profile = profiles[profile_id]
        current = current_activity(spells, today, settings)
        if current is None or current.group != "not_known":
            continue
        since = not_known_since(spells, current)
        attempts = [a for a in attempts_of.get(profile_id, []) if a.attempted_on >= since]
        items.append(TraceItem(
            profile_id=profile.id, given_name=profile.given_name, family_name=profile.family_name,
            adviser_id=profile.adviser_id, code=current.code, label=ACTIVITY_CODES[current.code][1],
            since=since, lapsed_from=current.lapsed_from, attempts=len(attempts),
            failed_attempts=sum(a.outcome in FAILED_CONTACT_OUTCOMES for a in attempts),
            last_attempt_on=attempts[-1].attempted_on if attempts else None))
    items.sort(key=lambda item: (item.since, str(item.profile_id)))
    return TraceQueue(items=items, count=len(items))


def record_september_guarantee(*, session: Session, profile_id: uuid.UUID, year: int, data: SeptemberGuaranteeWrite,
                               principal: Principal, settings: ProfilesSettings, now: dt.datetime) -> ActivityRecord:
    """Whether the person, leaving Year 11 or Year 12 that summer, was made a suitable offer of education or
    training by the end of `year`'s September (a new outcome replaces the one recorded for that year)."""
    profile = _profile(session, profile_id)
    today = now.date()
    if year < FIRST_SEPTEMBER_GUARANTEE_YEAR:
        raise RuleViolation("year", "too_early", f"must be {FIRST_SEPTEMBER_GUARANTEE_YEAR} or later", location="path")
    if year > today.year:
        raise RuleViolation("year", "not_in_future", f"must be {today.year} or earlier", location="path")
    if september_cohort(profile.date_of_birth, year) is None:
        age = age_on(profile.date_of_birth, dt.date(year, 8, 31))
        raise RuleViolation("year", "not_in_cohort",
                            f"the September Guarantee of {year} is for young people leaving Year 11 or Year 12 "
                            f"(16 or 17 on 31 August {year}); this person was {age}", location="path")
    offer = session.get(SeptemberGuarantee, (profile_id, year))
    if offer is None or offer.outcome != data.outcome:
        if offer is None:
            offer = SeptemberGuarantee(profile_id=profile_id, year=year)
            session.add(offer)
        offer.outcome, offer.recorded_on = data.outcome, today
        offer.recorded_by, offer.recorded_at = recorder(principal), now
        record_changed(session, profile, settings, now)
        session.commit()
    return record_of(session=session, profile_id=profile_id, today=today, settings=settings)


def record_referral_outcome(*, session: Session, profile_id: uuid.UUID, referral_id: uuid.UUID,
                            opportunity_type: OpportunityType, accepted_on: dt.date, settings: ProfilesSettings,
                            now: dt.datetime) -> bool:
    """An accepted referral opens the spell its opportunity's type starts, on the day it was accepted, and the
    profile's status follows; in the caller's transaction (the consumer's, with its processed-event row). Returns
    whether the record changed.

    Nothing is opened for a person erased since, for work experience (it starts no activity), for a referral that
    already opened its spell (a replayed event), or when the current spell is already that activity (the adviser
    recorded it first). History is appended, never rewritten, so an acceptance dated before the current spell
    started (it reached this service late) cannot open its spell on its own day: when the current spell says what
    the person is doing, it was recorded after the acceptance and stands (nothing is opened); when it says their
    activity is not known (8xx), the acceptance is news and opens its spell on the day it is applied. Either way the
    day of acceptance stays in the referral's events."""
    code = ACTIVITY_CODE_OF_OPPORTUNITY_TYPE[opportunity_type]
    profile = session.get(Profile, profile_id)
    if code is None or profile is None:
        return False
    if session.scalar(select(ActivitySpell.id).where(ActivitySpell.referral_id == referral_id)) is not None:
        return False
    current = current_spell(session, profile_id)
    if current is not None and current.code == code:
        return False
    started_on = accepted_on
    if current is not None and accepted_on < current.started_on:
        if group_of(current.code) != "not_known":
            return False
        started_on = max(now.date(), current.started_on)
    open_spell(session, profile, code=code, started_on=started_on, source=REFERRAL_OUTCOME, confirmed_on=started_on,
               by="referral", now=now, referral_id=referral_id)
    follow_status(session, profile, code, now, settings)
    record_changed(session, profile, settings, now)
    return True
