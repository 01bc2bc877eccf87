"""What the matcher keeps of each side besides its vector: the eligibility facts and the fields explanations
name. Built from the event payloads, which already exclude names, contact details and special category data."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import uuid
from collections.abc import Container
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson

from services.common.eligibility import Posting
from services.matching.text import normalised
from services.messaging.contract import EmployerSnapshotV1, OpportunitySnapshotV1, ProfileSnapshotV1
from services.messaging.vocabulary import level_number

F = TypeVar("F", "OpportunityFacts", "PersonFacts", "EmployerFacts")
# What a match answer carries of an opportunity's description, so a page needs no call per match.
DESCRIPTION_CHARS = 600


def _pence(pounds: float) -> int:
    """An hourly wage sent in pounds (two decimals) as whole pence."""
    return round(pounds * 100)


class Saved:
    """Facts the matcher saves every 10 s while changes go on."""

    @functools.cached_property
    def saved(self) -> orjson.Fragment:
        """These facts as saved (to_json, encoded), worked out once: facts are frozen, so only what changed since
        the last save is encoded again, and the cache goes with the facts (a new version, or erasure)."""
        return orjson.Fragment(orjson.dumps(to_json(self)))  # type: ignore[arg-type]


class HasSkills(Saved):
    """Facts with skills in someone's own words."""

    skills: tuple[str, ...]

    @functools.cached_property
    def skill_keys(self) -> tuple[str, ...]:
        """The skills as compared (text.normalised), worked out once and kept with these facts (so they go when
        the facts go: a new version, or erasure)."""
        return tuple(normalised(skill) for skill in self.skills)

    def skills_within(self, words: Container[str]) -> list[str]:
        """These skills, as written, whose compared form is in `words`: another's skill keys, or a normalised text
        (where it is part of the text)."""
        return [skill for skill, key in zip(self.skills, self.skill_keys, strict=True) if key in words]


@dataclass(frozen=True)
class OpportunityFacts(HasSkills):
    opportunity_id: uuid.UUID
    version: int
    type: str
    status: str
    title: str
    skills: tuple[str, ...]
    sector: str
    level: int | None
    postcode_district: str
    latitude: float
    longitude: float
    remote: bool
    positions: int
    positions_filled: int
    start_date: dt.date
    closing_date: dt.date
    min_age: int | None
    max_age: int | None
    requires_universal_credit: bool
    text_hash: str
    # Pay in whole pence an hour: from the start, and after the first year (the same when it does not rise).
    wage_pence: int
    later_wage_pence: int
    duration_months: int | None
    held_back: bool
    # Shown with a match (older saved indexes lack them: the defaults stand until the next event).
    employer_id: uuid.UUID | None = None
    wage_per_hour: float = 0.0
    hours_per_week: float = 0.0
    description: str = ""

    @property
    def key(self) -> uuid.UUID:
        return self.opportunity_id

    @property
    def phrases(self) -> tuple[str, ...]:
        """What a match compares by meaning: the title and the skills asked for."""
        return (self.title, *self.skills)

    def posting(self) -> Posting:
        """This opportunity's side of the eligibility rules."""
        return Posting(
            start_date=self.start_date,
            min_age=self.min_age,
            max_age=self.max_age,
            requires_universal_credit=self.requires_universal_credit,
            wage_pence=self.wage_pence,
            wage_after_first_year_pence=self.later_wage_pence,
            apprenticeship=self.type == "apprenticeship",
            duration_months=self.duration_months,
        )

    @classmethod
    def from_snapshot(cls, snapshot: OpportunitySnapshotV1, version: int, text_hash: str) -> OpportunityFacts:
        return cls(
            opportunity_id=snapshot.opportunity_id,
            version=version,
            type=snapshot.type,
            status=snapshot.status,
            title=snapshot.title,
            skills=tuple(snapshot.skills),
            sector=snapshot.sector,
            level=snapshot.level,
            postcode_district=snapshot.postcode_district,
            latitude=snapshot.latitude,
            longitude=snapshot.longitude,
            remote=snapshot.remote,
            positions=snapshot.positions,
            positions_filled=snapshot.positions_filled,
            start_date=snapshot.start_date,
            closing_date=snapshot.closing_date,
            min_age=snapshot.min_age,
            max_age=snapshot.max_age,
            requires_universal_credit=snapshot.requires_universal_credit,
            text_hash=text_hash,
            wage_pence=_pence(snapshot.wage_per_hour),
            later_wage_pence=_pence(
                snapshot.wage_per_hour if snapshot.wage_after_first_year is None else snapshot.wage_after_first_year
            ),
            duration_months=snapshot.duration_months,
            held_back=snapshot.held_back_reason is not None,
            employer_id=snapshot.employer_id,
            wage_per_hour=snapshot.wage_per_hour,
            hours_per_week=snapshot.hours_per_week,
            description=snapshot.description[:DESCRIPTION_CHARS],
        )


