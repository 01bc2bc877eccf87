"""Contract events about synthetic people, employers, opportunities and referrals, never real ones.

Snapshots of young people come from `infra.seed.synthetic`; the opportunity, employer and referral snapshots here
take keyword overrides the same way. The envelope builders choose the event type from the version (the first
version registers or publishes, later ones update) and take `at` as the time of the change. The classes at the
end keep the versions of one person, employer, opportunity or referral as a test moves them on.

Events about a person are built as producers write them (schema version 2): the person named by subject reference,
profile fields sealed under their data keys. The keys come from `KEYS`, an in-memory key ring standing in for the
profiles service (give a consumer under test `keys=KEYS`), unless a builder is handed the person's `keys` (e.g. a
person registered in a real profiles service: `keys_from`). Building profile.erased destroys the person's keys in
`KEYS`, as erasure does: events built for them before can no longer be opened."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from infra.seed.synthetic import HOME_DISTRICT, HOME_LATITUDE, HOME_LONGITUDE, birth_date_for_age, profile_snapshot
from services.messaging.contract import (
    PSEUDONYMISED,
    ActivityRecordV1,
    ActivitySpellV1,
    EmployerSnapshotV1,
    EventEnvelope,
    EventType,
    InterestV1,
    KeyPurpose,
    OpportunitySnapshotV1,
    OversightV1,
    PayloadModel,
    ProfileErasedV2,
    ProfileSnapshotV1,
    ProfileSpecialCategoryV1,
    RecordViewedV1,
    ReferralV1,
    SeptemberGuaranteeV1,
    SuggestedItemV1,
    SuggestionDismissedV1,
    SuggestionsServedV1,
    make_event,
)
from services.messaging.sealing import DataKey, InMemoryKeyRing, KeyRing, pseudonymise

PersonKeys = dict[KeyPurpose, DataKey]
# The subjects and data keys of every synthetic person the builders name, unless given theirs.
KEYS = InMemoryKeyRing()


def keys_from(ring: KeyRing, profile_id: uuid.UUID) -> PersonKeys:
    """A person's subject and keys as a key service gives them (e.g. a real profiles service's, through a key
    client allowed both purposes)."""
    subject = ring.subject_of(profile_id)
    assert subject is not None, f"no subject reference for profile {profile_id}"
    keys = {purpose: ring.fetch(purpose, [subject]).get(subject) for purpose in ("personal", "special")}
    assert all(keys.values()), f"the key service gave no keys for profile {profile_id}"
    return keys  # type: ignore[return-value]


def _about_person(event_type: EventType, payload: PayloadModel, *, profile_id: uuid.UUID, aggregate_id: str,
                  version: int, producer: str, at: dt.datetime | None, keys: PersonKeys | None) -> EventEnvelope:
    keys = keys or KEYS.issue(profile_id)
    sealed_with = PSEUDONYMISED[event_type].sealed
    aggregate, wire = pseudonymise(event_type, payload, subject=keys["personal"].subject, aggregate_id=aggregate_id,
                                   key=keys[sealed_with] if sealed_with else None)
    return make_event(event_type, producer=producer, aggregate_id=aggregate, aggregate_version=version, payload=wire,
                      occurred_at=at)


def days(n: float) -> dt.timedelta:
    return dt.timedelta(days=n)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def typical_start_date() -> dt.date:
    """When a synthetic opportunity starts unless told otherwise: forty days from today."""
    return dt.date.today() + days(40)


def opportunity_snapshot(**overrides: Any) -> OpportunitySnapshotV1:
    """A live warehouse apprenticeship in Stockport town centre, for ages 16-24, closing in twenty days."""
    values: dict[str, Any] = {
        "opportunity_id": uuid.uuid4(),
        "employer_id": uuid.uuid4(),
        "type": "apprenticeship",
        "status": "live",
        "title": "Warehouse operative apprentice",
        "description": "Pick and pack orders, load vans and keep the stock room tidy in a busy distribution centre.",
        "skills": ["forklift driving", "stock control", "first aid"],
        "sector": "logistics",
        "level": 2,
        "postcode_district": HOME_DISTRICT,
        "latitude": HOME_LATITUDE,
        "longitude": HOME_LONGITUDE,
        "remote": False,
        "hours_per_week": 37.5,
        "wage_per_hour": 13.50,
        "duration_months": 12,
        "positions": 2,
        "positions_filled": 0,
        "start_date": typical_start_date(),
        "closing_date": dt.date.today() + days(20),
        "min_age": 16,
        "max_age": 24,
        "requires_universal_credit": False,
    }
    values.update(overrides)
    return OpportunitySnapshotV1(**values)


def employer_snapshot(**overrides: Any) -> EmployerSnapshotV1:
    """A Stockport bakery that is Disability Confident and a Living Wage employer."""
    values: dict[str, Any] = {
        "employer_id": uuid.uuid4(),
        "name": "Test Bakery Ltd",
        "sector": "retail",
        "postcode_district": HOME_DISTRICT,
        "disability_confident": True,
        "living_wage_employer": True,
        "good_employment_charter": False,
    }
    values.update(overrides)
    return EmployerSnapshotV1(**values)


def referral_snapshot(**overrides: Any) -> ReferralV1:
    """A new referral by adviser-1 of someone to an apprenticeship."""
    values: dict[str, Any] = {
        "referral_id": uuid.uuid4(),
        "profile_id": uuid.uuid4(),
        "opportunity_id": uuid.uuid4(),
        "employer_id": uuid.uuid4(),
        "opportunity_type": "apprenticeship",
        "adviser_id": "adviser-1",
        "status": "referred",
        "previous_status": None,
        "changed_at": _now(),
    }
    values.update(overrides)
    return ReferralV1(**values)


def profile_event(snapshot: ProfileSnapshotV1, version: int = 1, *, at: dt.datetime | None = None,
                  keys: PersonKeys | None = None) -> EventEnvelope:
    """profile.registered at version 1, profile.updated after."""
    kind = EventType.PROFILE_REGISTERED if version == 1 else EventType.PROFILE_UPDATED
    return _about_person(kind, snapshot, profile_id=snapshot.profile_id, aggregate_id=str(snapshot.profile_id),
                         version=version, producer="profiles", at=at, keys=keys)


def viewed_event(profile_id: uuid.UUID, viewer: str, at: dt.datetime, *, employer: str | None = None,
                 referral_id: uuid.UUID | None = None, keys: PersonKeys | None = None) -> EventEnvelope:
    """An adviser's read of the person's profile (profile.viewed), or with `employer` (its name) an employer's read
    of a referral of them (referral.viewed)."""
    view_id = uuid.uuid4()
    payload = RecordViewedV1(
        view_id=view_id, profile_id=profile_id, viewer_role="employer" if employer else "adviser", viewer=viewer,
        viewer_name=employer, record="referral" if employer else "profile",
        referral_id=(referral_id or uuid.uuid4()) if employer else None, viewed_at=at,
    )
    kind, producer = ((EventType.REFERRAL_VIEWED, "opportunities") if employer
                      else (EventType.PROFILE_VIEWED, "profiles"))
    return _about_person(kind, payload, profile_id=profile_id, aggregate_id=str(view_id), version=1,
                         producer=producer, at=at, keys=keys)


def profile_erased_event(profile_id: uuid.UUID, version: int, *, at: dt.datetime | None = None,
                         keys: PersonKeys | None = None) -> EventEnvelope:
    """profile.erased naming the person's subject; their keys in `KEYS` are destroyed, as erasure does."""
    at = at or _now()
    subject = (keys or KEYS.issue(profile_id))["personal"].subject
    KEYS.erase(profile_id)
    return make_event(EventType.PROFILE_ERASED, producer="profiles", aggregate_id=str(subject),
                      aggregate_version=version, payload=ProfileErasedV2(subject=subject, erased_at=at),
                      occurred_at=at)


