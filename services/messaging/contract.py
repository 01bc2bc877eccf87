"""The event contract shared by every service: topics, event types, the envelope and versioned payloads."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.messaging.vocabulary import (
    ActivitySource,
    OpportunityStatus,
    OpportunityType,
    OversightReason,
    ProfileStatus,
    ReferralStatus,
    SeptemberGuaranteeOutcome,
    SharedPriorityGroup,
    SuggestionReason,
)


class Topic(StrEnum):
    PROFILES = "yg.profiles"
    # Special category data (SEND/disability, ethnicity): only the events service (audit, guarantee
    # figures per priority group) subscribes; never the matcher, never anything employers read.
    PROFILES_RESTRICTED = "yg.profiles.restricted"
    EMPLOYERS = "yg.employers"
    OPPORTUNITIES = "yg.opportunities"
    REFERRALS = "yg.referrals"
    # The matcher's record of every suggestion list it served, for the audit log (only the events service reads it).
    SUGGESTIONS = "yg.suggestions"


ALL_TOPICS: tuple[Topic, ...] = tuple(Topic)


def dead_letter_topic(topic: str) -> str:
    return f"{topic}.dlt"


class EventType(StrEnum):
    PROFILE_REGISTERED = "profile.registered"
    PROFILE_UPDATED = "profile.updated"
    PROFILE_ERASED = "profile.erased"
    PROFILE_SPECIAL_CATEGORY_SET = "profile.special_category_set"
    # The whole activity record (NCCIS spells and September Guarantee offers) after any change to it.
    PROFILE_ACTIVITY_RECORDED = "profile.activity_recorded"
    EMPLOYER_REGISTERED = "employer.registered"
    EMPLOYER_UPDATED = "employer.updated"
    OPPORTUNITY_PUBLISHED = "opportunity.published"
    OPPORTUNITY_UPDATED = "opportunity.updated"
    OPPORTUNITY_CLOSED = "opportunity.closed"
    # A live opportunity found below the minimum wage (a new rate in the dated table): held back from matching
    # until its employer fixes it; the fix is an opportunity.updated with no reason held back.
    OPPORTUNITY_HELD_BACK = "opportunity.held_back"
    REFERRAL_CREATED = "referral.created"
    REFERRAL_STATUS_CHANGED = "referral.status_changed"
    INTEREST_EXPRESSED = "interest.expressed"
    # Reads of a young person's record, for the audit log and for the person to see who has looked: an adviser
    # reading their profile, an employer reading a referral of them.
    PROFILE_VIEWED = "profile.viewed"
    REFERRAL_VIEWED = "referral.viewed"
    # Human oversight: each suggestion list the matcher served (opportunities for a person, people for an
    # opportunity), and an adviser dismissing a suggestion for a person with a reason.
    SUGGESTIONS_SERVED = "suggestions.served"
    CANDIDATES_SERVED = "candidates.served"
    SUGGESTION_DISMISSED = "suggestion.dismissed"


TOPIC_OF: dict[EventType, Topic] = {
    EventType.PROFILE_REGISTERED: Topic.PROFILES,
    EventType.PROFILE_UPDATED: Topic.PROFILES,
    EventType.PROFILE_ERASED: Topic.PROFILES,
    EventType.PROFILE_SPECIAL_CATEGORY_SET: Topic.PROFILES_RESTRICTED,
    EventType.PROFILE_ACTIVITY_RECORDED: Topic.PROFILES_RESTRICTED,
    EventType.EMPLOYER_REGISTERED: Topic.EMPLOYERS,
    EventType.EMPLOYER_UPDATED: Topic.EMPLOYERS,
    EventType.OPPORTUNITY_PUBLISHED: Topic.OPPORTUNITIES,
    EventType.OPPORTUNITY_UPDATED: Topic.OPPORTUNITIES,
    EventType.OPPORTUNITY_CLOSED: Topic.OPPORTUNITIES,
    EventType.OPPORTUNITY_HELD_BACK: Topic.OPPORTUNITIES,
    EventType.REFERRAL_CREATED: Topic.REFERRALS,
    EventType.REFERRAL_STATUS_CHANGED: Topic.REFERRALS,
    EventType.INTEREST_EXPRESSED: Topic.REFERRALS,
    EventType.PROFILE_VIEWED: Topic.PROFILES,
    EventType.REFERRAL_VIEWED: Topic.REFERRALS,
    EventType.SUGGESTIONS_SERVED: Topic.SUGGESTIONS,
    EventType.CANDIDATES_SERVED: Topic.SUGGESTIONS,
    # With the referrals: the matcher's referral feed applies it (the opportunity leaves the person's suggestions).
    EventType.SUGGESTION_DISMISSED: Topic.REFERRALS,
}

class PayloadModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Qualification(PayloadModel):
    level: str
    subject: str
    type: str | None = None  # services.messaging.vocabulary.QualificationType, when the person named it


class DuplicateOverrideV1(PayloadModel):
    """An adviser registered someone who looked like people already registered (`similar_to`), saying why."""

    reason: str
    similar_to: list[uuid.UUID]
    by_adviser: str


class ProfileSnapshotV1(PayloadModel):
    """What other services may know of a young person: matchable fields and eligibility facts, no names,
    no contact details, no special category data."""

    profile_id: uuid.UUID
    status: ProfileStatus
    date_of_birth: dt.date
    postcode_district: str
    latitude: float | None
    longitude: float | None
    on_universal_credit: bool
    priority_groups: list[SharedPriorityGroup]
    skills: list[str]
    interests: list[str]
    qualifications: list[Qualification]
    about: str
    preferred_types: list[OpportunityType]
    max_travel_km: float
    available_from: dt.date | None
    consent_share_with_employers: bool
    adviser_id: str | None
    registered_at: dt.datetime
    # On profile.registered, and profile.updated when a changed email, phone or name looked like someone else's,
    # for the audit log.
    duplicate_override: DuplicateOverrideV1 | None = None


class ProfileErasedV1(PayloadModel):
    profile_id: uuid.UUID
    erased_at: dt.datetime


class ScreenedTextV1(PayloadModel):
    """Free text that screening found to say something of special category about the person (a whole `about`,
    or one skill or interest), held back from the plain profile."""

    field: str
    text: str
    categories: list[str]


class ProfileSpecialCategoryV1(PayloadModel):
    profile_id: uuid.UUID
    send: bool
    ethnicity: str | None
    screened_text: list[ScreenedTextV1] = []


class ActivitySpellV1(PayloadModel):
    """One spell of the activity record: an NCCIS code from `started_on` until `ended_on` (open while None)."""

    spell_id: uuid.UUID
    code: int
    started_on: dt.date
    ended_on: dt.date | None
    source: ActivitySource
    # Every date the activity was confirmed, oldest first (the first is the date it was recorded as confirmed), so
    # its currency can be worked out as at any past date.
    confirmed_on: list[dt.date]
    recorded_at: dt.datetime


class SeptemberGuaranteeV1(PayloadModel):
    """Whether a suitable offer of education or training was made by the end of September of `year` (the academic
    year starting then) to a young person leaving Year 11 or Year 12."""

    year: int
    outcome: SeptemberGuaranteeOutcome
    recorded_on: dt.date


class ActivityRecordV1(PayloadModel):
    """profile.activity_recorded: a young person's whole activity record after a change. Some codes say something
    about health or religion (SPECIAL_CATEGORY_ACTIVITY_CODES), so it travels on the restricted topic, sealed under
    the special category key: only the events service reads it. Its version is the record's own
    (`aggregate_version` counts changes to the activity record, not to the profile)."""

    profile_id: uuid.UUID
    spells: list[ActivitySpellV1]
    september_guarantee: list[SeptemberGuaranteeV1] = []
    recorded_at: dt.datetime


class EmployerSnapshotV1(PayloadModel):
    employer_id: uuid.UUID
    name: str
    sector: str
    postcode_district: str
    disability_confident: bool
    living_wage_employer: bool
    good_employment_charter: bool


class OpportunitySnapshotV1(PayloadModel):
    opportunity_id: uuid.UUID
    employer_id: uuid.UUID
    type: OpportunityType
    status: OpportunityStatus
    title: str
    description: str
    skills: list[str]
    sector: str
    level: int | None
    postcode_district: str
    latitude: float
    longitude: float
    remote: bool
    hours_per_week: float
    wage_per_hour: float
    duration_months: int | None
    positions: int
    positions_filled: int
    start_date: dt.date
    closing_date: dt.date
    min_age: int | None
    max_age: int | None
    requires_universal_credit: bool
    closed_reason: str | None = None
    published_at: dt.datetime | None = None
    # An apprenticeship's pay after its first year, when it rises (else wage_per_hour throughout).
    wage_after_first_year: float | None = None
    # Why a live opportunity is held back from matching (None: it is not).
    held_back_reason: str | None = None


class OversightV1(PayloadModel):
    """How an adviser's decision stands to the matcher's suggestions: the list and rank it came from (None: not
    suggested), whether that was among the top suggestions, and the reason given as a code. Words the adviser gave
    stay with the decision in the opportunities service, like a referral's note (free text about a person travels
    on no topic): `has_words` says there are some."""

    list_id: uuid.UUID | None
    rank: int | None
    top: int = Field(description="the top suggestions were ranks 1 to this")
    within_top: bool
    reason: OversightReason | None
    has_words: bool


class ReferralV1(PayloadModel):
    referral_id: uuid.UUID
    profile_id: uuid.UUID
    opportunity_id: uuid.UUID
    employer_id: uuid.UUID
    opportunity_type: OpportunityType
    adviser_id: str | None
    status: ReferralStatus
    previous_status: ReferralStatus | None
    changed_at: dt.datetime
    # On referral.created: how the referral stands to the suggestions.
    oversight: OversightV1 | None = None


class InterestV1(PayloadModel):
    """A young person said they are interested in an opportunity: a referral request for their adviser."""

    interest_id: uuid.UUID
    profile_id: uuid.UUID
    opportunity_id: uuid.UUID
    expressed_at: dt.datetime


class RecordViewedV1(PayloadModel):
    """Who read a young person's record, and when: an adviser (by adviser id) their profile, or an employer (by
    employer id and name) a referral of them (to which opportunity). Nothing of the record itself, so nothing of
    special category."""

    view_id: uuid.UUID
    profile_id: uuid.UUID
    viewer_role: Literal["adviser", "employer"]
    viewer: str
    viewer_name: str | None = None
    record: Literal["profile", "referral"]
    referral_id: uuid.UUID | None = None
    opportunity_title: str | None = None
    viewed_at: dt.datetime


class SuggestedItemV1(PayloadModel):
    rank: int = Field(ge=1)
    opportunity_id: uuid.UUID
    score: float
    reasons: list[SuggestionReason]
    beyond_travel: bool = False


class SuggestionsServedV1(PayloadModel):
    """A list of opportunities the matcher suggested for a young person, as shown (rank, score, what the reasons
    spoke of), to an adviser (`viewer`: their id) or to the young person themself (`viewer` None)."""

    list_id: uuid.UUID
    profile_id: uuid.UUID
    viewer_role: Literal["adviser", "young_person"]
    viewer: str | None
    k: int
    items: list[SuggestedItemV1]
    served_at: dt.datetime


class CandidateItemV1(PayloadModel):
    rank: int = Field(ge=1)
    subject: uuid.UUID = Field(description="the person's subject reference, never their profile id")
    score: float
    reasons: list[SuggestionReason]


class CandidatesServedV1(PayloadModel):
    """A list of young people the matcher suggested to an adviser for an opportunity, each by subject reference."""

    list_id: uuid.UUID
    opportunity_id: uuid.UUID
    viewer: str
    k: int
    items: list[CandidateItemV1]
    served_at: dt.datetime


class SuggestionDismissedV1(PayloadModel):
    """An adviser dismissed a suggestion for a young person: it is not suggested to them again."""

    dismissal_id: uuid.UUID
    profile_id: uuid.UUID
    opportunity_id: uuid.UUID
    adviser_id: str
    oversight: OversightV1
    dismissed_at: dt.datetime


# Version 2: nothing on a topic names a young person in clear. Events about a person carry a pseudonymous `subject`
# reference (random, held by the profiles service with the person's data keys) instead of the profile id; profile
# events also use it as their aggregate id (and so as the record key); their fields travel `sealed` with AES-256-GCM
# under the person's data key. Erasure destroys the keys and the subject's link to the profile: every copy of the
# events, the broker's included, is then unreadable and cannot be linked to anyone. services/messaging/sealing.py
# seals and opens them; consumers see the version 1 form (the clear view) after opening.

KeyPurpose = Literal["personal", "special"]
KEY_PURPOSES: tuple[KeyPurpose, ...] = ("personal", "special")


class Sealed(PayloadModel):
    """Fields encrypted with AES-256-GCM under one person's data key for `key` (special category data has its own
    key, which only the events service may fetch); the associated data binds them to the event's type, aggregate
    and subject."""

    alg: Literal["A256GCM"] = "A256GCM"
    key: KeyPurpose
    nonce: str = Field(min_length=16, max_length=16, description="96-bit nonce, base64url")
    ciphertext: str = Field(min_length=22, description="the fields as JSON, encrypted, with the tag; base64url")


class ProfileSnapshotV2(PayloadModel):
    """profile.registered / profile.updated: ProfileSnapshotV1's fields sealed under the personal key."""

    subject: uuid.UUID
    sealed: Sealed


