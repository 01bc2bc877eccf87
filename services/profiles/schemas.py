from __future__ import annotations

import datetime as dt
import uuid
from contextvars import ContextVar
from typing import Annotated, NotRequired

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    SerializerFunctionWrapHandler,
    StrictBool,
    StringConstraints,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError
from typing_extensions import TypedDict

from services.common.eligibility import age_on
from services.common.school_years import SeptemberCohort
from services.common.screening import ScreeningWarning
from services.common.types import InputModel, IsoDate, Moment, Postcode
from services.messaging.vocabulary import (
    ACTIVITY_CODES,
    QUALIFICATION_TYPE_LEVELS,
    QUALIFICATION_TYPE_NAMES,
    ActionCategory,
    ActionStatus,
    ActivityGroup,
    ActivitySource,
    AppointmentMode,
    AppointmentOutcome,
    ContactMethod,
    ContactOutcome,
    OpportunityType,
    PriorityGroup,
    ProfileStatus,
    QualificationLevel,
    QualificationType,
    SeptemberGuaranteeOutcome,
)


def _filled(what: str) -> AfterValidator:
    def check(value: str) -> str:
        if not value:
            raise PydanticCustomError("required", "Enter {what}", {"what": what})
        return value

    return AfterValidator(check)


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, strict=True)]
NameText = StringConstraints(strip_whitespace=True, max_length=100, strict=True)
GivenName = Annotated[str, NameText, _filled("a first name")]
FamilyName = Annotated[str, NameText, _filled("a last name")]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60, strict=True)]
# At most 20 characters: the column's width.
Phone = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=20, pattern=r"^\+?[0-9][0-9 ()-]{6,19}$", strict=True)
]
About = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000, strict=True)]
Ethnicity = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, strict=True)]
TravelKm = Annotated[float, Field(gt=0, le=200)]
DuplicateReason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500, strict=True)]


def _unique(values: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        seen.setdefault(value, None)
    return list(seen)


class QualificationRead(TypedDict):
    """A qualification as answers show it: `type` only when it was chosen by name."""

    type: NotRequired[QualificationType]
    level: QualificationLevel
    subject: str


class Qualification(InputModel):
    """A qualification by the name people use (`type`, e.g. `gcse_4_9`: its level follows) or by its level."""

    model_config = ConfigDict(extra="forbid")

    type: QualificationType | None = None
    level: QualificationLevel | None = None
    subject: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, strict=True)]

    @model_validator(mode="after")
    def _level_of_type(self) -> Qualification:
        if self.type is None:
            if self.level is None:
                raise PydanticCustomError(
                    "qualification_unnamed", "Choose the qualification (like GCSE grade 4 to 9) or give its level"
                )
            return self
        level = QUALIFICATION_TYPE_LEVELS[self.type]
        if self.level is not None and self.level != level:
            raise PydanticCustomError(
                "qualification_level_mismatch",
                "{name} is level {level}, not level {given}: leave the level out",
                {"name": QUALIFICATION_TYPE_NAMES[self.type], "level": level, "given": self.level},
            )
        self.level = level
        return self

    @model_serializer(mode="wrap")
    def _without_unnamed_type(self, handler: SerializerFunctionWrapHandler) -> QualificationRead:
        data: QualificationRead = handler(self)
        if data.get("type") is None:
            data.pop("type", None)
        return data


class AgeWindow(BaseModel):
    """Who may register, given as validation context: ages from `youngest` to `oldest` on `today`."""

    today: dt.date
    youngest: int
    oldest: int


# The age window of the registration being validated: the profiles service sets it for its POST /profiles and its
# PATCH /profiles/{id} (see dependencies.registering and editing), so the age rule is checked with every other field
# and all problems come back together.
REGISTERING: ContextVar[AgeWindow | None] = ContextVar("registering", default=None)


