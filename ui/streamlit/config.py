"""The front end's settings: where the services are, and how people sign in."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import CommonSettings, address_of

# Written by `youth-guarantee bench --quality --json docs/matching-figures.json`; read by the public page.
MATCHING_FIGURES = Path(__file__).resolve().parents[2] / "docs" / "matching-figures.json"


class UISettings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="UI_", populate_by_name=True, extra="ignore")

    profiles_url: str = Field(default_factory=lambda: address_of("profiles"))
    opportunities_url: str = Field(default_factory=lambda: address_of("opportunities"))
    matching_url: str = Field(default_factory=lambda: address_of("matching"))
    events_url: str = Field(default_factory=lambda: address_of("events"))
    notifications_url: str = Field(default_factory=lambda: address_of("notifications"))
    # Development: the folder the local SMTP server keeps mail in (infra/mailserver.py), for the inbox page.
    inbox_dir: Path | None = None
    timeout_seconds: float = Field(10.0, gt=0, le=120)
    # Map tiles for the opportunity maps (e.g. "light" for CARTO tiles); none by default, so the maps work offline.
    map_style: str | None = None

    # The public page "How suggestions are made": the matcher's measured figures (docs/matching-figures.json,
    # written by `youth-guarantee bench --quality --json`) and how to reach the hub to question a decision.
    matching_figures_file: Path = MATCHING_FIGURES
    hub_name: str = "the Youth Employment hub"
    hub_email: str | None = None
    hub_phone: str | None = None
    hub_address: str | None = None

    # Development sign-in: the seeded demo users offered on the sign-in page.
    demo_advisers: tuple[str, ...] = ("adviser-1", "adviser-2")
    demo_employers: int = Field(2, ge=1, le=20)
    demo_young_people: int = Field(4, ge=1, le=20)

    # Outside development: st.login (OIDC). These claims of the identity give the platform role
    # (adviser / employer / young_person) and the subject the services know (adviser id, employer id, profile id).
    login_provider: str | None = None
    role_claim: str = "yg_role"
    subject_claim: str = "yg_sub"

    def resolved_inbox_dir(self) -> Path:
        return self.inbox_dir or self.data_dir.resolve() / "inbox"

    def service_url(self, service: str) -> str:
        return str(getattr(self, f"{service}_url")).rstrip("/")


def startup_problems(settings: UISettings, *, login_configured: bool) -> list[str]:
    """Why the app must not start: development defaults, or no sign-in, outside development mode."""
    if settings.development_mode:
        return []
    problems = []
    if not (settings.oidc_issuer and settings.oidc_jwks_url):
        problems.append("YG_OIDC_ISSUER and YG_OIDC_JWKS_URL are not set; the services check the provider's tokens.")
    if not login_configured:
        problems.append(
            "Sign-in is not configured: add an [auth] section (OIDC, with expose_tokens = [\"access\"]) to "
            ".streamlit/secrets.toml so st.login works and its access token reaches the services."
        )
    return problems