class ProfileErasedV2(PayloadModel):
    """The person behind `subject` was erased: their keys are gone; drop what you hold of them and your keys."""

    subject: uuid.UUID
    erased_at: dt.datetime


class ProfileSpecialCategoryV2(PayloadModel):
    """profile.special_category_set: ProfileSpecialCategoryV1's fields sealed under the special category key."""

    subject: uuid.UUID
    sealed: Sealed


class ActivityRecordV2(PayloadModel):
    """profile.activity_recorded: ActivityRecordV1's fields sealed under the special category key."""

    subject: uuid.UUID
    sealed: Sealed


class ReferralV2(PayloadModel):
    """ReferralV1 with the person named by their subject reference, not their profile id."""

    referral_id: uuid.UUID
    subject: uuid.UUID
    opportunity_id: uuid.UUID
    employer_id: uuid.UUID
    opportunity_type: OpportunityType
    adviser_id: str | None
    status: ReferralStatus
    previous_status: ReferralStatus | None
    changed_at: dt.datetime
    oversight: OversightV1 | None = None


class InterestV2(PayloadModel):
    """InterestV1 with the person named by their subject reference, not their profile id."""

    interest_id: uuid.UUID
    subject: uuid.UUID
    opportunity_id: uuid.UUID
    expressed_at: dt.datetime