def special_category_event(profile_id: uuid.UUID, version: int, *, send: bool, ethnicity: str | None = None,
                           at: dt.datetime | None = None, keys: PersonKeys | None = None) -> EventEnvelope:
    payload = ProfileSpecialCategoryV1(profile_id=profile_id, send=send, ethnicity=ethnicity)
    return _about_person(EventType.PROFILE_SPECIAL_CATEGORY_SET, payload, profile_id=profile_id,
                         aggregate_id=str(profile_id), version=version, producer="profiles", at=at, keys=keys)


def spell(code: int, started_on: dt.date, *confirmed_on: dt.date, ended_on: dt.date | None = None,
          source: str = "adviser") -> ActivitySpellV1:
    """One spell of an activity record, confirmed on the given days (none: only its start is known)."""
    return ActivitySpellV1(spell_id=uuid.uuid4(), code=code, started_on=started_on, ended_on=ended_on,
                           source=source, confirmed_on=list(confirmed_on),  # type: ignore[arg-type]
                           recorded_at=dt.datetime.combine(started_on, dt.time(9), dt.UTC))


def activity_event(profile_id: uuid.UUID, version: int, spells: list[ActivitySpellV1], *,
                   september: dict[int, tuple[str, dt.date]] | None = None, at: dt.datetime | None = None,
                   keys: PersonKeys | None = None) -> EventEnvelope:
    """profile.activity_recorded: the person's whole activity record at its `version`, with September Guarantee
    outcomes as {year: (outcome, recorded on)}."""
    at = at or _now()
    payload = ActivityRecordV1(
        profile_id=profile_id, spells=spells, recorded_at=at,
        september_guarantee=[SeptemberGuaranteeV1(year=year, outcome=outcome, recorded_on=recorded_on)  # type: ignore[arg-type]
                             for year, (outcome, recorded_on) in (september or {}).items()],
    )
    return _about_person(EventType.PROFILE_ACTIVITY_RECORDED, payload, profile_id=profile_id,
                         aggregate_id=str(profile_id), version=version, producer="profiles", at=at, keys=keys)