def age_problem(date_of_birth: dt.date, window: AgeWindow) -> PydanticCustomError | None:
    """Why a date of birth cannot be registered on `window.today`, in words; None when it can."""
    if date_of_birth > window.today:
        return PydanticCustomError("date_in_future", "Date of birth must be in the past")
    age = age_on(date_of_birth, window.today)
    if not window.youngest <= age <= window.oldest:
        return PydanticCustomError(
            "age_out_of_range",
            "The Youth Guarantee is for ages {youngest} to {oldest} on the day they register: this date of birth "
            "makes them {age}",
            {"youngest": window.youngest, "oldest": window.oldest, "age": age},
        )
    return None


def _within_the_age_window(value: dt.date) -> dt.date:
    window = REGISTERING.get()
    if window is not None and (problem := age_problem(value, window)) is not None:
        raise problem
    return value


Tags = Annotated[list[Tag], Field(max_length=30), AfterValidator(_unique)]
BirthDate = Annotated[IsoDate, AfterValidator(_within_the_age_window)]


class ProfileCreate(InputModel):
    model_config = ConfigDict(extra="forbid")

    given_name: GivenName
    family_name: FamilyName
    date_of_birth: BirthDate
    postcode: Postcode
    email: EmailStr | None = None
    phone: Phone | None = None
    status: ProfileStatus
    on_universal_credit: StrictBool = False
    priority_groups: Annotated[list[PriorityGroup], AfterValidator(_unique)] = []
    skills: Tags = []
    interests: Tags = []
    qualifications: Annotated[list[Qualification], Field(max_length=20)] = []
    about: About = ""
    preferred_types: Annotated[list[OpportunityType], AfterValidator(_unique)] = []
    max_travel_km: TravelKm = 10.0
    available_from: IsoDate | None = None
    consent_share_with_employers: StrictBool = False
    ethnicity: Ethnicity | None = None
    duplicate_reason: DuplicateReason | None = Field(
        default=None,
        description="An adviser registering someone who looks like a person already registered (same date of birth "
        "and name, or the same email or phone) says why, e.g. twins; kept in the audit log",
    )



class ProfileUpdate(InputModel):
    """Partial update: only the fields sent change. Fields that cannot be empty reject null."""

    model_config = ConfigDict(extra="forbid")

    given_name: Name = None  # type: ignore[assignment]
    family_name: Name = None  # type: ignore[assignment]
    date_of_birth: BirthDate = None  # type: ignore[assignment]
    postcode: Postcode = None  # type: ignore[assignment]
    email: EmailStr | None = None
    phone: Phone | None = None
    status: ProfileStatus = None  # type: ignore[assignment]
    on_universal_credit: StrictBool = None  # type: ignore[assignment]
    priority_groups: Annotated[list[PriorityGroup], AfterValidator(_unique)] = None  # type: ignore[assignment]
    skills: Tags = None  # type: ignore[assignment]
    interests: Tags = None  # type: ignore[assignment]
    qualifications: Annotated[list[Qualification], Field(max_length=20)] = None  # type: ignore[assignment]
    about: About = None  # type: ignore[assignment]
    preferred_types: Annotated[list[OpportunityType], AfterValidator(_unique)] = None  # type: ignore[assignment]
    max_travel_km: TravelKm = None  # type: ignore[assignment]
    available_from: IsoDate | None = None
    consent_share_with_employers: StrictBool = None  # type: ignore[assignment]
    ethnicity: Ethnicity | None = None
    adviser_id: Annotated[str, StringConstraints(min_length=1, max_length=64, strict=True)] | None = None
    duplicate_reason: DuplicateReason | None = Field(
        default=None,
        description="An adviser changing an email, phone or name to one that looks like another person's says why; "
        "kept in the audit log",
    )


class ProfileRead(BaseModel):
    id: uuid.UUID
    given_name: str
    family_name: str
    date_of_birth: dt.date
    age: int
    postcode: str
    email: str | None
    phone: str | None
    status: ProfileStatus
    on_universal_credit: bool
    priority_groups: list[PriorityGroup]
    skills: list[str]
    interests: list[str]
    qualifications: list[Qualification]
    about: str
    preferred_types: list[OpportunityType]
    max_travel_km: float
    available_from: dt.date | None
    consent_share_with_employers: bool
    ethnicity: str | None
    adviser_id: str | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    warnings: list[ScreeningWarning] = Field(
        default=[],
        description="Free text held back as special category data (rule `special_category`): shown here to the "
        "young person and advisers, kept out of the profile's events, the matcher and employers' views",
    )