class RecordViewedV2(PayloadModel):
    """RecordViewedV1 with the person named by their subject reference, not their profile id."""

    view_id: uuid.UUID
    subject: uuid.UUID
    viewer_role: Literal["adviser", "employer"]
    viewer: str
    viewer_name: str | None = None
    record: Literal["profile", "referral"]
    referral_id: uuid.UUID | None = None
    opportunity_title: str | None = None
    viewed_at: dt.datetime


class SuggestionsServedV2(PayloadModel):
    """SuggestionsServedV1 with the person named by their subject reference, not their profile id."""

    list_id: uuid.UUID
    subject: uuid.UUID
    viewer_role: Literal["adviser", "young_person"]
    viewer: str | None
    k: int
    items: list[SuggestedItemV1]
    served_at: dt.datetime


class SuggestionDismissedV2(PayloadModel):
    """SuggestionDismissedV1 with the person named by their subject reference, not their profile id."""

    dismissal_id: uuid.UUID
    subject: uuid.UUID
    opportunity_id: uuid.UUID
    adviser_id: str
    oversight: OversightV1
    dismissed_at: dt.datetime


@dataclass(frozen=True)
class Pseudonymised:
    """How a version 2 payload about a person relates to its clear (version 1) form: `sealed` is the key its sealed
    fields use (None: nothing sealed, the person is only named by subject); `person_is_aggregate` when the event's
    aggregate is the person, so the wire carries the subject as aggregate id and the clear view the profile id."""

    clear: type[PayloadModel]
    wire: type[PayloadModel]
    sealed: KeyPurpose | None
    person_is_aggregate: bool


