from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from services.common.settings import KeyClientSettings, address_of
from services.messaging.vocabulary import ACTIVITY_CURRENCY_DAYS, ActivityGroup


class EventsSettings(KeyClientSettings):
    model_config = SettingsConfigDict(env_prefix="EVENTS_", populate_by_name=True, extra="ignore")

    database_url: str | None = None
    consumer_group: str = Field("events", min_length=1, max_length=100)
    consume: bool = True
    # The guarantee: an offer within this many days of the clock starting (EU Youth Guarantee: four months).
    deadline_days: int = Field(120, ge=1, le=3650)
    # A waiting person is at risk once this share of the deadline has passed.
    warning_share: float = Field(0.75, gt=0, lt=1)
    # A figure with fewer people than this behind it is hidden.
    suppression_threshold: int = Field(5, ge=1, le=100)
    # The exposure audit (services/events/exposure.py) asks the matcher for every open opportunity's candidate list.
    matching_url: str = Field(default_factory=lambda: address_of("matching"))
    # The matcher ranks every open posting's list for an audit: 29 s at 10,000 postings on 2 cores (bench --load),
    # so minutes at 100,000. Only the audit's own thread waits this long, never a request.
    matching_timeout_seconds: float = Field(600.0, gt=0, le=600)
    # An audit is kept this long before a request asks for a new one; one is also made in the background this often
    # (0: only when asked).
    exposure_max_age_seconds: float = Field(600.0, ge=0, le=86400)
    exposure_refresh_seconds: float = Field(1800.0, ge=0, le=86400)
    # The longest a request waits for an audit being made before it gets the previous one (or, with none, a 503):
    # shorter than the pages wait for an answer (UI_TIMEOUT_SECONDS, 10).
    exposure_wait_seconds: float = Field(5.0, ge=0, le=600)
    # The top k of each candidate list is the list an adviser sees.
    exposure_list_length: int = Field(10, ge=1, le=100)

    # How long an activity stays current without being confirmed, in days, by activity group (JSON; groups not
    # named keep the default), after which it counts as not known (810).
    activity_currency_days: dict[ActivityGroup, int] = Field(default_factory=lambda: dict(ACTIVITY_CURRENCY_DAYS))
    # The hub's estimate of the young people NEET in its area, the denominator of the Youth Guarantee's coverage
    # (unset: coverage is not worked out).
    neet_population_estimate: int | None = Field(None, ge=1, le=10_000_000)

    @field_validator("activity_currency_days")
    @classmethod
    def _every_group_has_a_period(cls, value: dict[ActivityGroup, int]) -> dict[ActivityGroup, int]:
        if any(days < 1 or days > 3650 for days in value.values()):
            raise ValueError("each currency period is from 1 to 3650 days")
        return {**ACTIVITY_CURRENCY_DAYS, **value}

    def resolved_database_url(self) -> str:
        return self.database_url or self.sqlite_url("events")
