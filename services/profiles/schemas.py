from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StrictBool,
    StringConstraints,
)

from services.common.postcodes import normalise_postcode
from services.common.screening import ScreeningWarning
from services.common.types import IsoDate
from services.messaging.vocabulary import OpportunityType, PriorityGroup, ProfileStatus, QualificationLevel

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, strict=True)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60, strict=True)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9 ()-]{6,19}$", strict=True)]
Postcode = Annotated[str, StringConstraints(strict=True, max_length=10), AfterValidator(normalise_postcode)]
About = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000, strict=True)]
Ethnicity = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, strict=True)]
TravelKm = Annotated[float, Field(gt=0, le=200)]


def _unique(values: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        seen.setdefault(value, None)
    return list(seen)


class Qualification(BaseModel):
    model_config = ConfigDict(extra="forbid")

    level: QualificationLevel
    subject: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, strict=True)]


Tags = Annotated[list[Tag], Field(max_length=30), AfterValidator(_unique)]


class ProfileCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    given_name: Name
    family_name: Name
    date_of_birth: IsoDate
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


class ProfileUpdate(BaseModel):
    """Partial update: only the fields sent change. Fields that cannot be empty reject null."""

    model_config = ConfigDict(extra="forbid")

    given_name: Name = None  # type: ignore[assignment]
    family_name: Name = None  # type: ignore[assignment]
    date_of_birth: IsoDate = None  # type: ignore[assignment]
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
