"""The profiles service as this service sees it: a small Protocol, and its HTTP implementation."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Protocol, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from services.messaging.sealing import SubjectRead
from services.opportunities.schemas import AdviserContact, CandidateView, ProfileFacts

M = TypeVar("M", bound=BaseModel)


class ProfilesUnavailable(Exception):
    """The profiles service did not give a usable answer."""


class ProfileDirectory(Protocol):
    def get_profile(self, profile_id: uuid.UUID) -> ProfileFacts | None:
        """Eligibility facts of a young person, or None when there is no such profile."""
        ...

    def employer_view(self, profile_id: uuid.UUID) -> CandidateView | None:
        """What an employer may see of the person (consent applied by profiles), or None when not found."""
        ...

    def subject_of(self, profile_id: uuid.UUID) -> uuid.UUID | None:
        """The subject reference events name the person by, or None when not found."""
        ...

    def adviser(self, adviser_id: str) -> AdviserContact | None:
        """An adviser's name and work contact details, or None when the hub has no record of them."""
        ...


class HttpProfileDirectory:
    """Calls GET /profiles/{id}/eligibility, /profiles/{id}/employer-view, /profiles/{id}/subject and
    /advisers/{id} with service tokens signed with this service's own key."""

    def __init__(
        self, base_url: str, token: Callable[[], str], *, timeout: float = 5.0,
        transport: httpx.BaseTransport | None = None,
    ):
        self._token = token
        self._client = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout, transport=transport)

    def _get(self, path: str, model: type[M]) -> M | None:
        try:
            response = self._client.get(path, headers={"Authorization": f"Bearer {self._token()}"})
        except httpx.HTTPError as exc:
            raise ProfilesUnavailable(f"profiles service: {type(exc).__name__}: {exc}") from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ProfilesUnavailable(f"profiles service answered {response.status_code} for {path}")
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            raise ProfilesUnavailable(f"profiles service sent an unexpected body for {path}") from exc

    def get_profile(self, profile_id: uuid.UUID) -> ProfileFacts | None:
        return self._get(f"/profiles/{profile_id}/eligibility", ProfileFacts)

    def employer_view(self, profile_id: uuid.UUID) -> CandidateView | None:
        return self._get(f"/profiles/{profile_id}/employer-view", CandidateView)

    def subject_of(self, profile_id: uuid.UUID) -> uuid.UUID | None:
        found = self._get(f"/profiles/{profile_id}/subject", SubjectRead)
        return found.subject if found else None

    def adviser(self, adviser_id: str) -> AdviserContact | None:
        return self._get(f"/advisers/{quote(adviser_id, safe='')}", AdviserContact)

    def close(self) -> None:
        self._client.close()
