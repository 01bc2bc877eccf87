from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import KeyClientSettings, address_of


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
    matching_timeout_seconds: float = Field(60.0, gt=0, le=600)
    # An audit is kept this long before a request computes a new one; one is also made in the background this often
    # (0: only when asked).
    exposure_max_age_seconds: float = Field(600.0, ge=0, le=86400)
    exposure_refresh_seconds: float = Field(1800.0, ge=0, le=86400)
    # The top k of each candidate list is the list an adviser sees.
    exposure_list_length: int = Field(10, ge=1, le=100)

    def resolved_database_url(self) -> str:
        return self.database_url or self.sqlite_url("events")
