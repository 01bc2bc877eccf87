from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from services.common.types import InputModel, Text
from services.messaging.vocabulary import OpportunityType, Sector
from services.notifications.rules import Frequency

District = Annotated[str, Field(pattern=r"^[A-Za-z]{1,2}[0-9][A-Za-z0-9]?$", max_length=4)]


class PreferencesRead(BaseModel):
    recipient: str
    email: bool = Field(description="Email on. A young person's is off until they agree to be contacted by email.")
    email_consented_at: dt.datetime | None
    quiet_hours: bool = Field(description="Hold email during the quiet hours (21:00-08:00 unless set otherwise)")
    frequency: Frequency = Field(description="How often new saved searches alert (under-18s: weekly by default)")


class PreferencesUpdate(InputModel):
    model_config = ConfigDict(extra="forbid")

    email: StrictBool | None = None
    quiet_hours: StrictBool | None = None
    frequency: Frequency | None = None


class SearchFilters(InputModel):
    model_config = ConfigDict(extra="forbid")

    types: list[OpportunityType] = Field(default_factory=list, max_length=6)
    sectors: list[Sector] = Field(default_factory=list, max_length=20)
    postcode_districts: list[District] = Field(default_factory=list, max_length=20)
    min_wage_per_hour: float | None = Field(None, ge=0, le=200)


class SavedSearchCreate(InputModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[Text, Field(min_length=1, max_length=100)]
    text: Annotated[str, Field(max_length=200)] = ""
    filters: SearchFilters = Field(default_factory=SearchFilters)
    frequency: Frequency | None = Field(None, description="instant, daily or weekly; unset: your preference")


class SavedSearchRead(BaseModel):
    id: uuid.UUID
    name: str
    text: str
    filters: SearchFilters
    frequency: Frequency
    active: bool
    created_at: dt.datetime


class SavedSearchPage(BaseModel):
    items: list[SavedSearchRead]


class MessageRead(BaseModel):
    id: uuid.UUID
    kind: str
    status: str
    subject: str | None
    reason: str | None
    created_at: dt.datetime
    sent_at: dt.datetime | None


class MessagePage(BaseModel):
    items: list[MessageRead]
    total: int


class Unsubscribed(BaseModel):
    unsubscribed: str = Field(description="what was stopped: a saved search's alerts, or all email")


class EmployerResponse(BaseModel):
    employer_id: uuid.UUID
    employer_name: str | None
    referrals: int = Field(description="referrals counted (not those withdrawn before the employer answered)")
    answered: int
    response_rate: float
    median_days_to_answer: float | None = Field(description="from the referral to the employer's first answer")


class EmployerResponsePage(BaseModel):
    items: list[EmployerResponse]
