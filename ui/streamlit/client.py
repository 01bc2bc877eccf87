"""The one HTTP client every page uses. Service errors become ServiceError with a friendly message and, for
validation errors, a message per field, so forms can show them next to the fields."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from ui.streamlit.config import UISettings

Json = Any

# What each service is called when talking to people.
SERVICE_NAMES = {
    "profiles": "the profiles service",
    "opportunities": "the opportunities service",
    "matching": "the suggestions service",
    "events": "the guarantee figures service",
    "notifications": "the email service",
}

FRIENDLY_TYPES = {
    "missing": "Please fill this in.",
    "string_too_short": "Please fill this in.",
    "string_pattern_mismatch": "That doesn't look right. Check the format.",
    "date_from_datetime_parsing": "Please give a date.",
    "date_parsing": "Please give a date.",
    "bool_type": "Please choose yes or no.",
}


class ServiceError(Exception):
    """A call to a service that did not work, said in words a person can act on."""

    def __init__(
        self, message: str, *, service: str, status: int | None = None, fields: Mapping[str, str] | None = None,
        detail: Any = None,
    ):
        super().__init__(message)
        self.message = message
        self.service = service
        self.status = status
        self.fields: dict[str, str] = dict(fields or {})
        self.detail = detail  # the service's own `detail`, for pages that act on a rule (e.g. a likely duplicate)

    def rule(self, rule: str) -> dict[str, Any] | None:
        """The service's error item for `rule` (its `type`), with its `ctx`, if the answer was about it."""
        items = self.detail if isinstance(self.detail, list) else []
        return next((item for item in items if isinstance(item, dict) and item.get("type") == rule), None)

    @property
    def signed_out(self) -> bool:
        return self.status == 401


def _field_of(loc: list[Any]) -> str:
    """["body", "qualifications", 0, "level"] -> "qualifications"; ["query", "near"] -> "near"."""
    parts = [part for part in loc if isinstance(part, str)]
    if parts and parts[0] in ("body", "query", "path"):
        parts = parts[1:]
    return parts[0] if parts else ""


def _plain(item: Mapping[str, Any]) -> str:
    kind = str(item.get("type", ""))
    message = str(item.get("msg", "")).strip()
    given = item.get("ctx")
    context: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
    if kind == "string_too_short" and context.get("min_length", 1) > 1:
        return f"Please write at least {context['min_length']} characters."
    if kind == "string_too_long" and "max_length" in context:
        return f"Please keep it to {context['max_length']} characters or fewer."
    if kind in FRIENDLY_TYPES:
        return FRIENDLY_TYPES[kind]
    if kind == "value_error" and "email" in message.lower():
        return "That doesn't look like an email address (like name@example.com)."
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    if kind == "literal_error":
        return "Please choose one of the options."
    return message[:1].upper() + message[1:] if message else "This is not valid."


def field_errors(detail: Any) -> dict[str, str]:
    """FastAPI's error list as {field: message}; several messages for one field are joined."""
    errors: dict[str, str] = {}
    if not isinstance(detail, list):
        return errors
    for item in detail:
        if not isinstance(item, Mapping):
            continue
        field = _field_of(list(item.get("loc") or []))
        message = _plain(item)
        errors[field] = f"{errors[field]} {message}" if field in errors and message not in errors[field] else message
    return errors


def error_from_response(service: str, response: httpx.Response) -> ServiceError:
    name = SERVICE_NAMES.get(service, service)
    status = response.status_code
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    fields = field_errors(detail)
    if fields:
        message = " ".join(dict.fromkeys(fields.values()))
    elif status == 401:
        message = "Your sign-in has run out. Please sign in again."
    elif status == 403:
        message = "Your account can't do that."
    elif status == 404:
        message = "We couldn't find that. It may have been removed."
    elif status == 409 and isinstance(detail, str):
        message = detail[:1].upper() + detail[1:]
    elif status == 503:
        message = f"{name[:1].upper() + name[1:]} is starting up or busy. Please try again in a moment."
    elif status >= 500:
        message = f"Something went wrong in {name}. Please try again."
    else:
        message = f"{name[:1].upper() + name[1:]} could not do that (error {status})."
    return ServiceError(message, service=service, status=status, fields=fields, detail=detail)


