from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from services.common.settings import KeyClientSettings, ServiceAddresses, address_of


class NotificationsSettings(KeyClientSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", populate_by_name=True, extra="ignore")

    database_url: str | None = None
    consumer_group: str = Field("notifications", min_length=1, max_length=100)
    consume: bool = True
    # Who else this service asks: the opportunities service for an employer's contact email.
    opportunities_url: str = Field(default_factory=lambda: address_of("opportunities"))
    # ... and the events service for advisers' people on the guarantee clock.
    events_url: str = Field(default_factory=lambda: address_of("events"))
    ui_url: str = Field(default_factory=lambda: address_of("ui"))
    # ... and the matching service for how well a new opportunity's text fits a saved search's words: it alerts
    # only at or above this cosine similarity. Measured in tests/notifications/test_search_score.py on 8 searches,
    # each with a fitting posting and an unrelated one the same filters let through: fitting 0.40-0.71, unrelated
    # 0.12-0.39 (an electrician search and a bricklayer 0.386). A narrow gap: see README "Notifications".
    matching_url: str = Field(default_factory=lambda: address_of("matching"))
    search_alert_min_similarity: float = Field(0.39, ge=-1.0, le=1.0)
    # "words": every word of the search in the opportunity's text, without asking the matcher (tests that run no
    # matcher; a deployment without one).
    search_text_by: Literal["matcher", "words"] = "matcher"
    # Where the links in emails point: this service's public address (unsubscribe), the UI's page of choices.
    public_url: str = Field(default_factory=lambda: address_of("notifications"))
    preferences_url: str = Field(default_factory=lambda: f"{address_of('ui')}/email")
    # A referral change older than this when it is read (a replay of the topics, a service started late) is not
    # news: it sends nothing.
    news_within_hours: float = Field(72.0, gt=0)

    # The channel: SMTP (the development server `make run` starts, or a mail relay), or GOV.UK Notify.
    channel: Literal["smtp", "govuk_notify"] = "smtp"
    smtp_host: str = Field(default_factory=lambda: ServiceAddresses().host)
    smtp_port: int = Field(default_factory=lambda: ServiceAddresses().smtp_port, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = Field(10.0, gt=0, le=120)
    mail_from: str = "Youth Guarantee <no-reply@youth-guarantee.example>"
    # GOV.UK Notify: an API key and the id of one template with ((subject)) and ((body)) placeholders.
    govuk_notify_api_key: SecretStr | None = None
    govuk_notify_template_id: str | None = None

    # Delivery: a failed send is tried again after backoff_seconds * 2^(attempt-1) (at most backoff_max_seconds);
    # after max_attempts it goes to the dead-letter table.
    max_attempts: int = Field(5, ge=1, le=50)
    backoff_seconds: float = Field(2.0, gt=0, le=3600)
    backoff_max_seconds: float = Field(900.0, gt=0)
    deliver_interval_seconds: float = Field(0.2, gt=0, le=60)
    # While the profiles or opportunities service does not answer for an address, a message waits this long and
    # tries again, without using up its attempts.
    dependency_retry_seconds: float = Field(30.0, gt=0, le=3600)
    # How often reminders, escalations and digests that have come due are looked for.
    sweep_interval_seconds: float = Field(60.0, gt=0, le=3600)

    # Employer response deadlines, in working days (Monday to Friday) after the referral: the employer is reminded,
    # then the adviser is told (La bonne alternance chases after 10 and 15 days).
    employer_reminder_working_days: int = Field(10, ge=1, le=100)
    adviser_escalation_working_days: int = Field(15, ge=2, le=200)

    # Quiet hours for people's own email (local time): nothing is sent from start until end.
    timezone: str = "Europe/London"
    quiet_hours_start: int = Field(21, ge=0, le=23)
    quiet_hours_end: int = Field(8, ge=0, le=23)
    # When daily and weekly digests go (local hour; weekly on this weekday, 0 = Monday).
    digest_hour: int = Field(8, ge=0, le=23)
    weekly_digest_weekday: int = Field(0, ge=0, le=6)
    # Under this age a young person's saved searches default to a weekly digest.
    weekly_digest_under_age: int = Field(18, ge=16, le=30)

    def resolved_database_url(self) -> str:
        return self.database_url or self.sqlite_url("notifications")
