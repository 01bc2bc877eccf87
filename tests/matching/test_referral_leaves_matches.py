"""A referral made through the opportunities service takes the opportunity out of that person's matches within a
second of the POST's answer (outbox, relay poll, broker, the matcher's referral feed), even while the matcher is
seconds behind embedding a burst of new profiles (as after seeding, or on a loaded machine). A dismissed suggestion
leaves the same way, and the list it was dismissed from and the dismissal reach the audit log."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from infra.seed.synthetic import profile_create
from services.common.auth import Role
from services.matching.embedder import Embedder
from tests.support.databases import TestDatabases
from tests.support.waiting import wait_for
from tests.ui.stack import ADVISER, Stack, stack_on_own_broker

WITHIN_SECONDS = 1.0
BURST = 40
SECONDS_PER_TEXT = 0.2  # a slow, busy CPU: the burst is about 8 s of embedding, longer than registering it


class SlowEmbedder:
    """The real embedder, slowed down as on a loaded machine."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        time.sleep(SECONDS_PER_TEXT * len(texts))
        return self.inner.embed(texts)


@pytest.fixture(scope="module")
def stack(databases: TestDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The four real services on a broker of their own (the matcher reads its topics from the start)."""
    with stack_on_own_broker(databases, Path(tmp_path_factory.mktemp("referral-stack"))) as live:
        yield live


def _matches(stack: Stack, profile_id: str) -> list[str]:
    response = httpx.get(f"{stack.urls['matching']}/profiles/{profile_id}/matches", params={"k": 20}, timeout=10,
                         headers=stack.headers(Role.ADVISER, ADVISER))
    response.raise_for_status()
    return [match["opportunity_id"] for match in response.json()["matches"]]


def _burst(stack: Stack) -> list[str]:
    """New young people registered one after another: each one's text must be embedded by the matcher."""
    made = []
    for _ in range(BURST):
        body: dict[str, Any] = profile_create(phone=None, email=f"burst-{uuid.uuid4().hex[:10]}@example.org",
                                              about="Keen to learn a trade and work with people.")
        made.append(stack.call("profiles", "POST", "/profiles", json=body, expect=201)["id"])
    return made


def _matches_known(stack: Stack, profile_ids: list[str]) -> int:
    """How many of these people the matcher has indexed."""
    state = stack.apps["matching"].state.runtime.state
    with state.lock:
        return sum(state.profiles.get(uuid.UUID(p)) is not None for p in profile_ids)


def _seconds_until_gone(stack: Stack, profile_id: str, opportunity_id: str) -> float:
    referral = stack.call("opportunities", "POST", "/referrals", expect=201,
                          json={"profile_id": profile_id, "opportunity_id": opportunity_id, "note": ""})
    answered = time.monotonic()
    assert referral["opportunity_id"] == opportunity_id
    wait_for(lambda: opportunity_id not in _matches(stack, profile_id), what="the referred opportunity leaving",
             timeout=120, interval=0.02)
    return time.monotonic() - answered


def test_a_referred_opportunity_leaves_the_persons_matches_within_a_second(stack: Stack) -> None:
    alex = stack.seeded.people["alex"]["id"]
    top = _matches(stack, alex)[0]
    quiet = _seconds_until_gone(stack, alex, top)

    jordan = stack.seeded.people["jordan"]["id"]
    top = _matches(stack, jordan)[0]
    ingestor = stack.apps["matching"].state.runtime.ingestor
    real = ingestor.embedder
    ingestor.embedder = SlowEmbedder(real)
    try:
        registered = _burst(stack)
        busy = _seconds_until_gone(stack, jordan, top)
        known = _matches_known(stack, registered)
    finally:
        ingestor.embedder = real
    print(f"\nreferral -> gone from matches: {quiet:.3f} s on a quiet matcher; {busy:.3f} s while it embeds "
          f"{BURST} new profiles at {SECONDS_PER_TEXT} s each ({BURST - known} of them still waiting when it had "
          "gone); measured from the POST's answer, the relay polls every 0.05 s")
    assert quiet < WITHIN_SECONDS
    assert busy < WITHIN_SECONDS
    assert known < BURST, "the matcher was not behind: the busy case could not fail"
    wait_for(lambda: _matches_known(stack, registered) == BURST, what="the burst indexed", timeout=120)
    assert top not in _matches(stack, jordan), "a referred opportunity came back"


def test_a_dismissed_suggestion_leaves_and_the_list_and_the_decision_reach_the_audit_log(stack: Stack) -> None:
    casey = stack.seeded.people["casey"]["id"]
    served = stack.call("matching", "GET", f"/profiles/{casey}/matches", params={"k": 10})
    first = served["matches"][0]["opportunity_id"]
    dismissal = stack.call("opportunities", "POST", f"/profiles/{casey}/dismissals", expect=201, json={
        "opportunity_id": first, "list_id": served["list_id"], "rank": 1, "reason": "not_what_they_want"})
    wait_for(lambda: first not in _matches(stack, casey), what="the dismissed suggestion leaving", timeout=20)

    def audit(event_type: str) -> list[dict[str, Any]]:
        return stack.call("events", "GET", "/events", params={"profile_id": casey, "event_type": event_type})["items"]

    lists = wait_for(lambda: [e for e in audit("suggestions.served") if e["aggregate_id"] == served["list_id"]],
                     what="the served list in the audit log", timeout=20)
    assert [item["opportunity_id"] for item in lists[0]["payload"]["items"]] == [
        match["opportunity_id"] for match in served["matches"]]
    [dismissed] = wait_for(lambda: audit("suggestion.dismissed"), what="the dismissal in the audit log", timeout=20)
    assert dismissed["aggregate_id"] == dismissal["id"]
    assert dismissed["payload"]["oversight"]["reason"] == "not_what_they_want"
    assert dismissed["payload"]["oversight"]["list_id"] == served["list_id"]
