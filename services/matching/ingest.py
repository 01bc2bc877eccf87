"""Applying events to the matcher's state: newest version per aggregate wins, stale and duplicate events are
ignored, texts are embedded in one burst per batch, and only when they changed."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import structlog

from services.matching.embedder import Embedder
from services.matching.facts import EmployerFacts, OpportunityFacts, PersonFacts
from services.matching.oversight import SuggestionLog
from services.matching.state import MatchingState, Referral
from services.matching.text import opportunity_text, profile_text, text_hash
from services.messaging.contract import (
    EmployerSnapshotV1,
    EventEnvelope,
    EventType,
    OpportunitySnapshotV1,
    ProfileErasedV1,
    ProfileSnapshotV1,
    ReferralV1,
    SuggestionDismissedV1,
)
from services.messaging.sealing import PERSONAL, KeyRing, Opener, is_pseudonymised

log = structlog.get_logger("matching.ingest")

OPPORTUNITY_EVENTS = {
    EventType.OPPORTUNITY_PUBLISHED,
    EventType.OPPORTUNITY_UPDATED,
    EventType.OPPORTUNITY_CLOSED,
    EventType.OPPORTUNITY_HELD_BACK,
}
PROFILE_EVENTS = {EventType.PROFILE_REGISTERED, EventType.PROFILE_UPDATED}
REFERRAL_EVENTS = {EventType.REFERRAL_CREATED, EventType.REFERRAL_STATUS_CHANGED}
# A dismissed suggestion leaves the person's suggestions, as a referral does.
DISMISSAL_EVENTS = {EventType.SUGGESTION_DISMISSED}
EMPLOYER_EVENTS = {EventType.EMPLOYER_REGISTERED, EventType.EMPLOYER_UPDATED}
APPLIED = (
    OPPORTUNITY_EVENTS | PROFILE_EVENTS | REFERRAL_EVENTS | DISMISSAL_EVENTS | EMPLOYER_EVENTS
    | {EventType.PROFILE_ERASED}
)


@dataclass
class _Pending:
    event: EventEnvelope
    facts: OpportunityFacts | PersonFacts | EmployerFacts | None = None
    text: str | None = None


class Ingestor:
    """The consumer's batch handler: opens the events with the personal keys (never special category ones), the
    state keeping which subject reference names which person."""

    def __init__(
        self, state: MatchingState, embedder: Embedder, keys: KeyRing, suggestion_log: SuggestionLog | None = None
    ) -> None:
        self.state = state
        self.embedder = embedder
        self.suggestion_log = suggestion_log  # the served lists' records, which a person's erasure reaches
        self.opener = Opener(keys, state, purposes=PERSONAL)
        self.embedded_texts = 0

    def __call__(self, events: Sequence[EventEnvelope]) -> None:
        self.apply(events)

    def apply(self, events: Sequence[EventEnvelope]) -> int:
        """Apply a batch; returns how many events changed the state. Events that cannot be opened (about people
        since erased) are about nobody the matcher may know and change nothing."""
        wanted = [event for event in events if event.event_type in APPLIED]  # e.g. not who looked at whom
        changed = self._apply_clear([event for event in self.opener.open(wanted) if not is_pseudonymised(event)])
        self.opener.settle(events)
        return changed

    def _apply_clear(self, events: Sequence[EventEnvelope]) -> int:
        newest: dict[str, EventEnvelope] = {}
        for event in events:
            if event.event_type not in APPLIED:
                continue
            seen = newest.get(event.aggregate_id)
            if seen is None or event.aggregate_version > seen.aggregate_version:
                newest[event.aggregate_id] = event
        with self.state.lock:
            current = [e for e in newest.values() if self.state.is_current(e.aggregate_id, e.aggregate_version)]
        pending = [self._prepare(event) for event in current]
        to_embed = [item for item in pending if item.text is not None]
        vectors = self.embedder.embed([item.text for item in to_embed if item.text is not None])
        self.embedded_texts += len(to_embed)
        by_id = {id(item): vectors[i] for i, item in enumerate(to_embed)}
        erased: list[uuid.UUID] = []
        for item in pending:  # the lock for one change at a time: a match request waits for one, not the batch
            with self.state.lock:
                subject = self._apply_one(item, by_id.get(id(item)))
            if subject is not None:
                erased.append(subject)
        if self.suggestion_log is not None:
            for subject in erased:
                self.suggestion_log.forget(subject)
        concepts = self.state.concepts
        if concepts is not None:
            concepts.warm(phrases_of(item.facts for item in to_embed), self.embedder)
        return len(pending)

    def _prepare(self, event: EventEnvelope) -> _Pending:
        """Parse the payload and decide whether its text must be embedded (only when it changed)."""
        item = _Pending(event)
        payload = event.typed_payload()
        version = event.aggregate_version
        if isinstance(payload, OpportunitySnapshotV1):
            text = opportunity_text(payload)
            facts: OpportunityFacts | PersonFacts = OpportunityFacts.from_snapshot(payload, version, text_hash(text))
            catalogue = self.state.opportunities
            needs_vector = payload.status == "live"
        elif isinstance(payload, ProfileSnapshotV1):
            text = profile_text(payload)
            facts = PersonFacts.from_snapshot(payload, version, text_hash(text))
            catalogue = self.state.profiles  # type: ignore[assignment]
            needs_vector = True
        elif isinstance(payload, EmployerSnapshotV1):
            item.facts = EmployerFacts.from_snapshot(payload, version)
            return item
        else:
            return item
        item.facts = facts
        if needs_vector:
            with self.state.lock:
                old = catalogue.get(facts.key)  # type: ignore[arg-type]
                row = catalogue.row_of(facts.key)
                unchanged = (
                    old is not None
                    and old.text_hash == facts.text_hash
                    and row is not None
                    and catalogue.index.contains(row)
                )
            if not unchanged:
                item.text = text
        return item

    def _apply_one(self, item: _Pending, vector: np.ndarray | None) -> uuid.UUID | None:
        """Apply one event; returns the subject reference of a person it erased."""
        event, state = item.event, self.state
        if not state.is_current(event.aggregate_id, event.aggregate_version):
            return None
        if isinstance(item.facts, OpportunityFacts):
            state.put_opportunity(item.facts, vector)
        elif isinstance(item.facts, PersonFacts):
            state.put_person(item.facts, vector)
        elif isinstance(item.facts, EmployerFacts):
            state.put_employer(item.facts)
        elif event.event_type is EventType.PROFILE_ERASED:
            erased: ProfileErasedV1 = event.typed_payload()
            subject = state.subject_of(erased.profile_id)
            state.erase_person(erased.profile_id)
            return subject
        elif event.event_type in REFERRAL_EVENTS:
            referral: ReferralV1 = event.typed_payload()
            if state.is_erased(referral.profile_id):
                return None  # the person was erased: keep nothing that links them to an opportunity
            state.put_referral(
                referral.referral_id,
                Referral(referral.profile_id, referral.opportunity_id, referral.status),
                event.aggregate_version,
            )
        elif event.event_type in DISMISSAL_EVENTS:
            dismissed: SuggestionDismissedV1 = event.typed_payload()
            if not state.is_erased(dismissed.profile_id):
                state.put_dismissal(dismissed.dismissal_id, dismissed.profile_id, dismissed.opportunity_id,
                                    event.aggregate_version)
        return None


def phrases_of(facts: Iterable[OpportunityFacts | PersonFacts | EmployerFacts | None]) -> list[str]:
    """The phrases a match request compares by meaning, of the postings and people among `facts`."""
    return [phrase for item in facts if isinstance(item, OpportunityFacts | PersonFacts) for phrase in item.phrases]
