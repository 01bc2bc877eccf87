"""Contract events for the events service's tests: synthetic young people, referrals, employers and
opportunities with versions and times the test chooses, and a way to put them on the real broker."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from kafka import KafkaProducer

from services.messaging.contract import (
    EmployerSnapshotV1,
    EventEnvelope,
    EventType,
    InterestV1,
    OpportunitySnapshotV1,
    ProfileErasedV1,
    ProfileSnapshotV1,
    ProfileSpecialCategoryV1,
    ReferralV1,
    make_event,
)

T = TypeVar("T")
DAY = dt.timedelta(days=1)


def days(n: float) -> dt.timedelta:
    return dt.timedelta(days=n)


@dataclass
class YoungPerson:
    """A synthetic young person whose profile events carry increasing versions."""

    adviser_id: str
    registered_at: dt.datetime
    priority_groups: list[str] = field(default_factory=lambda: ["care_leaver"])
    status: str = "neet"
    profile_id: uuid.UUID = field(default_factory=uuid.uuid4)
    version: int = 0

    def _snapshot(self) -> ProfileSnapshotV1:
        return ProfileSnapshotV1(
            profile_id=self.profile_id,
            status=self.status,  # type: ignore[arg-type]
            date_of_birth=dt.date(self.registered_at.year - 19, 5, 1),
            postcode_district="SK1",
            latitude=53.41,
            longitude=-2.15,
            on_universal_credit=True,
            priority_groups=self.priority_groups,  # type: ignore[arg-type]
            skills=["customer service"],
            interests=["retail"],
            qualifications=[],
            about="Synthetic test person.",
            preferred_types=["apprenticeship"],
            max_travel_km=10,
            available_from=None,
            consent_share_with_employers=True,
            adviser_id=self.adviser_id,
            registered_at=self.registered_at,
        )

    def registered(self) -> EventEnvelope:
        self.version = 1
        return make_event(EventType.PROFILE_REGISTERED, producer="profiles", aggregate_id=str(self.profile_id),
                          aggregate_version=1, payload=self._snapshot(), occurred_at=self.registered_at)

    def becomes(self, status: str, at: dt.datetime) -> EventEnvelope:
        self.version += 1
        self.status = status
        return make_event(EventType.PROFILE_UPDATED, producer="profiles", aggregate_id=str(self.profile_id),
                          aggregate_version=self.version, payload=self._snapshot(), occurred_at=at)

    def special(self, *, send: bool, ethnicity: str | None = None, at: dt.datetime | None = None) -> EventEnvelope:
        return make_event(
            EventType.PROFILE_SPECIAL_CATEGORY_SET, producer="profiles", aggregate_id=str(self.profile_id),
            aggregate_version=max(self.version, 1),
            payload=ProfileSpecialCategoryV1(profile_id=self.profile_id, send=send, ethnicity=ethnicity),
            occurred_at=at or self.registered_at,
        )

    def erased(self, at: dt.datetime) -> EventEnvelope:
        self.version += 1
        return make_event(EventType.PROFILE_ERASED, producer="profiles", aggregate_id=str(self.profile_id),
                          aggregate_version=self.version,
                          payload=ProfileErasedV1(profile_id=self.profile_id, erased_at=at), occurred_at=at)


@dataclass
class Employer:
    living_wage_employer: bool = True
    good_employment_charter: bool = False
    disability_confident: bool = True
    employer_id: uuid.UUID = field(default_factory=uuid.uuid4)
    version: int = 0

    def event(self, at: dt.datetime) -> EventEnvelope:
        self.version += 1
        event_type = EventType.EMPLOYER_REGISTERED if self.version == 1 else EventType.EMPLOYER_UPDATED
        return make_event(
            event_type, producer="opportunities", aggregate_id=str(self.employer_id),
            aggregate_version=self.version,
            payload=EmployerSnapshotV1(
                employer_id=self.employer_id, name="Test Bakery Ltd", sector="retail", postcode_district="SK1",
                disability_confident=self.disability_confident, living_wage_employer=self.living_wage_employer,
                good_employment_charter=self.good_employment_charter,
            ),
            occurred_at=at,
        )


@dataclass
class Opportunity:
    employer: Employer
    type: str = "apprenticeship"
    positions: int = 2
    positions_filled: int = 0
    status: str = "live"
    opportunity_id: uuid.UUID = field(default_factory=uuid.uuid4)
    version: int = 0

    def event(self, at: dt.datetime, event_type: EventType = EventType.OPPORTUNITY_PUBLISHED) -> EventEnvelope:
        self.version += 1
        return make_event(
            event_type, producer="opportunities", aggregate_id=str(self.opportunity_id),
            aggregate_version=self.version,
            payload=OpportunitySnapshotV1(
                opportunity_id=self.opportunity_id, employer_id=self.employer.employer_id,
                type=self.type,  # type: ignore[arg-type]
                status=self.status,  # type: ignore[arg-type]
                title="Trainee baker", description="Learn to bake.", skills=["baking"], sector="retail",
                level=2, postcode_district="SK1", latitude=53.41, longitude=-2.15, remote=False,
                hours_per_week=30, wage_per_hour=7.55, duration_months=12, positions=self.positions,
                positions_filled=self.positions_filled, start_date=at.date(), closing_date=(at + days(30)).date(),
                min_age=16, max_age=24, requires_universal_credit=False,
                published_at=at if event_type is EventType.OPPORTUNITY_PUBLISHED else None,
            ),
            occurred_at=at,
        )


@dataclass
class Referral:
    person: YoungPerson
    opportunity_type: str = "apprenticeship"
    referral_id: uuid.UUID = field(default_factory=uuid.uuid4)
    opportunity_id: uuid.UUID = field(default_factory=uuid.uuid4)
    employer_id: uuid.UUID = field(default_factory=uuid.uuid4)
    version: int = 0
    status: str | None = None

    def _event(self, event_type: EventType, status: str, at: dt.datetime) -> EventEnvelope:
        self.version += 1
        previous, self.status = self.status, status
        return make_event(
            event_type, producer="opportunities", aggregate_id=str(self.referral_id),
            aggregate_version=self.version,
            payload=ReferralV1(
                referral_id=self.referral_id, profile_id=self.person.profile_id,
                opportunity_id=self.opportunity_id, employer_id=self.employer_id,
                opportunity_type=self.opportunity_type,  # type: ignore[arg-type]
                adviser_id=self.person.adviser_id,
                status=status,  # type: ignore[arg-type]
                previous_status=previous,  # type: ignore[arg-type]
                changed_at=at,
            ),
            occurred_at=at,
        )

    def created(self, at: dt.datetime) -> EventEnvelope:
        return self._event(EventType.REFERRAL_CREATED, "referred", at)

    def moved(self, status: str, at: dt.datetime) -> EventEnvelope:
        return self._event(EventType.REFERRAL_STATUS_CHANGED, status, at)


def interest(person: YoungPerson, at: dt.datetime) -> EventEnvelope:
    interest_id = uuid.uuid4()
    return make_event(EventType.INTEREST_EXPRESSED, producer="opportunities", aggregate_id=str(interest_id),
                      aggregate_version=1,
                      payload=InterestV1(interest_id=interest_id, profile_id=person.profile_id,
                                         opportunity_id=uuid.uuid4(), expressed_at=at),
                      occurred_at=at)


def offer_flow(person: YoungPerson, *, referred: dt.datetime, offered: dt.datetime,
               accepted: dt.datetime | None = None, opportunity_type: str = "apprenticeship") -> list[EventEnvelope]:
    """A referral taken through interview to an offer (and a start when `accepted` is given)."""
    referral = Referral(person, opportunity_type=opportunity_type)
    events = [referral.created(referred), referral.moved("interviewing", referred + (offered - referred) / 2),
              referral.moved("offered", offered)]
    if accepted is not None:
        events.append(referral.moved("accepted", accepted))
    return events


def reissued(event: EventEnvelope) -> EventEnvelope:
    """The same change published again under a new event id (e.g. a producer retry after a crash)."""
    return event.model_copy(update={"event_id": uuid.uuid4()})


def encode(event: EventEnvelope) -> bytes:
    return json.dumps(event.model_dump(mode="json")).encode()


def publish(producer: KafkaProducer, events: Iterable[EventEnvelope]) -> None:
    """Send events to their contract topics keyed by aggregate id, in the order given."""
    futures = [
        producer.send(str(event.topic), key=event.aggregate_id.encode(), value=encode(event)) for event in events
    ]
    producer.flush(timeout=15)
    for future in futures:
        future.get(timeout=15)


def eventually(check: Callable[[], T], *, timeout: float = 30.0, interval: float = 0.2) -> T:
    """Retry `check` until it returns without AssertionError (and not None); re-raises the last failure."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
            if result is not None:
                return result
            raise AssertionError("check returned None")
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(interval)