@dataclass(frozen=True)
class EmployerFacts(Saved):
    """What a page shows of an employer beside a match: its name and badges."""

    employer_id: uuid.UUID
    version: int
    name: str
    disability_confident: bool
    living_wage_employer: bool
    good_employment_charter: bool

    @property
    def key(self) -> uuid.UUID:
        return self.employer_id

    @classmethod
    def from_snapshot(cls, snapshot: EmployerSnapshotV1, version: int) -> EmployerFacts:
        return cls(employer_id=snapshot.employer_id, version=version, name=snapshot.name,
                   disability_confident=snapshot.disability_confident,
                   living_wage_employer=snapshot.living_wage_employer,
                   good_employment_charter=snapshot.good_employment_charter)


@dataclass(frozen=True)
class PersonFacts(HasSkills):
    profile_id: uuid.UUID
    version: int
    status: str
    date_of_birth: dt.date
    postcode_district: str
    latitude: float | None
    longitude: float | None
    on_universal_credit: bool
    priority_groups: tuple[str, ...]
    skills: tuple[str, ...]
    interests: tuple[str, ...]
    preferred_types: tuple[str, ...]
    max_travel_km: float
    text_hash: str
    # The highest level among their recorded qualifications (entry: 0); None when none is recorded (older saved
    # indexes lack it too: None stands until the person's next event).
    highest_level: int | None = None

    @property
    def key(self) -> uuid.UUID:
        return self.profile_id

    @property
    def phrases(self) -> tuple[str, ...]:
        """What a match compares by meaning: the person's skills and interests in their own words."""
        return (*self.skills, *self.interests)

    @classmethod
    def from_snapshot(cls, snapshot: ProfileSnapshotV1, version: int, text_hash: str) -> PersonFacts:
        return cls(
            profile_id=snapshot.profile_id,
            version=version,
            status=snapshot.status,
            date_of_birth=snapshot.date_of_birth,
            postcode_district=snapshot.postcode_district,
            latitude=snapshot.latitude,
            longitude=snapshot.longitude,
            on_universal_credit=snapshot.on_universal_credit,
            priority_groups=tuple(snapshot.priority_groups),
            skills=tuple(snapshot.skills),
            interests=tuple(snapshot.interests),
            preferred_types=tuple(snapshot.preferred_types),
            max_travel_km=snapshot.max_travel_km,
            text_hash=text_hash,
            highest_level=max((level_number(q.level) for q in snapshot.qualifications), default=None),
        )


def to_json(facts: OpportunityFacts | PersonFacts | EmployerFacts) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in dataclasses.fields(facts):
        value = getattr(facts, field.name)
        if isinstance(value, uuid.UUID | dt.date):
            value = str(value) if isinstance(value, uuid.UUID) else value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        out[field.name] = value
    return out


def from_json(kind: type[F], data: dict[str, Any]) -> F:
    values: dict[str, Any] = {}
    for field in dataclasses.fields(kind):
        if field.name not in data and field.default is not dataclasses.MISSING:
            continue
        value = data[field.name]
        annotation = str(field.type)
        if value is None:
            pass
        elif annotation.startswith("uuid.UUID"):
            value = uuid.UUID(value)
        elif annotation == "dt.date":
            value = dt.date.fromisoformat(value)
        elif annotation.startswith("tuple"):
            value = tuple(value)
        values[field.name] = value
    return kind(**values)
