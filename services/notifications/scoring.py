"""How well a new opportunity fits a saved search's words, as the matching service scores it (POST /search for
the given opportunity ids, with the service scope `matching:search`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Protocol

import httpx
from pydantic import BaseModel, ValidationError

from services.messaging.consumer import DependencyUnavailable


class MatcherUnavailable(DependencyUnavailable):
    """The matcher did not answer, or has not read the opportunity yet: the event is read again after a pause, so
    the alert waits rather than being dropped."""


class _Scored(BaseModel):
    opportunity_id: uuid.UUID
    similarity: float


class _Results(BaseModel):
    matches: list[_Scored]
    not_indexed: list[uuid.UUID] = []


class Scorer(Protocol):
    def similarity(self, text: str, opportunity_id: uuid.UUID) -> float:
        """The cosine similarity of the text and the opportunity's text; raises MatcherUnavailable."""
        ...

    def close(self) -> None: ...


class HttpScorer:
    def __init__(self, base_url: str, token: Callable[[], str], *, timeout: float = 5.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self._token = token
        self._client = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout, transport=transport)

    def similarity(self, text: str, opportunity_id: uuid.UUID) -> float:
        body = {"text": text, "target": "opportunities", "opportunity_ids": [str(opportunity_id)]}
        try:
            response = self._client.post("/search", json=body, headers={"Authorization": f"Bearer {self._token()}"})
        except httpx.HTTPError as exc:
            raise MatcherUnavailable(f"{type(exc).__name__} from the matcher") from exc
        if response.status_code != 200:
            raise MatcherUnavailable(f"the matcher answered {response.status_code}")
        try:
            results = _Results.model_validate_json(response.content)
        except ValidationError as exc:
            raise MatcherUnavailable("an unexpected body from the matcher") from exc
        for match in results.matches:
            if match.opportunity_id == opportunity_id:
                return match.similarity
        raise MatcherUnavailable("the matcher has not read the opportunity yet")

    def close(self) -> None:
        self._client.close()
