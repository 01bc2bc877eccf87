from __future__ import annotations

import base64
import binascii
import hashlib

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from services.common.settings import CommonSettings, InsecureConfiguration
from services.messaging.vocabulary import ACTIVITY_CURRENCY_DAYS, ActivityGroup

# Wraps the per-person data keys at rest. Never use it outside development: set PROFILES_KEY_ENCRYPTION_KEY.
DEVELOPMENT_KEY_ENCRYPTION_KEY = hashlib.sha256(b"youth-guarantee development-only key-encryption key").digest()


class ProfilesSettings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="PROFILES_", populate_by_name=True, extra="ignore")

    database_url: str | None = None
    min_age: int = 16
    max_age: int = 30
    # 32 random bytes, base64 (e.g. `python -c "import os,base64;print(base64.b64encode(os.urandom(32)).decode())"`).
    key_encryption_key: SecretStr | None = None
    # How long an activity stays current without being confirmed, in days, by group; past it the person's activity
    # turns "not known" (810). Failed contact attempts (no answer, wrong details, message left) since the activity
    # became not known after which the person is recorded as "cannot be contacted" (820).
    activity_currency_days: dict[ActivityGroup, int] = Field(default_factory=lambda: dict(ACTIVITY_CURRENCY_DAYS))
    failed_contacts_until_cannot_contact: int = Field(3, ge=1, le=20)
    # The daily lapse run (services/profiles/lapses.py): from this local hour, once a day, every lapse is written
    # down (the profile's status turns not known); checked every interval. Off with PROFILES_LAPSE_JOB=false, e.g.
    # where a scheduler calls POST /activity/lapses instead.
    lapse_job: bool = True
    lapse_hour: int = Field(2, ge=0, le=23)
    lapse_check_interval_seconds: float = Field(300.0, gt=0, le=3600)
    timezone: str = "Europe/London"
    # Consume referral outcomes from the referrals topic (an accepted referral opens an activity spell).
    consume: bool = True
    consumer_group: str = Field("profiles", min_length=1, max_length=100)

    def resolved_database_url(self) -> str:
        return self.database_url or self.sqlite_url("profiles")

    def kek(self) -> bytes:
        """The key-encryption key; the development default only outside production."""
        if self.key_encryption_key is None:
            if self.development_mode:
                return DEVELOPMENT_KEY_ENCRYPTION_KEY
            raise InsecureConfiguration("PROFILES_KEY_ENCRYPTION_KEY must be set when YG_ENV=production")
        try:
            key = base64.b64decode(self.key_encryption_key.get_secret_value(), validate=True)
        except binascii.Error as exc:
            raise InsecureConfiguration("PROFILES_KEY_ENCRYPTION_KEY must be base64") from exc
        if len(key) != 32:
            raise InsecureConfiguration(f"PROFILES_KEY_ENCRYPTION_KEY must be 32 bytes (256 bits), got {len(key)}")
        return key
