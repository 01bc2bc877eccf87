"""Oversight shown back: the events service keeps every served suggestion list and every decision against the
suggestions in the audit log (about the person, so their erasure redacts them), and sums them up for the town and
each adviser; counts of decisions are protected together, so that a reader with every answer pins no hidden count."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from services.common.db import make_engine, make_session_factory, run_migrations
from services.events import oversight
from services.events.main import MIGRATIONS, make_handler
from services.events.models import StoredEvent
from services.messaging.contract import EventEnvelope, EventType, OversightV1
from services.messaging.sealing import erasure_mark
from tests.support.attacker import Reader
from tests.support.databases import TestDatabases
from tests.support.events import (
    dismissed_event,
    profile_erased_event,
    referral_event,
    referral_snapshot,
    served_event,
)
from tests.support.keys import CONSUMER_KEYS

THRESHOLD = 5
AT = dt.datetime(2037, 3, 2, 10, tzinfo=dt.UTC)


@dataclass
class Store:
    engine: Engine
    sessions: sessionmaker[Session]

    def deliver(self, events: list[EventEnvelope]) -> None:
        make_handler(self.sessions, self.engine, CONSUMER_KEYS, "events-oversight")(events)

    def summary(self, adviser: str | None = None) -> dict[str, Any]:
        with self.sessions() as session:
            return oversight.summary(session=session, threshold=THRESHOLD, adviser=adviser, since=AT).model_dump()


@pytest.fixture()
def store(databases: TestDatabases) -> Iterator[Store]:
    url = databases.new_url("events_oversight")
    run_migrations(url, MIGRATIONS)
    engine = make_engine(url)
    yield Store(engine, make_session_factory(engine))
    engine.dispose()


def _referral(adviser: str, rank: int | None, reason: str | None = None, words: bool = False) -> EventEnvelope:
    decided = OversightV1(list_id=uuid.uuid4() if rank else None, rank=rank, top=5,
                          within_top=rank is not None and rank <= 5, reason=reason,  # type: ignore[arg-type]
                          has_words=words)
    return referral_event(referral_snapshot(adviser_id=adviser, changed_at=AT, oversight=decided), at=AT)


def _dismissal(adviser: str, reason: str | None, words: bool = False) -> EventEnvelope:
    return dismissed_event(uuid.uuid4(), uuid.uuid4(), reason=reason, adviser=adviser, has_words=words, at=AT)


# What each adviser did: dismissals by reason, referrals by where they stood, the reasons for those against.
DONE = {
    "adviser-a": {"lists": 7, "dismissed": {"too_far": 6, "not_ready": 2},
                  "referred": {"within_top": 5, "outside_top": 5}, "against": {"too_far": 5}},
    "adviser-b": {"lists": 3, "dismissed": {"employer_not_suitable": 5, "words_only": 1},
                  "referred": {"within_top": 6, "not_suggested": 5}, "against": {"words_only": 3, "no_reason": 2}},
}


def _events() -> list[EventEnvelope]:
    events = []
    for adviser, done in DONE.items():
        events += [served_event(uuid.uuid4(), [uuid.uuid4()], viewer=adviser, at=AT) for _ in range(done["lists"])]
        for reason, count in done["dismissed"].items():
            events += [_dismissal(adviser, None if reason == "words_only" else reason, words=True)
                       for _ in range(count)]
        events += [_referral(adviser, rank=2) for _ in range(done["referred"].get("within_top", 0))]
        against = [(reason, n) for reason, count in done["against"].items() for n in range(count)]
        outside = done["referred"].get("outside_top", 0)
        for i, (reason, _) in enumerate(against):
            code = None if reason in ("words_only", "no_reason") else reason
            events.append(_referral(adviser, rank=8 if i < outside else None, reason=code,
                                    words=reason == "words_only"))
    events.append(served_event(uuid.uuid4(), [uuid.uuid4()], viewer=None, at=AT))
    events.append(served_event(uuid.uuid4(), [uuid.uuid4()], viewer="adviser-a",
                               at=AT - dt.timedelta(days=1)))  # before `since`
    return events


def _raw(adviser: str | None) -> dict[str, int]:
    scopes = [DONE[adviser]] if adviser else list(DONE.values())
    raw: dict[str, int] = {}
    for done in scopes:
        for kind in ("dismissed", "referred", "against"):
            for name, count in done[kind].items():
                raw[f"{kind}/{name}"] = raw.get(f"{kind}/{name}", 0) + count
                raw[f"{kind}/all"] = raw.get(f"{kind}/all", 0) + count
    return raw


def _published(figures: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The summary's protected figures by the names _raw uses."""
    cells = {f"dismissed/{reason}": figure for reason, figure in figures["dismissed_by_reason"].items()}
    cells |= {f"against/{reason}": figure for reason, figure in figures["against_by_reason"].items()}
    cells |= {"dismissed/all": figures["dismissed"], "referred/all": figures["referred"],
              "referred/within_top": figures["referred_within_top"],
              "referred/outside_top": figures["referred_outside_top"],
              "referred/not_suggested": figures["referred_not_suggested"],
              "against/all": figures["referred_against_suggestions"]}
    return cells


