"""Human oversight: every suggestion list the matcher serves is recorded for the audit log, as shown (each item's
rank, score and what its reasons spoke of), with a list id the adviser's decisions (a referral, a dismissal) refer
back to. The record is written to this service's outbox in the request, committed before the answer goes; the
relay takes it to `yg.suggestions` and the events service keeps it. People are named by subject reference only."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Collection, Mapping
from typing import Any, Protocol

from sqlalchemy import Engine, delete, select, text
from sqlalchemy.event import listen
from sqlalchemy.orm import Session, sessionmaker

from services.common.auth import Principal, Role
from services.common.db import scrub_after_erasure
from services.matching.models import OutboxRecord, ServedList
from services.matching.schemas import Explanation, OpportunityCandidates, ProfileMatches
from services.messaging.contract import (
    CandidateItemV1,
    CandidatesServedV1,
    EventEnvelope,
    EventType,
    SuggestedItemV1,
    SuggestionsServedV1,
    make_event,
)
from services.messaging.outbox import add_to_outbox, redact_aggregate
from services.messaging.sealing import pseudonymise
from services.messaging.vocabulary import SuggestionReason

PRODUCER = "matching"

# What each reason the ranking writes (services/matching/ranking.py) speaks of, by its words; the words themselves
# name the person's skills and interests, which no plain event may carry. tests/matching/test_oversight.py checks
# that every reason a real answer gives has a code other than "other".
_REASON_WORDS: tuple[tuple[re.Pattern[str], SuggestionReason], ...] = (
    (re.compile(r"^has \d+ of the \d+ skills"), "skills"),
    (re.compile(r"^interested in "), "interests"),
    (re.compile(r"^remote\b"), "remote"),
    (re.compile(r"^\d+ km away"), "distance"),
    (re.compile(r": eligible, on Universal Credit$"), "universal_credit"),
    (re.compile(r"^age \d+ at start"), "age"),
    (re.compile(r"^wants: "), "wanted_type"),
    (re.compile(r"^priority group: "), "priority_group"),
    (re.compile(r"^closes in \d+ day"), "closing_soon"),
    (re.compile(r"^level \d+: has level \d+"), "level"),
)


def reason_code(reason: str) -> SuggestionReason:
    for pattern, code in _REASON_WORDS:
        if pattern.search(reason):
            return code
    return "other"


def reason_codes(explanation: Explanation, *, beyond_travel: bool = False) -> list[SuggestionReason]:
    """What an item's reasons spoke of, in the order shown, each once."""
    codes = [reason_code(reason) for reason in explanation.reasons]
    if beyond_travel:
        codes.append("beyond_travel")
    return list(dict.fromkeys(codes))


def viewer_of(principal: Principal) -> str | None:
    """Who was shown a list: the adviser by id; a young person is the list's subject, named nowhere else."""
    return principal.sub if principal.role is Role.ADVISER else None


def suggestions_served(
    answer: ProfileMatches, *, list_id: uuid.UUID, subject: uuid.UUID, principal: Principal, k: int, at: dt.datetime
) -> EventEnvelope:
    """suggestions.served for a person's list (the wider results after the ones within reach, ranks continuing)."""
    shown = [*answer.matches, *answer.wider_matches]
    clear = SuggestionsServedV1(
        list_id=list_id,
        profile_id=answer.profile_id,
        viewer_role="adviser" if principal.role is Role.ADVISER else "young_person",
        viewer=viewer_of(principal),
        k=k,
        items=[
            SuggestedItemV1(rank=rank, opportunity_id=item.opportunity_id, score=round(item.score, 4),
                            reasons=reason_codes(item.explanation, beyond_travel=item.beyond_travel),
                            beyond_travel=item.beyond_travel)
            for rank, item in enumerate(shown, start=1)
        ],
        served_at=at,
    )
    aggregate, wire = pseudonymise(EventType.SUGGESTIONS_SERVED, clear, subject=subject, aggregate_id=str(list_id))
    return make_event(EventType.SUGGESTIONS_SERVED, producer=PRODUCER, aggregate_id=aggregate, aggregate_version=1,
                      payload=wire, occurred_at=at)


