"""Who to write to: the profiles and opportunities services as this service sees them (a small Protocol, its HTTP
implementation with service tokens, and an in-memory one for tests and benchmarks)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from services.messaging.consumer import DependencyUnavailable

M = TypeVar("M", bound=BaseModel)


class ContactsUnavailable(DependencyUnavailable):
    """A service that knows an address did not give a usable answer: try again later."""


class PersonContact(BaseModel):
    given_name: str
    email: str | None
    date_of_birth: dt.date | None = None


class AdviserContact(BaseModel):
    name: str
    email: str
    phone: str


class EmployerContact(BaseModel):
    name: str
    contact_email: str


class ClockRow(BaseModel):
    """One of an adviser's people on the guarantee clock, as the events service says (read: nothing else)."""

    profile_id: uuid.UUID
    status: str
    days_left: int | None


class ClockPage(BaseModel):
    items: list[ClockRow]


class LapsedRow(BaseModel):
    """One of an adviser's people whose activity lapsed to not known, as the profiles service says: id and day."""

    profile_id: uuid.UUID
    since: dt.date


class LapsedPage(BaseModel):
    items: list[LapsedRow]


class Contacts(Protocol):
    def person(self, profile_id: uuid.UUID) -> PersonContact | None: ...

    def adviser(self, adviser_id: str) -> AdviserContact | None: ...

    def employer(self, employer_id: uuid.UUID) -> EmployerContact | None: ...

    def clocks(self, adviser_id: str, status: str) -> list[ClockRow]:
        """An adviser's people whose guarantee clock has this status (at_risk, overdue)."""
        ...

    def lapsed(self, adviser_id: str) -> list[LapsedRow]:
        """An adviser's people whose activity lapsed to not known and still is."""
        ...

    def close(self) -> None: ...


class _Client:
    def __init__(self, base_url: str, token: Callable[[], str], timeout: float,
                 transport: httpx.BaseTransport | None) -> None:
        self._token = token
        self._client = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout, transport=transport)

    def get(self, path: str, model: type[M]) -> M | None:
        try:
            response = self._client.get(path, headers={"Authorization": f"Bearer {self._token()}"})
        except httpx.HTTPError as exc:
            raise ContactsUnavailable(f"{type(exc).__name__} for {path.split('/')[1]}") from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ContactsUnavailable(f"answered {response.status_code} for {path.split('/')[1]}")
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            raise ContactsUnavailable(f"an unexpected body for {path.split('/')[1]}") from exc

    def close(self) -> None:
        self._client.close()


class HttpContacts:
    """GET /profiles/{id}/contact, /advisers/{id} and /activity/lapsed at profiles, /employers/{id} at
    opportunities, /guarantee at events."""

    def __init__(self, profiles: tuple[str, Callable[[], str]], opportunities: tuple[str, Callable[[], str]],
                 events: tuple[str, Callable[[], str]], *, timeout: float = 5.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self._profiles = _Client(*profiles, timeout, transport)
        self._opportunities = _Client(*opportunities, timeout, transport)
        self._events = _Client(*events, timeout, transport)

    def person(self, profile_id: uuid.UUID) -> PersonContact | None:
        return self._profiles.get(f"/profiles/{profile_id}/contact", PersonContact)

    def adviser(self, adviser_id: str) -> AdviserContact | None:
        return self._profiles.get(f"/advisers/{quote(adviser_id, safe='')}", AdviserContact)

    def employer(self, employer_id: uuid.UUID) -> EmployerContact | None:
        return self._opportunities.get(f"/employers/{employer_id}", EmployerContact)

    def clocks(self, adviser_id: str, status: str) -> list[ClockRow]:
        page = self._events.get(f"/guarantee?adviser={quote(adviser_id, safe='')}&status={status}&limit=1000",
                                ClockPage)
        return page.items if page else []

    def lapsed(self, adviser_id: str) -> list[LapsedRow]:
        page = self._profiles.get(f"/activity/lapsed?adviser_id={quote(adviser_id, safe='')}", LapsedPage)
        return page.items if page else []

    def close(self) -> None:
        self._profiles.close()
        self._opportunities.close()
        self._events.close()


@dataclass
class InMemoryContacts:
    """Addresses a test or a benchmark hands the service."""

    people: dict[uuid.UUID, PersonContact] = field(default_factory=dict)
    advisers: dict[str, AdviserContact] = field(default_factory=dict)
    employers: dict[uuid.UUID, EmployerContact] = field(default_factory=dict)
    # adviser id -> their people's clocks
    caseloads: dict[str, list[ClockRow]] = field(default_factory=dict)
    # adviser id -> their people whose activity lapsed
    lapses: dict[str, list[LapsedRow]] = field(default_factory=dict)

    def person(self, profile_id: uuid.UUID) -> PersonContact | None:
        return self.people.get(profile_id)

    def adviser(self, adviser_id: str) -> AdviserContact | None:
        return self.advisers.get(adviser_id)

    def employer(self, employer_id: uuid.UUID) -> EmployerContact | None:
        return self.employers.get(employer_id)

    def clocks(self, adviser_id: str, status: str) -> list[ClockRow]:
        return [row for row in self.caseloads.get(adviser_id, []) if row.status == status]

    def lapsed(self, adviser_id: str) -> list[LapsedRow]:
        return list(self.lapses.get(adviser_id, []))

    def close(self) -> None:
        pass