def test_the_summary_counts_lists_and_decisions_and_hides_small_counts_so_none_can_be_worked_out(
    store: Store,
) -> None:
    store.deliver(_events())
    town = store.summary()
    assert (town["figures"]["lists_served"], town["lists_to_young_people"]) == (10, 1)
    answers = {None: town, **{adviser: store.summary(adviser) for adviser in DONE}}
    assert answers["adviser-a"]["figures"]["lists_served"] == 7
    assert answers["adviser-a"]["lists_to_young_people"] is None

    reader, hidden = Reader(), []
    for adviser, answer in answers.items():
        raw, scope = _raw(adviser), adviser or "town"
        for name, figure in _published(answer["figures"]).items():
            value = raw.get(name, 0)
            if 0 < value < THRESHOLD:
                assert figure["suppressed"], (scope, name, value)
            if not figure["suppressed"]:
                assert figure["value"] == value, (scope, name)
            else:
                hidden.append(f"{scope}/{name}")
            reader.cell(f"{scope}/{name}", figure["value"])
        for total, parts in (("dismissed", oversight.REASONS), ("referred", oversight.REFERRAL_KINDS),
                             ("against", oversight.REASONS)):
            reader.equal_sum(f"{scope}/{total}/all", [f"{scope}/{total}/{part}" for part in parts])
        reader.equal_sum(f"{scope}/against/all", [f"{scope}/referred/outside_top", f"{scope}/referred/not_suggested"])
    for name in _published(town["figures"]):
        reader.equal_sum(f"town/{name}", [f"{adviser}/{name}" for adviser in DONE])
    assert {"town/dismissed/not_ready", "adviser-b/dismissed/words_only", "adviser-b/against/no_reason"} <= set(hidden)
    pinned = {cell: span for cell, span in reader.ranges(hidden).items() if span[0] == span[1]}
    assert pinned == {}


def test_the_records_are_kept_about_the_person_and_erasure_redacts_them(store: Store) -> None:
    profile_id = uuid.uuid4()
    served = served_event(profile_id, [uuid.uuid4(), uuid.uuid4()], viewer="adviser-c", at=AT)
    dismissed = dismissed_event(profile_id, uuid.uuid4(), reason="too_far", adviser="adviser-c", at=AT)
    store.deliver([served, dismissed])
    with store.sessions() as session:
        rows = session.scalars(select(StoredEvent).where(StoredEvent.subject_id == str(profile_id))).all()
        assert {row.event_type for row in rows} == {EventType.SUGGESTIONS_SERVED, EventType.SUGGESTION_DISMISSED}
        [kept] = [row for row in rows if row.event_type == EventType.SUGGESTIONS_SERVED]
        assert [item["rank"] for item in kept.payload["items"]] == [1, 2]
    assert store.summary("adviser-c")["figures"]["lists_served"] == 1

    store.deliver([profile_erased_event(profile_id, 2, at=AT)])
    with store.sessions() as session:
        rows = session.scalars(select(StoredEvent).where(StoredEvent.subject_id == erasure_mark(profile_id))).all()
        kinds = {row.event_type: row.payload for row in rows}
    assert kinds[EventType.SUGGESTIONS_SERVED] == {"redacted": True}
    assert kinds[EventType.SUGGESTION_DISMISSED] == {"redacted": True}
    figures = store.summary("adviser-c")["figures"]
    assert (figures["lists_served"], figures["dismissed"]["value"]) == (0, 0)