PSEUDONYMISED: dict[EventType, Pseudonymised] = {
    EventType.PROFILE_REGISTERED: Pseudonymised(ProfileSnapshotV1, ProfileSnapshotV2, "personal", True),
    EventType.PROFILE_UPDATED: Pseudonymised(ProfileSnapshotV1, ProfileSnapshotV2, "personal", True),
    EventType.PROFILE_SPECIAL_CATEGORY_SET: Pseudonymised(
        ProfileSpecialCategoryV1, ProfileSpecialCategoryV2, "special", True
    ),
    EventType.PROFILE_ACTIVITY_RECORDED: Pseudonymised(ActivityRecordV1, ActivityRecordV2, "special", True),
    EventType.PROFILE_ERASED: Pseudonymised(ProfileErasedV1, ProfileErasedV2, None, True),
    EventType.REFERRAL_CREATED: Pseudonymised(ReferralV1, ReferralV2, None, False),
    EventType.REFERRAL_STATUS_CHANGED: Pseudonymised(ReferralV1, ReferralV2, None, False),
    EventType.INTEREST_EXPRESSED: Pseudonymised(InterestV1, InterestV2, None, False),
    EventType.PROFILE_VIEWED: Pseudonymised(RecordViewedV1, RecordViewedV2, None, False),
    EventType.REFERRAL_VIEWED: Pseudonymised(RecordViewedV1, RecordViewedV2, None, False),
    EventType.SUGGESTIONS_SERVED: Pseudonymised(SuggestionsServedV1, SuggestionsServedV2, None, False),
    EventType.SUGGESTION_DISMISSED: Pseudonymised(SuggestionDismissedV1, SuggestionDismissedV2, None, False),
}
PSEUDONYMISED_VERSION = 2
CLEAR_VERSION = 1

