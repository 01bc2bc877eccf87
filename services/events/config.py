from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import KeyClientSettings


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

    def resolved_database_url(self) -> str:
        return self.database_url or self.sqlite_url("events")
