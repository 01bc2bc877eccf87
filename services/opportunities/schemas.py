from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StrictBool, StringConstraints

from services.common.postcodes import locate
from services.common.screening import ScreeningWarning
from services.common.types import InputModel, IsoDate, Postcode
from services.messaging.vocabulary import (
    OpportunityStatus,
    OpportunityType,
    OversightReason,
    ReferralStatus,
    Sector,
)

BrowseSort = Literal["relevance", "distance", "wage", "closing_date", "newest"]


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _located(postcode: str) -> str:
    if locate(postcode) is None:
        raise ValueError(f"postcode district of '{postcode}' is not one we can place on the map")
    return postcode


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, strict=True)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200, strict=True)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000, strict=True)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000, strict=True)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60, strict=True)]
Tags = Annotated[list[Tag], Field(max_length=30), AfterValidator(_unique)]
LocatedPostcode = Annotated[Postcode, AfterValidator(_located)]
Level = Annotated[int, Field(ge=1, le=8, strict=True)]
Age = Annotated[int, Field(ge=16, le=99, strict=True)]
Hours = Annotated[float, Field(gt=0, le=48)]
HourlyWage = Annotated[Decimal, Field(gt=0, le=1000, decimal_places=2)]
AnnualWage = Annotated[Decimal, Field(gt=0, le=1_000_000, decimal_places=2)]
Months = Annotated[int, Field(ge=1, le=72, strict=True)]
Positions = Annotated[int, Field(ge=1, le=1000, strict=True)]


# Employers


class EmployerCreate(InputModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    postcode: Postcode
    sector: Sector
    contact_email: EmailStr
    disability_confident: StrictBool = False
    living_wage_employer: StrictBool = False
    good_employment_charter: StrictBool = False


class EmployerUpdate(InputModel):
    """Partial update: only the fields sent change; none may be null."""

    model_config = ConfigDict(extra="forbid")

    name: Name = None  # type: ignore[assignment]
    postcode: Postcode = None  # type: ignore[assignment]
    sector: Sector = None  # type: ignore[assignment]
    contact_email: EmailStr = None  # type: ignore[assignment]
    disability_confident: StrictBool = None  # type: ignore[assignment]
    living_wage_employer: StrictBool = None  # type: ignore[assignment]
    good_employment_charter: StrictBool = None  # type: ignore[assignment]


class EmployerRead(BaseModel):
    id: uuid.UUID
    name: str
    postcode: str
    sector: Sector
    contact_email: str
    disability_confident: bool
    living_wage_employer: bool
    good_employment_charter: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class EmployerPage(BaseModel):
    items: list[EmployerRead]
    total: int
    limit: int
    offset: int


# Opportunities


class OpportunityCreate(InputModel):
    """A draft. Give the wage either per hour or per year (converted with hours_per_week x 52)."""

    model_config = ConfigDict(extra="forbid")

    employer_id: uuid.UUID
    type: OpportunityType
    title: Title
    description: LongText
    skills: Tags = []
    sector: Sector
    level: Level | None = None
    postcode: Postcode
    hours_per_week: Hours
    wage_per_hour: HourlyWage | None = None
    annual_wage: AnnualWage | None = None
    wage_after_first_year: HourlyWage | None = Field(
        None, description="an apprenticeship's pay per hour after its first year, when it rises"
    )
    duration_months: Months | None = None
    positions: Positions = 1
    start_date: IsoDate
    closing_date: IsoDate
    min_age: Age | None = None
    max_age: Age | None = None
    requires_universal_credit: StrictBool = False
    remote: StrictBool = False


class OpportunityUpdate(InputModel):
    """Partial update of a draft. Once live only closing_date may change (to a later day); while a live one is held
    back below the minimum wage, its pay may rise and its oldest age come down, to fix it."""

    model_config = ConfigDict(extra="forbid")

    type: OpportunityType = None  # type: ignore[assignment]
    title: Title = None  # type: ignore[assignment]
    description: LongText = None  # type: ignore[assignment]
    skills: Tags = None  # type: ignore[assignment]
    sector: Sector = None  # type: ignore[assignment]
    level: Level | None = None
    postcode: Postcode = None  # type: ignore[assignment]
    hours_per_week: Hours = None  # type: ignore[assignment]
    wage_per_hour: HourlyWage = None  # type: ignore[assignment]
    annual_wage: AnnualWage = None  # type: ignore[assignment]
    wage_after_first_year: HourlyWage | None = None
    duration_months: Months | None = None
    positions: Positions = None  # type: ignore[assignment]
    start_date: IsoDate = None  # type: ignore[assignment]
    closing_date: IsoDate = None  # type: ignore[assignment]
    min_age: Age | None = None
    max_age: Age | None = None
    requires_universal_credit: StrictBool = None  # type: ignore[assignment]
    remote: StrictBool = None  # type: ignore[assignment]


class CloseRequest(InputModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=300, strict=True)]