PAYLOAD_MODELS: dict[tuple[str, int], type[PayloadModel]] = {
    (EventType.PROFILE_REGISTERED, 1): ProfileSnapshotV1,
    (EventType.PROFILE_UPDATED, 1): ProfileSnapshotV1,
    (EventType.PROFILE_ERASED, 1): ProfileErasedV1,
    (EventType.PROFILE_SPECIAL_CATEGORY_SET, 1): ProfileSpecialCategoryV1,
    (EventType.PROFILE_ACTIVITY_RECORDED, 1): ActivityRecordV1,
    (EventType.EMPLOYER_REGISTERED, 1): EmployerSnapshotV1,
    (EventType.EMPLOYER_UPDATED, 1): EmployerSnapshotV1,
    (EventType.OPPORTUNITY_PUBLISHED, 1): OpportunitySnapshotV1,
    (EventType.OPPORTUNITY_UPDATED, 1): OpportunitySnapshotV1,
    (EventType.OPPORTUNITY_CLOSED, 1): OpportunitySnapshotV1,
    (EventType.OPPORTUNITY_HELD_BACK, 1): OpportunitySnapshotV1,
    (EventType.REFERRAL_CREATED, 1): ReferralV1,
    (EventType.REFERRAL_STATUS_CHANGED, 1): ReferralV1,
    (EventType.INTEREST_EXPRESSED, 1): InterestV1,
    (EventType.PROFILE_VIEWED, 1): RecordViewedV1,
    (EventType.REFERRAL_VIEWED, 1): RecordViewedV1,
    (EventType.SUGGESTIONS_SERVED, 1): SuggestionsServedV1,
    (EventType.CANDIDATES_SERVED, 1): CandidatesServedV1,
    (EventType.SUGGESTION_DISMISSED, 1): SuggestionDismissedV1,
    **{(event_type, PSEUDONYMISED_VERSION): rule.wire for event_type, rule in PSEUDONYMISED.items()},
}

CURRENT_SCHEMA_VERSION = 1
# What producers write: version 2 for events about a person, version 1 for the rest.
PRODUCED_VERSION: dict[EventType, int] = {
    event_type: PSEUDONYMISED_VERSION if event_type in PSEUDONYMISED else CURRENT_SCHEMA_VERSION
    for event_type in EventType
}


class EventEnvelope(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    event_type: EventType
    schema_version: int = CURRENT_SCHEMA_VERSION
    occurred_at: dt.datetime = Field(default_factory=lambda: dt.datetime.now(dt.UTC))
    producer: str
    aggregate_id: str
    aggregate_version: int = Field(ge=1)
    payload: dict[str, Any]

    @property
    def topic(self) -> Topic:
        return TOPIC_OF[self.event_type]

    def typed_payload(self) -> Any:
        """The payload validated against its versioned model."""
        model = PAYLOAD_MODELS[(self.event_type, self.schema_version)]
        return model.model_validate(self.payload)


class InvalidEvent(ValueError):
    """A record that is not a valid event of the contract."""


def make_event(
    event_type: EventType,
    *,
    producer: str,
    aggregate_id: str,
    aggregate_version: int,
    payload: PayloadModel,
    occurred_at: dt.datetime | None = None,
) -> EventEnvelope:
    """An envelope around a typed payload, checked against the contract; `occurred_at` from the caller's clock.
    Events about a person take their version 2 (pseudonymised) payload: seal them with services.messaging.sealing."""
    version = PRODUCED_VERSION[event_type]
    expected = PAYLOAD_MODELS[(event_type, version)]
    if not isinstance(payload, expected):
        raise TypeError(f"{event_type} takes {expected.__name__}, got {type(payload).__name__}")
    return EventEnvelope(
        event_type=event_type,
        schema_version=version,
        producer=producer,
        aggregate_id=aggregate_id,
        aggregate_version=aggregate_version,
        payload=payload.model_dump(mode="json"),
        occurred_at=occurred_at or dt.datetime.now(dt.UTC),
    )


def parse_event(raw: bytes | str | None) -> EventEnvelope:
    """Parse and validate a record's value; raises InvalidEvent with the reason."""
    if raw is None:
        raise InvalidEvent("empty record value")
    try:
        envelope = EventEnvelope.model_validate_json(raw)
        if (envelope.event_type, envelope.schema_version) not in PAYLOAD_MODELS:
            raise InvalidEvent(f"unknown schema_version {envelope.schema_version} for {envelope.event_type}")
        envelope.typed_payload()
        return envelope
    except ValidationError as exc:
        raise InvalidEvent(str(exc)[:1000]) from exc
