from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import KeyClientSettings


class OpportunitiesSettings(KeyClientSettings):
    model_config = SettingsConfigDict(env_prefix="OPPORTUNITIES_", populate_by_name=True, extra="ignore")

    database_url: str | None = None
    expiry_interval_seconds: float = 60.0
    # Consume profile.erased from the profiles topic (off only for tests that do not need the broker).
    consume: bool = True
    consumer_group: str = Field("opportunities", min_length=1, max_length=100)
    # Kick-Start scheme rules
    kickstart_min_age: int = 16
    kickstart_max_age: int = 24
    kickstart_hours_per_week: float = 25.0
    kickstart_duration_months: int = 6
    kickstart_requires_universal_credit: bool = True
    # Ages the opportunity accepts when it names no minimum: the youngest a Youth Guarantee client can be.
    default_min_age: int = 16

    def resolved_database_url(self) -> str:
        return self.database_url or self.sqlite_url("opportunities")