class PayRise(BaseModel):
    """The least an apprenticeship must pay from the start of its second year, when people it admits will be 19
    or over then (the apprentice rate covers them in their first year only)."""

    from_date: dt.date
    at_least: float


class OpportunityRead(BaseModel):
    id: uuid.UUID
    employer_id: uuid.UUID
    employer_name: str
    employer_disability_confident: bool
    employer_living_wage_employer: bool
    employer_good_employment_charter: bool
    type: OpportunityType
    status: OpportunityStatus
    title: str
    description: str
    skills: list[str]
    sector: Sector
    level: int | None
    postcode: str
    latitude: float
    longitude: float
    remote: bool
    hours_per_week: float
    wage_per_hour: float
    annual_wage: float | None
    wage_after_first_year: float | None = None
    pay_rise_after_first_year: PayRise | None = None
    duration_months: int | None
    positions: int
    positions_filled: int
    start_date: dt.date
    closing_date: dt.date
    min_age: int | None
    max_age: int | None
    requires_universal_credit: bool
    closed_reason: str | None
    held_back_reason: str | None = Field(
        None, description="why a live opportunity is held back from matching (a new minimum wage rate), and the fix"
    )
    held_back_at: dt.datetime | None = None
    published_at: dt.datetime | None
    closed_at: dt.datetime | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    distance_km: float | None = None


class OpportunityPage(BaseModel):
    items: list[OpportunityRead]
    total: int
    limit: int
    offset: int


class SearchInfo(BaseModel):
    """How a browse with search words was answered."""

    order: BrowseSort
    semantic: Literal["used", "unavailable", "off"] = Field(
        description="whether the matcher's meaning-based search was fused in (`unavailable`: words only, the "
        "matcher did not answer in time)"
    )


class WiderArea(BaseModel):
    """How many a search would find further away (radius_km null: anywhere)."""

    radius_km: float | None
    total: int


class BrowsePage(OpportunityPage):
    """A browse page; with search words, how it was searched, and when nothing is found, wider areas (each a step
    the user may choose) and related results (near in meaning, not matching the words), labelled as such."""

    search: SearchInfo | None = None
    wider_areas: list[WiderArea] = []
    related: list[OpportunityRead] = Field(
        default=[], description="when nothing is found: opportunities related in meaning, not matches for the words"
    )


class BrowseQuery(BaseModel):
    """Public browse filters; `near` is a postcode inside the shipped table."""

    q: str | None = None
    type: OpportunityType | None = None
    sector: Sector | None = None
    level: int | None = None
    near: str | None = None
    radius_km: float = 10.0
    sort: BrowseSort | None = None
    limit: int = 20
    offset: int = 0


# What the profiles service tells us


class ProfileFacts(BaseModel):
    """The eligibility facts of a young person, read from the profiles service."""

    model_config = ConfigDict(extra="ignore")

    id: uuid.UUID
    date_of_birth: dt.date
    on_universal_credit: bool
    adviser_id: str | None = None


class CandidateView(BaseModel):
    """What an employer may see of a referred person (the profiles service enforces consent)."""

    model_config = ConfigDict(extra="ignore")

    id: uuid.UUID
    consent_share_with_employers: bool
    given_name: str | None = None
    family_name: str | None = None
    skills: list[str] = []
    interests: list[str] = []
    qualifications: list[dict[str, str | None]] = []


class AdviserContact(BaseModel):
    """The referring adviser's name and work contact details, as the profiles service keeps them."""

    model_config = ConfigDict(extra="ignore")

    id: str
    name: str
    team: str
    email: str
    phone: str


class ReferredCandidate(BaseModel):
    """The referred person as their employer sees them: named by a pseudonym of this referral only (never their
    profile id, so two referrals cannot be linked by it), with names and skills only with consent."""

    pseudonym: str
    consent_share_with_employers: bool
    given_name: str | None = None
    family_name: str | None = None
    skills: list[str] = []
    interests: list[str] = []
    qualifications: list[dict[str, str]] = []