def candidates_served(
    answer: OpportunityCandidates,
    *,
    list_id: uuid.UUID,
    subjects: dict[uuid.UUID, uuid.UUID],
    principal: Principal,
    k: int,
    at: dt.datetime,
) -> EventEnvelope:
    """candidates.served for an opportunity's list of people, each by subject reference (one whose subject the
    matcher does not know is left out of the record: it would have to be named by profile id)."""
    items = [
        CandidateItemV1(rank=rank, subject=subjects[item.profile_id], score=round(item.score, 4),
                        reasons=reason_codes(item.explanation))
        for rank, item in enumerate(answer.matches, start=1)
        if item.profile_id in subjects
    ]
    payload = CandidatesServedV1(list_id=list_id, opportunity_id=answer.opportunity_id, viewer=principal.sub, k=k,
                                 items=items, served_at=at)
    return make_event(EventType.CANDIDATES_SERVED, producer=PRODUCER, aggregate_id=str(list_id),
                      aggregate_version=1, payload=payload, occurred_at=at)


def _commit_without_waiting_for_the_disk(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class SuggestionLog(Protocol):
    """Where served lists are recorded; erasure reaches what is recorded about a person."""

    def record(self, event: EventEnvelope, *, list_id: uuid.UUID, subject: uuid.UUID | None) -> None: ...

    def forget(self, subject: uuid.UUID) -> int: ...


class HeldRecords:
    """A suggestion log for one request that holds what the use case records, for the route to write through `log`
    off the event loop (`write`, in the thread pool) before the answer goes: while one request waits for the
    database, the others go on. `profiles_of` is the matcher's book of subject references, which lets go of a
    person's references when they are erased."""

    def __init__(self, log: SuggestionLog,
                 profiles_of: Callable[[Collection[uuid.UUID]], Mapping[uuid.UUID, uuid.UUID]]) -> None:
        self.log = log
        self.profiles_of = profiles_of
        self.held: list[tuple[EventEnvelope, uuid.UUID, uuid.UUID | None]] = []

    def record(self, event: EventEnvelope, *, list_id: uuid.UUID, subject: uuid.UUID | None) -> None:
        self.held.append((event, list_id, subject))

    def forget(self, subject: uuid.UUID) -> int:
        return self.log.forget(subject)

    def write(self) -> None:
        """Write what is held; then forget the lists of anyone erased meanwhile. Ingest marks a person erased, then
        forgets their recorded lists: a list committed after that forgetting is about someone the book no longer
        knows, and one committed before it is forgotten by it."""
        subjects = {subject for _, _, subject in self.held if subject is not None}
        for event, list_id, subject in self.held:
            self.log.record(event, list_id=list_id, subject=subject)
        self.held.clear()
        if subjects:  # an employer's candidate list names nobody: no need to wait for the state's lock
            for subject in subjects - self.profiles_of(subjects).keys():
                self.log.forget(subject)


class SqlSuggestionLog:
    """The matcher's outbox: each list's event (and, for a person's list, its subject) in one transaction.

    The record is written in the request, so its commit does not wait for the disk: on SQLite the matcher's
    connections run with synchronous=NORMAL (a commit survives the process dying, not the machine losing power), on
    PostgreSQL the transaction sets synchronous_commit off (it survives the matcher dying; a database server crash
    may lose the last fraction of a second). Waiting for the disk cost 3.9 ms a list at the median on either; without,
    0.7 ms on SQLite and 1.3 ms on PostgreSQL (500 lists of 10, the shared 2-core machine at load average 5), against
    a match that takes a few milliseconds."""

    def __init__(self, session_factory: sessionmaker[Session], engine: Engine) -> None:
        self.session_factory = session_factory
        self.engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        if engine.dialect.name == "sqlite":
            listen(engine, "connect", _commit_without_waiting_for_the_disk)

    def record(self, event: EventEnvelope, *, list_id: uuid.UUID, subject: uuid.UUID | None) -> None:
        with self.session_factory() as session:
            if self._postgres:
                session.execute(text("SET LOCAL synchronous_commit TO OFF"))
            add_to_outbox(session, OutboxRecord, event)
            if subject is not None:
                session.add(ServedList(list_id=list_id, subject=str(subject), served_at=event.occurred_at))
            session.commit()

    def forget(self, subject: uuid.UUID) -> int:
        """A person was erased: their lists' outbox rows keep no payload (unsent ones go), and the links go."""
        with self.session_factory() as session:
            lists = list(session.scalars(select(ServedList.list_id).where(ServedList.subject == str(subject))))
            for list_id in lists:
                redact_aggregate(session, OutboxRecord, str(list_id))
            session.execute(delete(ServedList).where(ServedList.subject == str(subject)))
            session.commit()
        if lists:
            scrub_after_erasure(self.engine)
        return len(lists)
