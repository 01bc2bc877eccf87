"""Settings fields every service shares; each service subclasses with its own env prefix."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from limits import parse_many
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common.tokens import (
    ISSUER_KEY,
    JWKS_FILE,
    JwksFile,
    Lifetimes,
    OidcProvider,
    SigningKey,
    TokenIssuer,
    TokenVerifier,
)


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
    notifications_port: int = 8005
    # The development SMTP server `make run` starts (infra/mailserver.py); a deployment points NOTIFICATIONS_SMTP_*
    # at its mail relay instead.
    smtp_port: int = 8025
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
    # Tokens (services/common/tokens.py). Development keys live in keys_dir (default <data_dir>/keys), made by the
    # launcher or `youth-guarantee keys`; a service signs its calls with <keys_dir>/<service>.pem unless its own
    # <PREFIX>_SIGNING_KEY_FILE names another file; everyone verifies against the JWKS file.
    keys_dir: Path | None = Field(None, validation_alias="YG_KEYS_DIR")
    jwks_file: Path | None = Field(None, validation_alias="YG_JWKS_FILE")
    signing_key_file: Path | None = None
    token_max_user_minutes: int = Field(60, ge=1, le=12 * 60, validation_alias="YG_TOKEN_MAX_USER_MINUTES")
    token_max_service_minutes: int = Field(5, ge=1, le=60, validation_alias="YG_TOKEN_MAX_SERVICE_MINUTES")
    # Outside development people's tokens come from this OpenID Connect provider (checked against its JWKS).
    oidc_issuer: str | None = Field(None, validation_alias="YG_OIDC_ISSUER")
    oidc_jwks_url: str | None = Field(None, validation_alias="YG_OIDC_JWKS_URL")
    oidc_audience: str = Field("youth-guarantee", validation_alias="YG_OIDC_AUDIENCE")
    oidc_role_claim: str = Field("yg_role", validation_alias="YG_OIDC_ROLE_CLAIM")
    oidc_subject_claim: str = Field("yg_sub", validation_alias="YG_OIDC_SUBJECT_CLAIM")
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
    # Once started (the matcher: once loaded and its phrases embedded), keep what the process holds out of the
    # garbage collector's full collections (observability.freeze_held_objects). <PREFIX>_GC_FREEZE; off in the
    # tests' own process, which makes and drops many apps.
    gc_freeze: bool = True
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

    def resolved_keys_dir(self) -> Path:
        return (self.keys_dir or self.data_dir / "keys").resolve()

    def resolved_jwks_file(self) -> Path:
        return self.jwks_file or self.resolved_keys_dir() / JWKS_FILE

    def lifetimes(self) -> Lifetimes:
        return Lifetimes(user=dt.timedelta(minutes=self.token_max_user_minutes),
                         service=dt.timedelta(minutes=self.token_max_service_minutes))

    def oidc_provider(self) -> OidcProvider | None:
        if self.oidc_issuer and self.oidc_jwks_url:
            return OidcProvider(issuer=self.oidc_issuer, jwks_url=self.oidc_jwks_url, audience=self.oidc_audience,
                                role_claim=self.oidc_role_claim, subject_claim=self.oidc_subject_claim)
        return None

    def token_verifier(self, audience: str) -> TokenVerifier:
        """How a service checks tokens: the services' public keys (and the development issuer's, in development
        only) from the JWKS file; outside development, people's tokens from the OIDC provider."""
        oidc = self.oidc_provider()
        if not self.development_mode and oidc is None:
            raise InsecureConfiguration("YG_OIDC_ISSUER and YG_OIDC_JWKS_URL must be set when YG_ENV=production")
        return TokenVerifier(audience=audience, keys=JwksFile(self.resolved_jwks_file()), lifetimes=self.lifetimes(),
                             trust_development_issuer=self.development_mode, oidc=oidc)

    def service_signer(self, name: str) -> TokenIssuer:
        """The key a service signs its own calls with."""
        path = self.signing_key_file or self.resolved_keys_dir() / f"{name}.pem"
        if not path.exists():
            raise InsecureConfiguration(
                f"no signing key for {name} at {path}: set its *_SIGNING_KEY_FILE (development: youth-guarantee keys)"
            )
        return TokenIssuer(SigningKey.load(path, name), self.lifetimes())

    def development_issuer(self) -> TokenIssuer:
        """The development issuer of people's tokens (the CLI and the demo sign-in); never outside development."""
        if not self.development_mode:
            raise InsecureConfiguration("the development issuer signs tokens only when YG_ENV=development")
        path = self.resolved_keys_dir() / f"{ISSUER_KEY}.pem"
        if not path.exists():
            raise InsecureConfiguration(f"no development issuer key at {path}: run `youth-guarantee keys`")
        return TokenIssuer(SigningKey.load(path, ISSUER_KEY), self.lifetimes())

    def sqlite_url(self, name: str) -> str:
        """The embedded default database URL for a service: a SQLite file under the data folder."""
        return f"sqlite:///{(self.data_dir / f'{name}.db').resolve()}"


class KeyClientSettings(CommonSettings):
    """A service that calls the profiles service: for data keys (it reads or writes events about young people)
    and, for some, for profiles. The keys are cached for at most `key_cache_seconds`."""

    profiles_url: str = Field(default_factory=lambda: address_of("profiles"))
    profiles_timeout_seconds: float = Field(5.0, gt=0, le=60)
    key_cache_seconds: float = Field(60.0, gt=0, le=600)