def employer_event(snapshot: EmployerSnapshotV1, version: int = 1, *, at: dt.datetime | None = None) -> EventEnvelope:
    """employer.registered at version 1, employer.updated after."""
    kind = EventType.EMPLOYER_REGISTERED if version == 1 else EventType.EMPLOYER_UPDATED
    return make_event(kind, producer="opportunities", aggregate_id=str(snapshot.employer_id),
                      aggregate_version=version, payload=snapshot, occurred_at=at)


def opportunity_event(snapshot: OpportunitySnapshotV1, version: int = 1, kind: EventType | None = None, *,
                      at: dt.datetime | None = None) -> EventEnvelope:
    """opportunity.published at version 1, opportunity.updated after, unless `kind` says (e.g. closed)."""
    kind = kind or (EventType.OPPORTUNITY_PUBLISHED if version == 1 else EventType.OPPORTUNITY_UPDATED)
    return make_event(kind, producer="opportunities", aggregate_id=str(snapshot.opportunity_id),
                      aggregate_version=version, payload=snapshot, occurred_at=at)


def referral_event(referral: ReferralV1, version: int = 1, *, at: dt.datetime | None = None,
                   keys: PersonKeys | None = None) -> EventEnvelope:
    """referral.created at version 1, referral.status_changed after."""
    kind = EventType.REFERRAL_CREATED if version == 1 else EventType.REFERRAL_STATUS_CHANGED
    return _about_person(kind, referral, profile_id=referral.profile_id, aggregate_id=str(referral.referral_id),
                         version=version, producer="opportunities", at=at, keys=keys)


def interest_event(profile_id: uuid.UUID, *, opportunity_id: uuid.UUID | None = None,
                   interest_id: uuid.UUID | None = None, at: dt.datetime | None = None,
                   keys: PersonKeys | None = None) -> EventEnvelope:
    """A young person's interest in an opportunity (a new one unless named)."""
    interest_id, at = interest_id or uuid.uuid4(), at or _now()
    payload = InterestV1(interest_id=interest_id, profile_id=profile_id,
                         opportunity_id=opportunity_id or uuid.uuid4(), expressed_at=at)
    return _about_person(EventType.INTEREST_EXPRESSED, payload, profile_id=profile_id, aggregate_id=str(interest_id),
                         version=1, producer="opportunities", at=at, keys=keys)