class ProfilePage(BaseModel):
    items: list[ProfileRead]
    total: int
    limit: int
    offset: int


class ContactDetails(BaseModel):
    """How to write to a young person: for the notifications service, nothing else of the profile."""

    id: uuid.UUID
    given_name: str
    email: str | None
    date_of_birth: dt.date
    adviser_id: str | None


class EligibilityFacts(BaseModel):
    """What a service needs to check an opportunity's rules for a person (age, Universal Credit) and whose
    caseload they are on: nothing more of the profile."""

    id: uuid.UUID
    date_of_birth: dt.date
    on_universal_credit: bool
    adviser_id: str | None


class EmployerView(BaseModel):
    """What an employer may see of a referred young person, and only with consent; never special category."""

    id: uuid.UUID
    consent_share_with_employers: bool
    given_name: str | None
    family_name: str | None
    skills: list[str]
    interests: list[str]
    qualifications: list[Qualification]


WorkEmail = Annotated[EmailStr, StringConstraints(max_length=254)]


class AdviserWrite(InputModel):
    """An adviser of the Youth Employment hub: work contact details that employers and young people may see."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    team: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, strict=True)]
    email: WorkEmail
    phone: Phone


class AdviserRead(AdviserWrite):
    id: str


class AdviserPage(BaseModel):
    items: list[AdviserRead]
    total: int


class SimilarProfile(BaseModel):
    """A person already registered whom a new registration looks like, and why: for the adviser to check."""

    id: uuid.UUID
    given_name: str
    family_name: str
    date_of_birth: dt.date
    adviser_id: str | None
    adviser: AdviserRead | None
    same: list[str] = Field(description="What they share: `name_and_date_of_birth`, `email`, `phone`")



def _known_code(code: int) -> int:
    if code not in ACTIVITY_CODES:
        raise PydanticCustomError("activity_code", "Choose an NCCIS activity code the hub records: {codes}",
                                  {"codes": ", ".join(str(c) for c in ACTIVITY_CODES)})
    return code


ActivityCode = Annotated[int, Field(strict=True), AfterValidator(_known_code)]


class ActivityCreate(InputModel):
    """What the person is doing from `started_on`, who said so, and when it was last confirmed (today if not given)."""

    model_config = ConfigDict(extra="forbid")

    code: ActivityCode
    started_on: IsoDate
    source: ActivitySource
    confirmed_on: IsoDate | None = None


class ActivityConfirm(InputModel):
    model_config = ConfigDict(extra="forbid")

    confirmed_on: IsoDate | None = None


class ActivityRead(BaseModel):
    id: uuid.UUID
    code: int
    label: str
    group: ActivityGroup
    started_on: dt.date
    ended_on: dt.date | None
    source: str
    confirmed_on: dt.date
    confirmations: list[dt.date] = Field(description="Every day the activity was confirmed, oldest first")
    lapses_on: dt.date | None = Field(description="The day it turns not known unless confirmed before")
    recorded_by: str


class ContactAttemptCreate(InputModel):
    model_config = ConfigDict(extra="forbid")

    method: ContactMethod
    outcome: ContactOutcome
    attempted_on: IsoDate


class ContactAttemptRead(BaseModel):
    id: uuid.UUID
    method: ContactMethod
    outcome: ContactOutcome
    attempted_on: dt.date
    recorded_by: str


class SeptemberGuaranteeWrite(InputModel):
    """Whether a suitable offer of education or training was made by the end of the year's September."""

    model_config = ConfigDict(extra="forbid")

    outcome: SeptemberGuaranteeOutcome


class SeptemberGuaranteeRead(BaseModel):
    year: int
    cohort: SeptemberCohort | None = Field(description="Leaving Year 11 or Year 12 that summer")
    outcome: SeptemberGuaranteeOutcome
    recorded_on: dt.date
    recorded_by: str


