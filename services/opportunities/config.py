from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import KeyClientSettings, address_of
from services.messaging.vocabulary import TOP_SUGGESTIONS


class OpportunitiesSettings(KeyClientSettings):
    model_config = SettingsConfigDict(env_prefix="OPPORTUNITIES_", populate_by_name=True, extra="ignore")

    database_url: str | None = None
    # Browse's text search fuses full-text ranks with the matcher's semantic search; it waits this long for the
    # matcher, then answers from full-text search alone.
    matching_url: str = Field(default_factory=lambda: address_of("matching"))
    semantic_search: bool = True
    semantic_timeout_seconds: float = Field(0.8, gt=0)
    semantic_pool: int = Field(50, ge=1, le=100)
    # Cosine similarity (query text to posting text) a semantic hit needs to count as found; weaker hits are
    # offered only as related results when nothing is found. Chosen on the search benchmark's tuning queries
    # (not its judged ones): with MiniLM, short queries reach about 0.35-0.55 with fitting postings and stay
    # below about 0.33 with unrelated ones ("tractors": crop production 0.38, pile driving 0.36, fish cook 0.30).
    semantic_min_similarity: float = Field(0.35, ge=-1, le=1)
    # Below this, a hit is not shown even as related ("astronaut" reaches 0.18 with a car valeter).
    semantic_related_min_similarity: float = Field(0.2, ge=-1, le=1)
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
    # A referral to a suggestion ranked below this, or to one never suggested, goes against the matcher (oversight).
    top_suggestions: int = Field(TOP_SUGGESTIONS, ge=1, le=100)

    def resolved_database_url(self) -> str:
        return self.database_url or self.sqlite_url("opportunities")
