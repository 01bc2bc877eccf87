"""Settings fields every service shares; each service subclasses with its own env prefix."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from limits import parse_many
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_JWT_SECRET = "development-only-secret-change-me-0123456789"


class InsecureConfiguration(RuntimeError):
    """Raised when a production process would start with development defaults."""


class ServiceAddresses(BaseSettings):
    """Where each component of the stack listens: one map for the launcher, the UI and service-to-service calls.
    A deployment behind other addresses sets the callers' `*_URL` settings instead."""

    model_config = SettingsConfigDict(env_prefix="YG_", extra="ignore")

    host: str = "127.0.0.1"
    profiles_port: int = 8001
    opportunities_port: int = 8002
    matching_port: int = 8003
    events_port: int = 8004
    ui_port: int = 8501
    broker_port: int = 9092

    def port(self, component: str) -> int:
        return int(getattr(self, f"{component}_port"))

    def url(self, component: str) -> str:
        return f"http://{self.host}:{self.port(component)}"


def address_of(component: str) -> str:
    """The default base URL of a component, from the address map (for settings defaults)."""
    return ServiceAddresses().url(component)


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(populate_by_name=True, extra="ignore")

    environment: Literal["development", "test", "production"] = Field("development", validation_alias="YG_ENV")
    jwt_secret: SecretStr | None = Field(None, validation_alias="YG_JWT_SECRET")
    kafka_bootstrap_servers: str = Field(
        default_factory=lambda: f"{ServiceAddresses().host}:{ServiceAddresses().broker_port}",
        validation_alias="KAFKA_BOOTSTRAP_SERVERS",
    )
    # How this process authenticates to Kafka: PLAINTEXT for the local broker (which has no authentication), or
    # SASL/SCRAM with the service's own principal, whose ACLs allow only its own topics (docker-compose.yml).
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", validation_alias="KAFKA_SECURITY_PROTOCOL"
    )
    kafka_sasl_mechanism: Literal["SCRAM-SHA-256", "SCRAM-SHA-512"] = Field(
        "SCRAM-SHA-512", validation_alias="KAFKA_SASL_MECHANISM"
    )
    kafka_username: str | None = Field(None, validation_alias="KAFKA_USERNAME")
    kafka_password: SecretStr | None = Field(None, validation_alias="KAFKA_PASSWORD")
    data_dir: Path = Field(Path("data"), validation_alias="YG_DATA_DIR")
    log_level: str = Field("INFO", validation_alias="YG_LOG_LEVEL")
    log_json: bool = Field(False, validation_alias="YG_LOG_JSON")
    # A request never waits long on the database: connecting, waiting for a pooled connection and running one
    # statement are bounded, and a lost connection answers 503 (services/common/errors.py).
    db_connect_timeout_seconds: int = Field(2, ge=1, validation_alias="YG_DB_CONNECT_TIMEOUT_SECONDS")
    db_pool_timeout_seconds: float = Field(2.0, gt=0, validation_alias="YG_DB_POOL_TIMEOUT_SECONDS")
    db_statement_timeout_ms: int = Field(10_000, ge=0, validation_alias="YG_DB_STATEMENT_TIMEOUT_MS")
    db_pool_size: int = Field(10, ge=1, validation_alias="YG_DB_POOL_SIZE")
    # Rate limits (services/common/ratelimit.py) in the `limits` notation, e.g. "10/second;120/minute"; on unless
    # YG_RATE_LIMITS=false. The counters are in this process's memory, or shared in Redis with
    # YG_RATE_LIMIT_STORAGE=redis://127.0.0.1:6379.
    rate_limits: bool = Field(True, validation_alias="YG_RATE_LIMITS")
    rate_limit_storage: str = Field("memory://", validation_alias="YG_RATE_LIMIT_STORAGE")
    rate_limit_writes: str = Field("10/second;120/minute", validation_alias="YG_RATE_LIMIT_WRITES")
    rate_limit_address_writes: str = Field("50/second;1200/minute", validation_alias="YG_RATE_LIMIT_ADDRESS_WRITES")
    rate_limit_refused_tokens: str = Field("30/minute", validation_alias="YG_RATE_LIMIT_REFUSED_TOKENS")

    @field_validator("rate_limit_writes", "rate_limit_address_writes", "rate_limit_refused_tokens")
    @classmethod
    def _limits_notation(cls, value: str) -> str:
        parse_many(value)  # raises ValueError naming the bad part
        return value

    @property
    def development_mode(self) -> bool:
        return self.environment in ("development", "test")

    def signing_secret(self) -> str:
        """The JWT secret; the development default only outside production."""
        if self.jwt_secret is not None:
            return self.jwt_secret.get_secret_value()
        if self.development_mode:
            return DEVELOPMENT_JWT_SECRET
        raise InsecureConfiguration("YG_JWT_SECRET must be set when YG_ENV=production")

    def sqlite_url(self, name: str) -> str:
        """The embedded default database URL for a service: a SQLite file under the data folder."""
        return f"sqlite:///{(self.data_dir / f'{name}.db').resolve()}"


class KeyClientSettings(CommonSettings):
    """A service that calls the profiles service: for data keys (it reads or writes events about young people)
    and, for some, for profiles. The keys are cached for at most `key_cache_seconds`."""

    profiles_url: str = Field(default_factory=lambda: address_of("profiles"))
    profiles_timeout_seconds: float = Field(5.0, gt=0, le=60)
    key_cache_seconds: float = Field(60.0, gt=0, le=600)