class ActivityRecord(BaseModel):
    """A person's activity history (newest first), what they are doing today, and the attempts to contact them."""

    profile_id: uuid.UUID
    current_code: int | None
    current_label: str | None
    current_group: ActivityGroup | None
    current_since: dt.date | None
    lapsed_from: int | None = Field(description="The code whose confirmation lapsed, when today's 810 is a lapse")
    spells: list[ActivityRead]
    contact_attempts: list[ContactAttemptRead]
    september_guarantee: list[SeptemberGuaranteeRead] = Field(description="Offers by the end of September, by year")


class TraceItem(BaseModel):
    profile_id: uuid.UUID
    given_name: str
    family_name: str
    adviser_id: str | None
    code: int
    label: str
    since: dt.date
    lapsed_from: int | None
    attempts: int
    failed_attempts: int
    last_attempt_on: dt.date | None


class TraceQueue(BaseModel):
    items: list[TraceItem]
    count: int


class LapsesApplied(BaseModel):
    lapsed: int = Field(description="People whose activity turned not known in this run")


# Adviser work: short free text an adviser writes about their work with a person (seen by advisers only).
ActionDescription = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500,
                                                     strict=True)]
AppointmentNotes = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300, strict=True)]
TransferReason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300, strict=True)]


class PlannedActionCreate(InputModel):
    model_config = ConfigDict(extra="forbid")

    category: ActionCategory
    description: ActionDescription
    due_on: IsoDate


class ActionDone(InputModel):
    model_config = ConfigDict(extra="forbid")

    done_on: IsoDate | None = Field(None, description="The day it was done; today if not given")


class PlannedActionRead(BaseModel):
    id: uuid.UUID
    profile_id: uuid.UUID
    category: ActionCategory
    description: str
    due_on: dt.date
    status: ActionStatus
    done_on: dt.date | None
    overdue: bool = Field(description="Open with its due day passed")
    created_by: str
    done_by: str | None
    warnings: list[ScreeningWarning] = Field(
        default_factory=list, description="Set when the description just saved seems to hold special category data")


class PlannedActionList(BaseModel):
    items: list[PlannedActionRead]
    count: int


class DueAction(PlannedActionRead):
    given_name: str
    family_name: str
    adviser_id: str | None


class DueActions(BaseModel):
    """Open actions due by a day (today by default) across a caseload, the longest overdue first."""

    items: list[DueAction]
    count: int


class AppointmentCreate(InputModel):
    model_config = ConfigDict(extra="forbid")

    starts_at: Moment
    mode: AppointmentMode
    notes: AppointmentNotes = Field("", description="Where, or a short note (300 characters at most)")


class AppointmentOutcomeWrite(InputModel):
    model_config = ConfigDict(extra="forbid")

    outcome: AppointmentOutcome


class AppointmentRead(BaseModel):
    id: uuid.UUID
    profile_id: uuid.UUID
    starts_at: dt.datetime
    mode: AppointmentMode
    notes: str
    outcome: AppointmentOutcome | None
    outcome_recorded_by: str | None
    created_by: str
    warnings: list[ScreeningWarning] = Field(
        default_factory=list, description="Set when the notes just saved seem to hold special category data")


class AppointmentList(BaseModel):
    items: list[AppointmentRead]
    count: int


class TransferCreate(InputModel):
    model_config = ConfigDict(extra="forbid")

    to_adviser_id: Annotated[str, StringConstraints(min_length=1, max_length=64, strict=True)]
    reason: TransferReason


class TransferRead(BaseModel):
    id: uuid.UUID
    profile_id: uuid.UUID
    from_adviser_id: str | None
    to_adviser_id: str
    reason: str
    transferred_at: dt.datetime
    transferred_by: str
    warnings: list[ScreeningWarning] = Field(
        default_factory=list, description="Set when the reason just saved seems to hold special category data")


class TransferHistory(BaseModel):
    """A person's moves between advisers' caseloads, newest first."""

    items: list[TransferRead]
    count: int


class LapsedItem(BaseModel):
    """A person whose activity lapsed to not known and is still not known: by id and day only."""

    profile_id: uuid.UUID
    since: dt.date


class LapsedList(BaseModel):
    items: list[LapsedItem]
    count: int
