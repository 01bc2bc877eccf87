"""The activity record as the events service keeps it (each person's NCCIS spells and September Guarantee outcomes
from the newest profile.activity_recorded), and what each person known to the hub was doing on any date: the spell
covering it, turned not known (810) once its currency has lapsed."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.common.school_years import academic_age
from services.events.guarantee import groups_of
from services.events.models import ActivitySpell, Person, SeptemberOffer, StatusChange
from services.messaging.contract import ActivityRecordV1
from services.messaging.vocabulary import (
    ACTIVITY_CODE_NOT_KNOWN,
    ACTIVITY_CODES,
    ActivityGroup,
    PriorityGroup,
    SeptemberGuaranteeOutcome,
)

CurrencyDays = Mapping[ActivityGroup, int]
NOT_KNOWN: ActivityGroup = "not_known"
NEET_GROUPS: frozenset[ActivityGroup] = frozenset({"neet_available", "neet_not_available"})


def group_of(code: int) -> ActivityGroup:
    """A code's group; a code the hub does not record says nothing known."""
    return ACTIVITY_CODES[code][0] if code in ACTIVITY_CODES else NOT_KNOWN


@dataclass(frozen=True)
class Spell:
    code: int
    started_on: dt.date
    ended_on: dt.date | None
    source: str
    confirmed_on: tuple[dt.date, ...]
    recorded_at: dt.datetime

    def covers(self, day: dt.date) -> bool:
        """From its start to its end, both days included (open while it has no end)."""
        return self.started_on <= day and (self.ended_on is None or day <= self.ended_on)


@dataclass(frozen=True)
class ActivityOn:
    """What a person was doing on `day` by their record: the spell covering it (None: nothing recorded for that day),
    when it was last confirmed on or before the day, and the day its currency lapses."""

    day: dt.date
    spell: Spell | None
    last_confirmed: dt.date | None = None
    lapses_on: dt.date | None = None

    @property
    def lapsed(self) -> bool:
        return self.lapses_on is not None and self.day >= self.lapses_on

    @property
    def code(self) -> int:
        """The code as counted: the spell's, or 810 when nothing is recorded or its currency has lapsed."""
        return ACTIVITY_CODE_NOT_KNOWN if self.spell is None or self.lapsed else self.spell.code

    @property
    def group(self) -> ActivityGroup:
        return group_of(self.code)


def activity_on(spells: Sequence[Spell], day: dt.date, currency: CurrencyDays) -> ActivityOn:
    """The spell covering `day` (of two, the later started); it lapses its group's currency period after its latest
    confirmation on or before the day (its start, if none was confirmed by then). A not-known spell does not lapse."""
    covering = [spell for spell in spells if spell.covers(day)]
    if not covering:
        return ActivityOn(day, None)
    spell = max(covering, key=lambda one: (one.started_on, one.recorded_at))
    last = max((confirmed for confirmed in spell.confirmed_on if confirmed <= day), default=spell.started_on)
    group = group_of(spell.code)
    lapses_on = None if group == NOT_KNOWN else last + dt.timedelta(days=currency[group])
    return ActivityOn(day, spell, last, lapses_on)


@dataclass(frozen=True)
class PersonRecord:
    """A person known to the hub with what the returns read of them: registration, date of birth, priority groups,
    adviser history (from each profile version: the day it took effect, the version, the adviser), activity spells
    and September Guarantee outcomes by year."""

    profile_id: uuid.UUID
    registered_on: dt.date
    date_of_birth: dt.date | None
    postcode_district: str | None
    groups: tuple[PriorityGroup, ...]
    advisers: tuple[tuple[dt.date, int, str | None], ...]
    spells: tuple[Spell, ...] = ()
    september: Mapping[int, tuple[SeptemberGuaranteeOutcome, dt.date]] = field(default_factory=dict)

    def known_on(self, day: dt.date) -> bool:
        return self.registered_on <= day

    def adviser_on(self, day: dt.date) -> str | None:
        """The adviser of the newest profile version in effect on `day` (before the first, the first's)."""
        in_effect = [row for row in self.advisers if row[0] <= day] or sorted(self.advisers, key=lambda r: r[1])[:1]
        return max(in_effect, key=lambda row: row[1])[2] if in_effect else None

    def activity_on(self, day: dt.date, currency: CurrencyDays) -> ActivityOn:
        return activity_on(self.spells, day, currency)

    def academic_age_on(self, day: dt.date) -> int | None:
        return academic_age(self.date_of_birth, day) if self.date_of_birth else None