class Api:
    """Calls to the four services as one signed-in person (or anonymously for public reads)."""

    def __init__(self, settings: UISettings, http: httpx.Client, token: str | None = None):
        self.settings = settings
        self.http = http
        self.token = token

    def request(
        self, service: str, method: str, path: str, *, params: Mapping[str, Any] | None = None, json: Json = None,
        text: bool = False,
    ) -> Json:
        url = self.settings.service_url(service) + path
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        clean = {key: value for key, value in (params or {}).items() if value not in (None, "")}
        try:
            response = self.http.request(
                method, url, params=clean, json=json, headers=headers, timeout=self.settings.timeout_seconds
            )
        except httpx.TimeoutException as exc:
            raise ServiceError(
                f"{SERVICE_NAMES.get(service, service).capitalize()} took too long to answer. Please try again.",
                service=service,
            ) from exc
        except httpx.HTTPError as exc:
            raise ServiceError(
                f"{SERVICE_NAMES.get(service, service).capitalize()} isn't answering right now. "
                "Please try again in a minute.",
                service=service,
            ) from exc
        if response.status_code >= 400:
            raise error_from_response(service, response)
        if response.status_code == 204 or not response.content:
            return None
        if text:
            return response.text
        try:
            return response.json()
        except ValueError as exc:
            raise ServiceError(
                f"{SERVICE_NAMES.get(service, service).capitalize()} sent an answer we couldn't read.",
                service=service, status=response.status_code,
            ) from exc

    def get(self, service: str, path: str, **params: Any) -> Json:
        return self.request(service, "GET", path, params=params)

    # Notifications: the signed-in person's own preferences, saved searches and what was sent to them

    def email_preferences(self) -> Json:
        return self.get("notifications", "/preferences")

    def update_email_preferences(self, changes: Mapping[str, Any]) -> Json:
        return self.request("notifications", "PATCH", "/preferences", json=dict(changes))

    def saved_searches(self) -> Json:
        return self.get("notifications", "/searches")

    def save_search(self, body: Mapping[str, Any]) -> Json:
        return self.request("notifications", "POST", "/searches", json=dict(body))

    def delete_search(self, search_id: str) -> None:
        self.request("notifications", "DELETE", f"/searches/{quote(search_id, safe='')}")

    def sent_messages(self, **params: Any) -> Json:
        return self.get("notifications", "/messages", **params)

    # Sign-in

    def demo_token(self, role: str, sub: str) -> str:
        """Development only: a demo person's token from the development issuer (the profiles service)."""
        answer = self.request("profiles", "POST", "/dev/tokens", json={"role": role, "sub": sub})
        return str(answer["access_token"])

    # Profiles

    def profiles(self, **params: Any) -> Json:
        return self.get("profiles", "/profiles", **params)

    def all_profiles(self, *, page_size: int = 500, cap: int = 5000, **params: Any) -> list[Json]:
        """Every profile matching the filters, page by page (up to `cap`)."""
        items: list[Json] = []
        while len(items) < cap:
            page = self.profiles(limit=page_size, offset=len(items), **params)
            items.extend(page["items"])
            if len(items) >= page["total"] or not page["items"]:
                break
        return items

    def profile(self, profile_id: uuid.UUID | str) -> Json:
        return self.get("profiles", f"/profiles/{profile_id}")

    def employer_view(self, profile_id: uuid.UUID | str) -> Json:
        return self.get("profiles", f"/profiles/{profile_id}/employer-view")

    def register_profile(self, data: Mapping[str, Any]) -> Json:
        return self.request("profiles", "POST", "/profiles", json=dict(data))

    def update_profile(self, profile_id: uuid.UUID | str, changes: Mapping[str, Any]) -> Json:
        return self.request("profiles", "PATCH", f"/profiles/{profile_id}", json=dict(changes))

    def activity(self, profile_id: str) -> Json:
        return self.get("profiles", f"/profiles/{profile_id}/activity")

    def record_activity(self, profile_id: str, data: Mapping[str, Any]) -> Json:
        return self.request("profiles", "POST", f"/profiles/{profile_id}/activity", json=dict(data))

    def confirm_activity(self, profile_id: str) -> Json:
        return self.request("profiles", "POST", f"/profiles/{profile_id}/activity/confirmation", json={})

    def record_contact_attempt(self, profile_id: str, data: Mapping[str, Any]) -> Json:
        return self.request("profiles", "POST", f"/profiles/{profile_id}/contact-attempts", json=dict(data))

    def record_september_guarantee(self, profile_id: str, year: int, outcome: str) -> Json:
        return self.request("profiles", "PUT", f"/profiles/{profile_id}/september-guarantee/{year}",
                            json={"outcome": outcome})

    def not_known(self, **params: Any) -> Json:
        return self.get("profiles", "/activity/not-known", **params)

    def actions(self, profile_id: str) -> Json:
        return self.get("profiles", f"/profiles/{profile_id}/actions")

    def plan_action(self, profile_id: str, data: Mapping[str, Any]) -> Json:
        return self.request("profiles", "POST", f"/profiles/{profile_id}/actions", json=dict(data))

    def action_done(self, profile_id: str, action_id: str) -> Json:
        return self.request("profiles", "POST", f"/profiles/{profile_id}/actions/{action_id}/done", json={})

    def due_actions(self, **params: Any) -> Json:
        return self.get("profiles", "/actions/due", **params)

    def appointments(self, profile_id: str) -> Json:
        return self.get("profiles", f"/profiles/{profile_id}/appointments")

    def book_appointment(self, profile_id: str, data: Mapping[str, Any]) -> Json:
        return self.request("profiles", "POST", f"/profiles/{profile_id}/appointments", json=dict(data))

    def appointment_outcome(self, profile_id: str, appointment_id: str, outcome: str) -> Json:
        return self.request("profiles", "POST", f"/profiles/{profile_id}/appointments/{appointment_id}/outcome",
                            json={"outcome": outcome})

    def transfers(self, profile_id: str) -> Json:
        return self.get("profiles", f"/profiles/{profile_id}/transfers")

    def transfer(self, profile_id: str, data: Mapping[str, Any]) -> Json:
        return self.request("profiles", "POST", f"/profiles/{profile_id}/transfers", json=dict(data))

    def advisers(self) -> Json:
        return self.get("profiles", "/advisers")

    def adviser(self, adviser_id: str) -> Json | None:
        """An adviser's name, team and work contact, or None when the hub has no record of them."""
        try:
            return self.get("profiles", f"/advisers/{quote(adviser_id, safe='')}")
        except ServiceError as err:
            if err.status == 404:
                return None
            raise

    # Employers and opportunities

    def employers(self, **params: Any) -> Json:
        return self.get("opportunities", "/employers", **params)

    def employer(self, employer_id: str) -> Json:
        return self.get("opportunities", f"/employers/{employer_id}")

    def employer_opportunities(self, employer_id: str, **params: Any) -> Json:
        return self.get("opportunities", f"/employers/{employer_id}/opportunities", **params)

    def browse(self, **params: Any) -> Json:
        return self.get("opportunities", "/opportunities", **params)

    def opportunity(self, opportunity_id: uuid.UUID | str) -> Json:
        return self.get("opportunities", f"/opportunities/{opportunity_id}")

    def create_opportunity(self, data: Mapping[str, Any]) -> Json:
        return self.request("opportunities", "POST", "/opportunities", json=dict(data))

    def update_opportunity(self, opportunity_id: str, changes: Mapping[str, Any]) -> Json:
        return self.request("opportunities", "PATCH", f"/opportunities/{opportunity_id}", json=dict(changes))

    def publish_opportunity(self, opportunity_id: str) -> Json:
        return self.request("opportunities", "POST", f"/opportunities/{opportunity_id}/publish")

    def close_opportunity(self, opportunity_id: str, reason: str) -> Json:
        return self.request("opportunities", "POST", f"/opportunities/{opportunity_id}/close", json={"reason": reason})

    def express_interest(self, opportunity_id: str, message: str = "") -> Json:
        return self.request(
            "opportunities", "POST", f"/opportunities/{opportunity_id}/interest", json={"message": message}
        )

    def interests(self, **params: Any) -> Json:
        return self.get("opportunities", "/interests", **params)

    def referrals(self, **params: Any) -> Json:
        return self.get("opportunities", "/referrals", **params)

    def referral(self, referral_id: str) -> Json:
        return self.get("opportunities", f"/referrals/{referral_id}")

    def refer(self, *, profile_id: str, opportunity_id: str, note: str,
              suggestion: Mapping[str, Any] | None = None) -> Json:
        """Refer a person; `suggestion` says which served list and rank it came from, and the reason when it goes
        against the suggestions (services.opportunities.schemas.SuggestionChoice)."""
        body: dict[str, Any] = {"profile_id": profile_id, "opportunity_id": opportunity_id, "note": note}
        if suggestion is not None:
            body["suggestion"] = dict(suggestion)
        return self.request("opportunities", "POST", "/referrals", json=body)

    def dismiss_suggestion(self, profile_id: str, choice: Mapping[str, Any]) -> Json:
        """Dismiss a suggestion for a person: `opportunity_id`, the served `list_id` and `rank`, `reason`, `words`."""
        return self.request("opportunities", "POST", f"/profiles/{profile_id}/dismissals", json=dict(choice))

    def dismissals(self, **params: Any) -> Json:
        return self.get("opportunities", "/dismissals", **params)

    def move_referral(self, referral_id: str, status: str, feedback: str | None = None) -> Json:
        body: dict[str, Any] = {"status": status}
        if feedback:
            body["feedback"] = feedback
        return self.request("opportunities", "PATCH", f"/referrals/{referral_id}", json=body)

    # Matching

    def matches_for_profile(self, profile_id: str, k: int = 10, **filters: Any) -> Json:
        return self.get("matching", f"/profiles/{profile_id}/matches", k=k, **filters)

    def candidates_for_opportunity(self, opportunity_id: str, k: int = 10) -> Json:
        return self.get("matching", f"/opportunities/{opportunity_id}/matches", k=k)

    def search(self, text: str, *, target: str, k: int = 10, filters: Mapping[str, Any] | None = None) -> Json:
        body = {"text": text, "k": k, "target": target, "filters": dict(filters or {})}
        return self.request("matching", "POST", "/search", json=body)

    # Events: the guarantee clock and figures

    def guarantee(self, **params: Any) -> Json:
        return self.get("events", "/guarantee", **params)

    def all_guarantee_rows(self, *, page_size: int = 1000, cap: int = 10000, **params: Any) -> list[Json]:
        items: list[Json] = []
        while len(items) < cap:
            page = self.guarantee(limit=page_size, offset=len(items), **params)
            items.extend(page["items"])
            if len(items) >= page["total"] or not page["items"]:
                break
        return items

    def person_clock(self, profile_id: str) -> Json | None:
        """One person's clock, or None while the events service has not heard of them yet."""
        try:
            return self.get("events", f"/guarantee/{profile_id}")
        except ServiceError as err:
            if err.status == 404:
                return None
            raise

    def oversight_summary(self, adviser: str | None = None) -> Json:
        params = {"adviser": adviser} if adviser else {}
        return self.get("events", "/oversight/summary", **params)

    def guarantee_summary(self, adviser: str | None = None) -> Json:
        return self.get("events", "/guarantee/summary", adviser=adviser)

    def stats(self, month: str | None = None) -> Json:
        """The town's figures for a calendar month (YYYY-MM) or, without one, all time."""
        return self.get("events", "/stats", month=month)

    def exposure(self) -> Json:
        """Each priority group's share of the candidate lists' exposure against its share of eligible candidates."""
        return self.get("events", "/exposure")

    def returns(self, table: str, **params: Any) -> Json:
        """A return's figures (`headline`, `indicators`, `september-guarantee`) for the town or one caseload."""
        return self.get("events", f"/returns/{table}", **params)

    def returns_csv(self, table: str, **params: Any) -> str:
        """A return as CSV (`headline`, `indicators`, `september-guarantee`, or `extract`: the monthly activity
        extract, whose every download is recorded)."""
        return str(self.request("events", "GET", f"/returns/{table}.csv", params=params, text=True) or "")

    def views_of(self, profile_id: uuid.UUID | str) -> Json:
        """Who has looked at a young person's record (advisers, and employers through a referral)."""
        return self.get("events", f"/people/{profile_id}/views")