def by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["profile_id"]: item for item in items}


COHORT_STATUSES = ["overdue"] * 5 + ["at_risk", "on_track", "met_late"] + ["met"] * 5


@dataclass
class Cohort:
    """Thirteen people with one adviser, read at `as_at` = base + 150 days: five met (offers after 10..50
    days, three started), one met late (130 days), five overdue (one of them SEND), one at risk, and one
    whose first clock ended when they found work and who is NEET again (on track in a second episode)."""

    adviser_id: str
    base: dt.datetime
    events: list[EventEnvelope]
    met: list[YoungPerson]
    met_late: YoungPerson
    overdue: list[YoungPerson]
    at_risk: YoungPerson
    restarted: YoungPerson

    @property
    def as_at(self) -> dt.datetime:
        return self.base + days(150)

    @property
    def people(self) -> list[YoungPerson]:
        return [*self.met, self.met_late, *self.overdue, self.at_risk, self.restarted]


def cohort(adviser_id: str, base: dt.datetime) -> Cohort:
    events: list[EventEnvelope] = []
    met = [YoungPerson(adviser_id, base) for _ in range(5)]
    start_types = ["apprenticeship", "kickstart", "job"]
    for index, person in enumerate(met):
        events.append(person.registered())
        offered = base + days(10 * (index + 1))
        accepted = offered + days(2) if index < 3 else None
        events += offer_flow(person, referred=base + days(5), offered=offered, accepted=accepted,
                             opportunity_type=start_types[index % 3])
    late = YoungPerson(adviser_id, base, priority_groups=["long_term_unemployed"])
    events += [late.registered(), *offer_flow(late, referred=base + days(100), offered=base + days(130))]
    overdue = [YoungPerson(adviser_id, base - days(i), priority_groups=["care_leaver", "young_carer"])
               for i in range(5)]
    for person in overdue:
        events.append(person.registered())
    events.append(overdue[0].special(send=True, ethnicity="Synthetic ethnicity"))
    unsuccessful = Referral(overdue[1])
    events += [unsuccessful.created(base + days(3)), unsuccessful.moved("unsuccessful", base + days(9))]
    at_risk = YoungPerson(adviser_id, base + days(40), priority_groups=["neet"])
    events.append(at_risk.registered())
    restarted = YoungPerson(adviser_id, base, priority_groups=["neet"])
    events += [restarted.registered(), restarted.becomes("employment", base + days(20)),
               restarted.becomes("neet", base + days(100))]
    return Cohort(adviser_id, base, events, met, late, overdue, at_risk, restarted)


def wait_for(fetch: Callable[[], T], predicate: Callable[[T], bool], *, timeout: float = 30.0) -> T:
    """Fetch until the predicate holds on what was fetched; fails with the last value seen."""
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if predicate(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s; last value: {value!r}"[:3000])
        time.sleep(0.2)
