"""The matcher's semantic search as this service sees it: a small Protocol, and its HTTP implementation with a
short timeout (browse answers from full-text search alone when the matcher is slow or away)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import structlog

log = structlog.get_logger("opportunities.semantic")


@dataclass(frozen=True)
class SemanticQuery:
    """Free text and the browse filters the matcher can apply itself (level and the rest are checked here)."""

    text: str
    type: str | None = None
    sector: str | None = None
    near: str | None = None
    radius_km: float | None = None


@dataclass(frozen=True)
class SemanticHit:
    opportunity_id: uuid.UUID
    similarity: float


class SemanticSearch(Protocol):
    def search(self, query: SemanticQuery, *, k: int) -> list[SemanticHit] | None:
        """Live, open opportunities nearest in meaning to the text, best first; None when the matcher is away."""
        ...


class HttpSemanticSearch:
    """Calls the matching service's POST /search as a service, giving up after `timeout` seconds."""

    def __init__(
        self, base_url: str, token: Callable[[], str], *, timeout: float,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._token = token
        self._client = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout, transport=transport)

    def search(self, query: SemanticQuery, *, k: int) -> list[SemanticHit] | None:
        filters: dict[str, Any] = {"type": query.type, "sector": query.sector}
        if query.near is not None and query.radius_km is not None:
            filters |= {"postcode": query.near, "max_distance_km": query.radius_km}
        body = {
            "text": query.text,
            "k": k,
            "target": "opportunities",
            "filters": {key: value for key, value in filters.items() if value is not None},
        }
        try:
            response = self._client.post("/search", json=body, headers={"Authorization": f"Bearer {self._token()}"})
            response.raise_for_status()
            matches = response.json()["matches"]
            return [
                SemanticHit(uuid.UUID(match["opportunity_id"]), float(match.get("similarity") or 0.0))
                for match in matches
            ]
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            log.info("semantic search unavailable; full-text only", error=repr(exc)[:200])
            return None

    def close(self) -> None:
        self._client.close()