def as_known_on(spells: Sequence[Spell], day: dt.date) -> tuple[Spell, ...]:
    """The spells as the record stood at the end of `day`: those recorded by then, the latest of them still open (what
    ended it was recorded later), so a figure as at a day stays what it was on that day."""
    known = [spell for spell in spells if spell.recorded_at.date() <= day]
    if not known:
        return ()
    latest = max(known, key=lambda spell: (spell.started_on, spell.recorded_at))
    return tuple(replace(spell, ended_on=None) if spell is latest else spell for spell in known)


def load_people(session: Session, only: uuid.UUID | None = None,
                known_on: dt.date | None = None) -> list[PersonRecord]:
    """Everyone registered (and not erased), or `only` that person, with their records, in four queries; with
    `known_on`, the activity records as they stood at the end of that day."""

    def of(query: Any, column: Any) -> Any:
        return query if only is None else query.where(column == only)

    advisers: dict[uuid.UUID, list[tuple[dt.date, int, str | None]]] = {}
    for profile_id, version, at, adviser in session.execute(of(
        select(StatusChange.profile_id, StatusChange.version, StatusChange.at, StatusChange.adviser_id),
        StatusChange.profile_id,
    )).tuples():
        advisers.setdefault(profile_id, []).append((at.date(), version, adviser))
    spells: dict[uuid.UUID, list[Spell]] = {}
    for row in session.scalars(of(select(ActivitySpell), ActivitySpell.profile_id)):
        spells.setdefault(row.profile_id, []).append(Spell(
            row.code, row.started_on, row.ended_on, row.source,
            tuple(dt.date.fromisoformat(day) for day in row.confirmed_on), row.recorded_at,
        ))
    september: dict[uuid.UUID, dict[int, tuple[SeptemberGuaranteeOutcome, dt.date]]] = {}
    for offer in session.scalars(of(select(SeptemberOffer), SeptemberOffer.profile_id)):
        september.setdefault(offer.profile_id, {})[offer.year] = (offer.outcome, offer.recorded_on)  # type: ignore[assignment]
    return [
        PersonRecord(
            profile_id=person.profile_id,
            registered_on=person.registered_at.date(),
            date_of_birth=person.date_of_birth,
            postcode_district=person.postcode_district,
            groups=tuple(groups_of(person)),
            advisers=tuple(advisers.get(person.profile_id, [(person.registered_at.date(), 0, person.adviser_id)])),
            spells=(tuple(spells.get(person.profile_id, ())) if known_on is None
                    else as_known_on(spells.get(person.profile_id, ()), known_on)),
            september=september.get(person.profile_id, {}),
        )
        for person in session.scalars(of(select(Person).where(Person.registered_at.is_not(None)), Person.profile_id))
        if person.registered_at is not None
    ]


def replace_record(session: Session, record: ActivityRecordV1) -> None:
    """Hold `record` as the person's activity record, in place of whatever was held."""
    forget_record(session, record.profile_id)
    for spell in record.spells:
        session.add(ActivitySpell(
            profile_id=record.profile_id, spell_id=spell.spell_id, code=spell.code, started_on=spell.started_on,
            ended_on=spell.ended_on, source=spell.source, confirmed_on=[day.isoformat() for day in spell.confirmed_on],
            recorded_at=spell.recorded_at,
        ))
    for offer in record.september_guarantee:
        session.merge(SeptemberOffer(profile_id=record.profile_id, year=offer.year, outcome=offer.outcome,
                                     recorded_on=offer.recorded_on))


def forget_record(session: Session, profile_id: uuid.UUID) -> None:
    """Drop the person's activity record (a newer one replaces it, or they are erased)."""
    session.execute(delete(ActivitySpell).where(ActivitySpell.profile_id == profile_id))
    session.execute(delete(SeptemberOffer).where(SeptemberOffer.profile_id == profile_id))
