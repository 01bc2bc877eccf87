from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from services.common.settings import CommonSettings


class ProfilesSettings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="PROFILES_", populate_by_name=True, extra="ignore")

    database_url: str | None = None
    min_age: int = 16
    max_age: int = 30

    def resolved_database_url(self) -> str:
        return self.database_url or self.sqlite_url("profiles")
