"""The matcher's candidate lists, as the exposure audit reads them: every open opportunity's list (best first) and
how many opportunities of each type each person is an eligible candidate for, by profile id only (GET
/candidate-lists on the matching service, with this service's scope `matching:candidate-lists`). Nothing is sent
to the matcher: the priority groups, SEND included, are joined here."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Protocol

import httpx
from pydantic import BaseModel, ValidationError

from services.common.errors import Unavailable
from services.common.tokens import service_token_source
from services.events.config import EventsSettings
from services.messaging.vocabulary import OpportunityType


class MatcherUnavailable(Unavailable):
    """The matcher did not answer, or answered something other than candidate lists."""


class CandidateList(BaseModel):
    opportunity_id: uuid.UUID
    type: OpportunityType
    profile_ids: list[uuid.UUID]


class EligibleFor(BaseModel):
    profile_id: uuid.UUID
    by_type: dict[OpportunityType, int]


class CandidateLists(BaseModel):
    k: int
    lists: list[CandidateList]
    eligible: list[EligibleFor]


class CandidateSource(Protocol):
    def candidate_lists(self, k: int) -> CandidateLists:
        """Every open opportunity's top k candidates and who is eligible for what; raises MatcherUnavailable."""
        ...

    def close(self) -> None: ...


class HttpCandidateSource:
    def __init__(self, base_url: str, token: Callable[[], str], *, timeout: float,
                 transport: httpx.BaseTransport | None = None) -> None:
        self._token = token
        self._client = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout, transport=transport)

    def candidate_lists(self, k: int) -> CandidateLists:
        try:
            response = self._client.get("/candidate-lists", params={"k": k},
                                        headers={"Authorization": f"Bearer {self._token()}"})
        except httpx.HTTPError as exc:
            raise MatcherUnavailable(f"the matching service is not answering ({type(exc).__name__})") from exc
        if response.status_code != 200:
            raise MatcherUnavailable(f"the matching service answered {response.status_code}")
        try:
            return CandidateLists.model_validate_json(response.content)
        except ValidationError as exc:
            raise MatcherUnavailable("the matching service answered something other than candidate lists") from exc

    def close(self) -> None:
        self._client.close()


def http_candidate_source(settings: EventsSettings) -> HttpCandidateSource:
    """The matcher, called under this service's own name and key."""
    return HttpCandidateSource(settings.matching_url, service_token_source(settings.service_signer("events"),
                                                                           "matching"),
                               timeout=settings.matching_timeout_seconds)