def dismissed_event(profile_id: uuid.UUID, opportunity_id: uuid.UUID, *, reason: str | None = "too_far",
                    adviser: str = "adviser-1", list_id: uuid.UUID | None = None, rank: int | None = None,
                    has_words: bool = False, at: dt.datetime | None = None,
                    keys: PersonKeys | None = None) -> EventEnvelope:
    """An adviser dismissed a suggestion for the person (suggestion.dismissed), with a reason."""
    dismissal_id, at = uuid.uuid4(), at or _now()
    oversight = OversightV1(list_id=list_id, rank=rank, top=5, within_top=rank is not None and rank <= 5,
                            reason=reason, has_words=has_words)  # type: ignore[arg-type]
    payload = SuggestionDismissedV1(dismissal_id=dismissal_id, profile_id=profile_id, opportunity_id=opportunity_id,
                                    adviser_id=adviser, oversight=oversight, dismissed_at=at)
    return _about_person(EventType.SUGGESTION_DISMISSED, payload, profile_id=profile_id,
                         aggregate_id=str(dismissal_id), version=1, producer="opportunities", at=at, keys=keys)


def served_event(profile_id: uuid.UUID, opportunity_ids: list[uuid.UUID], *, viewer: str | None = "adviser-1",
                 at: dt.datetime | None = None, keys: PersonKeys | None = None) -> EventEnvelope:
    """A suggestion list the matcher served about the person, to an adviser (`viewer`) or to the person (None)."""
    list_id, at = uuid.uuid4(), at or _now()
    payload = SuggestionsServedV1(
        list_id=list_id, profile_id=profile_id, viewer_role="adviser" if viewer else "young_person", viewer=viewer,
        k=10, served_at=at,
        items=[SuggestedItemV1(rank=rank, opportunity_id=opportunity_id, score=0.5, reasons=["skills"])
               for rank, opportunity_id in enumerate(opportunity_ids, start=1)],
    )
    return _about_person(EventType.SUGGESTIONS_SERVED, payload, profile_id=profile_id, aggregate_id=str(list_id),
                         version=1, producer="matching", at=at, keys=keys)


def reissued(event: EventEnvelope) -> EventEnvelope:
    """The same change published again under a new event id (e.g. a producer retry after a crash)."""
    return event.model_copy(update={"event_id": uuid.uuid4()})


@dataclass
class YoungPerson:
    """A synthetic young person, 19 when registered, whose profile events carry increasing versions. Their subject
    and keys are taken once (from `KEYS` unless given), so events built after their erasure name the same subject
    and cannot be opened."""

    adviser_id: str
    registered_at: dt.datetime
    priority_groups: list[str] = field(default_factory=lambda: ["care_leaver"])
    status: str = "neet"
    profile_id: uuid.UUID = field(default_factory=uuid.uuid4)
    version: int = 0
    keys: PersonKeys | None = None
    date_of_birth: dt.date | None = None
    activity_version: int = 0

    def __post_init__(self) -> None:
        self.keys = self.keys or KEYS.issue(self.profile_id)

    def snapshot(self) -> ProfileSnapshotV1:
        return profile_snapshot(
            profile_id=self.profile_id, status=self.status, priority_groups=self.priority_groups,
            date_of_birth=self.date_of_birth or birth_date_for_age(19, self.registered_at.date()),
            skills=["customer service"],
            qualifications=[], about="Synthetic test person.", preferred_types=["apprenticeship"],
            adviser_id=self.adviser_id, registered_at=self.registered_at,
        )

    def registered(self) -> EventEnvelope:
        self.version = 1
        return profile_event(self.snapshot(), 1, at=self.registered_at, keys=self.keys)

    def becomes(self, status: str, at: dt.datetime) -> EventEnvelope:
        self.version += 1
        self.status = status
        return profile_event(self.snapshot(), self.version, at=at, keys=self.keys)

    def transferred(self, adviser_id: str, at: dt.datetime) -> EventEnvelope:
        """A caseload transfer: the profile updated with another adviser."""
        self.version += 1
        self.adviser_id = adviser_id
        return profile_event(self.snapshot(), self.version, at=at, keys=self.keys)

    def activity(self, *spells: ActivitySpellV1, september: dict[int, tuple[str, dt.date]] | None = None,
                 at: dt.datetime | None = None) -> EventEnvelope:
        """The person's whole activity record, at the record's next version."""
        self.activity_version += 1
        return activity_event(self.profile_id, self.activity_version, list(spells), september=september,
                              at=at or self.registered_at, keys=self.keys)

    def special(self, *, send: bool, ethnicity: str | None = None, at: dt.datetime | None = None) -> EventEnvelope:
        return special_category_event(self.profile_id, max(self.version, 1), send=send, ethnicity=ethnicity,
                                      at=at or self.registered_at, keys=self.keys)

    def erased(self, at: dt.datetime) -> EventEnvelope:
        self.version += 1
        return profile_erased_event(self.profile_id, self.version, at=at, keys=self.keys)