# Referrals


ReasonWords = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500, strict=True)]


class SuggestionChoice(InputModel):
    """Where a decision stands against the matcher's suggestions: the list (`list_id` from the match answer) and
    the rank it was shown at, or neither for an opportunity that was not suggested; and the adviser's reason for
    going against the suggestions, from the list and/or in words."""

    model_config = ConfigDict(extra="forbid")

    list_id: uuid.UUID | None = None
    rank: Annotated[int, Field(ge=1, le=100)] | None = None
    reason: OversightReason | None = None
    words: ReasonWords = ""


class ReferralCreate(InputModel):
    model_config = ConfigDict(extra="forbid")

    profile_id: uuid.UUID
    opportunity_id: uuid.UUID
    note: Note = ""
    suggestion: SuggestionChoice | None = Field(
        None, description="The suggestion list and rank the referral comes from (none: not from the suggestions), "
        "and, outside the top suggestions, the adviser's reason"
    )


class OversightRead(BaseModel):
    list_id: uuid.UUID | None
    rank: int | None
    reason: OversightReason | None
    words: str


class DismissalCreate(SuggestionChoice):
    """Dismiss one suggestion for a young person: a reason from the list, or words, or both."""

    opportunity_id: uuid.UUID


class DismissalRead(BaseModel):
    id: uuid.UUID
    profile_id: uuid.UUID
    opportunity_id: uuid.UUID
    opportunity_title: str
    employer_name: str
    adviser_id: str
    suggestion: OversightRead
    created_at: dt.datetime
    warnings: list[ScreeningWarning] = []


class DismissalPage(BaseModel):
    items: list[DismissalRead]
    total: int
    limit: int
    offset: int


class ReferralUpdate(InputModel):
    """Move a referral on; `feedback` (for the young person) is required when unsuccessful."""

    model_config = ConfigDict(extra="forbid")

    status: ReferralStatus
    feedback: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000, strict=True)] | None
    ) = None


class StatusChangeRead(BaseModel):
    from_status: ReferralStatus | None
    to_status: ReferralStatus
    changed_by_role: str
    changed_at: dt.datetime


class ReferralRead(BaseModel):
    """A referral; once the young person is erased it has no person (profile_id, note and feedback are null). An
    employer never gets the profile id (null): `candidate.pseudonym` names the person for this referral only."""

    id: uuid.UUID
    profile_id: uuid.UUID | None
    opportunity_id: uuid.UUID
    opportunity_title: str
    opportunity_type: OpportunityType
    employer_id: uuid.UUID
    employer_name: str
    adviser_id: str | None
    adviser: AdviserContact | None = Field(
        default=None, description="Who referred the person and how to reach them (None when the hub has no record)"
    )
    note: str | None
    status: ReferralStatus
    feedback: str | None
    feedback_by: Literal["adviser", "employer"] | None = Field(
        None, description="Who wrote the feedback: the adviser or the employer (null when there is none)"
    )
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    erased_at: dt.datetime | None = None
    history: list[StatusChangeRead]
    candidate: ReferredCandidate | None = None
    suggestion: OversightRead | None = Field(
        None, description="How the referral stands to the suggestions, with the adviser's reason (advisers only)"
    )
    warnings: list[ScreeningWarning] = Field(
        default=[],
        description="Note or feedback held back as special category data (rule `special_category`); employers "
        "get only the warnings about what they wrote themselves, never the text",
    )


class ReferralPage(BaseModel):
    items: list[ReferralRead]
    total: int
    limit: int
    offset: int


# Interests


class InterestCreate(InputModel):
    model_config = ConfigDict(extra="forbid")

    message: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500, strict=True)] = ""


class InterestRead(BaseModel):
    id: uuid.UUID
    profile_id: uuid.UUID
    opportunity_id: uuid.UUID
    opportunity_title: str
    opportunity_type: OpportunityType
    employer_name: str
    adviser_id: str | None
    message: str
    referral_id: uuid.UUID | None
    created_at: dt.datetime
    warnings: list[ScreeningWarning] = Field(
        default=[], description="The message held back as special category data (rule `special_category`)"
    )


class InterestPage(BaseModel):
    items: list[InterestRead]
    total: int
    limit: int
    offset: int