@dataclass
class Employer:
    living_wage_employer: bool = True
    good_employment_charter: bool = False
    disability_confident: bool = True
    employer_id: uuid.UUID = field(default_factory=uuid.uuid4)
    version: int = 0

    def event(self, at: dt.datetime) -> EventEnvelope:
        self.version += 1
        snapshot = employer_snapshot(
            employer_id=self.employer_id, disability_confident=self.disability_confident,
            living_wage_employer=self.living_wage_employer, good_employment_charter=self.good_employment_charter,
        )
        return employer_event(snapshot, self.version, at=at)


@dataclass
class Opportunity:
    """A trainee baker's place with an employer, starting on the day it is published and closing 30 days later."""

    employer: Employer
    type: str = "apprenticeship"
    positions: int = 2
    positions_filled: int = 0
    status: str = "live"
    opportunity_id: uuid.UUID = field(default_factory=uuid.uuid4)
    version: int = 0

    def event(self, at: dt.datetime, event_type: EventType = EventType.OPPORTUNITY_PUBLISHED) -> EventEnvelope:
        self.version += 1
        snapshot = opportunity_snapshot(
            opportunity_id=self.opportunity_id, employer_id=self.employer.employer_id, type=self.type,
            status=self.status, title="Trainee baker", description="Learn to bake.", skills=["baking"],
            sector="retail", hours_per_week=30, positions=self.positions, positions_filled=self.positions_filled,
            start_date=at.date(), closing_date=(at + days(30)).date(),
            published_at=at if event_type is EventType.OPPORTUNITY_PUBLISHED else None,
        )
        return opportunity_event(snapshot, self.version, event_type, at=at)


@dataclass
class Referral:
    person: YoungPerson
    opportunity_type: str = "apprenticeship"
    referral_id: uuid.UUID = field(default_factory=uuid.uuid4)
    opportunity_id: uuid.UUID = field(default_factory=uuid.uuid4)
    employer_id: uuid.UUID = field(default_factory=uuid.uuid4)
    version: int = 0
    status: str | None = None

    def _event(self, status: str, at: dt.datetime) -> EventEnvelope:
        self.version += 1
        previous, self.status = self.status, status
        snapshot = referral_snapshot(
            referral_id=self.referral_id, profile_id=self.person.profile_id, opportunity_id=self.opportunity_id,
            employer_id=self.employer_id, opportunity_type=self.opportunity_type, adviser_id=self.person.adviser_id,
            status=status, previous_status=previous, changed_at=at,
        )
        return referral_event(snapshot, self.version, at=at, keys=self.person.keys)

    def created(self, at: dt.datetime) -> EventEnvelope:
        return self._event("referred", at)

    def moved(self, status: str, at: dt.datetime) -> EventEnvelope:
        return self._event(status, at)


def offer_flow(person: YoungPerson, *, referred: dt.datetime, offered: dt.datetime,
               accepted: dt.datetime | None = None, opportunity_type: str = "apprenticeship") -> list[EventEnvelope]:
    """A referral taken through interview to an offer (and a start when `accepted` is given)."""
    referral = Referral(person, opportunity_type=opportunity_type)
    events = [referral.created(referred), referral.moved("interviewing", referred + (offered - referred) / 2),
              referral.moved("offered", offered)]
    if accepted is not None:
        events.append(referral.moved("accepted", accepted))
    return events
