"""Unit tests of the text that is embedded and of ingest bookkeeping, with an in-memory embedder."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections.abc import Collection, Sequence

import numpy as np
import pytest

from services.common.auth import Principal, Role
from services.matching import service
from services.matching.config import MatchingSettings
from services.matching.ingest import Ingestor
from services.matching.ranking import Filters
from services.matching.runtime import new_state
from services.matching.text import PROFILE_TEXT_FIELDS, opportunity_text, profile_text
from services.messaging.contract import EventType, KeyPurpose, ProfileSnapshotV1, RecordViewedV1, make_event
from services.messaging.sealing import DataKey, pseudonymise
from tests.matching.helpers import HashingEmbedder, person
from tests.support.events import KEYS, opportunity_event, opportunity_snapshot, profile_erased_event, profile_event

pytestmark = pytest.mark.unit


def test_profile_text_uses_only_matchable_fields() -> None:
    young = person(postcode_district="SK4", adviser_id="adviser-secret-7", about="Likes bikes.")
    text = profile_text(young)
    assert "forklift driving" in text and "warehouse work" in text and "Likes bikes." in text
    for value in ("SK4", "adviser-secret-7", str(young.profile_id), str(young.date_of_birth.year), "care_leaver"):
        assert value not in text
    unmatchable = set(ProfileSnapshotV1.model_fields) - set(PROFILE_TEXT_FIELDS)
    changed = young.model_copy(update={"max_travel_km": 99.0, "on_universal_credit": False, "status": "training",
                                       "priority_groups": ["young_carer"], "postcode_district": "SK2"})
    assert profile_text(changed) == text, f"only {PROFILE_TEXT_FIELDS} may shape the text, not {unmatchable}"


def test_opportunity_text_names_title_description_skills_sector_level_type() -> None:
    job = opportunity_snapshot(title="Chef", description="Cook.", skills=["knife skills"], sector="hospitality",
                               level=3, type="kickstart", postcode_district="SK9")
    assert opportunity_text(job) == "Chef. Cook. knife skills. hospitality. Kick-Start placement. Level 3."


def test_unchanged_text_is_not_embedded_again_and_stale_events_are_ignored() -> None:
    embedder = HashingEmbedder()
    state = new_state(MatchingSettings(), embedder.dim)
    ingest = Ingestor(state, embedder, KEYS)
    young = person()
    ingest.apply([profile_event(young)])
    assert len(embedder.texts) == 1

    moved = young.model_copy(update={"max_travel_km": 25.0})  # facts change, text does not
    ingest.apply([profile_event(moved, version=2), profile_event(young, version=1)])
    assert len(embedder.texts) == 1
    assert state.profiles.get(young.profile_id).max_travel_km == 25.0  # type: ignore[union-attr]

    retrained = young.model_copy(update={"skills": ["welding"]})
    ingest.apply([profile_event(retrained, version=3), profile_event(retrained, version=3)])
    assert embedder.texts[1:] == [profile_text(retrained)]


def test_a_burst_is_embedded_in_one_call_keeping_the_newest_version() -> None:
    embedder = HashingEmbedder()
    calls: list[int] = []
    original = embedder.embed

    def counting(texts: Sequence[str]) -> np.ndarray:
        calls.append(len(texts))
        return original(texts)

    embedder.embed = counting  # type: ignore[method-assign]
    state = new_state(MatchingSettings(), embedder.dim)
    jobs = [opportunity_snapshot() for _ in range(20)]
    renamed = jobs[0].model_copy(update={"title": "Renamed"})
    events = [opportunity_event(j) for j in jobs] + [opportunity_event(renamed, version=2)]
    Ingestor(state, embedder, KEYS).apply(events)
    assert calls == [20]
    assert state.opportunities.get(jobs[0].opportunity_id).title == "Renamed"  # type: ignore[union-attr]


def test_erasure_forgets_the_person_and_a_replay_cannot_restore_them() -> None:
    embedder = HashingEmbedder()
    state = new_state(MatchingSettings(), embedder.dim)
    ingest = Ingestor(state, embedder, KEYS)
    young = person()
    ingest.apply([profile_event(young)])
    ingest.apply([profile_erased_event(young.profile_id, version=2)])
    assert state.profiles.get(young.profile_id) is None and str(young.profile_id) not in state.versions
    assert len(state.profiles.index) == 0
    ingest.apply([profile_event(young, version=1), profile_event(young, version=5)])
    assert state.profiles.get(young.profile_id) is None


class CountingKeys:
    """The builders' key ring, counting the subjects asked for."""

    def __init__(self) -> None:
        self.asked: list[uuid.UUID] = []

    def fetch(self, purpose: KeyPurpose, subjects: Collection[uuid.UUID]) -> dict[uuid.UUID, DataKey]:
        self.asked.extend(subjects)
        return KEYS.fetch(purpose, subjects)

    def subject_of(self, profile_id: uuid.UUID) -> uuid.UUID | None:
        return KEYS.subject_of(profile_id)

    def forget(self, subjects: Collection[uuid.UUID]) -> None:
        KEYS.forget(subjects)

    def close(self) -> None:
        pass


def test_looks_at_a_persons_record_are_not_opened_by_the_matcher() -> None:
    """Who looked at whom is for the audit log: the matcher fetches no key for it and changes nothing."""
    embedder, keys = HashingEmbedder(), CountingKeys()
    state = new_state(MatchingSettings(), embedder.dim)
    ingest = Ingestor(state, embedder, keys)
    young = person()
    registered = profile_event(young)
    view_id = uuid.uuid4()
    viewed = RecordViewedV1(view_id=view_id, profile_id=young.profile_id, viewer_role="adviser", viewer="adviser-1",
                            record="profile", viewed_at=dt.datetime.now(dt.UTC))
    subject = KEYS.subject_of(young.profile_id)
    assert subject is not None
    aggregate, wire = pseudonymise(EventType.PROFILE_VIEWED, viewed, subject=subject, aggregate_id=str(view_id))
    look = make_event(EventType.PROFILE_VIEWED, producer="profiles", aggregate_id=aggregate, aggregate_version=1,
                      payload=wire)
    assert ingest.apply([look]) == 0 and keys.asked == []
    assert ingest.apply([registered, look]) == 1 and keys.asked == [subject]


def test_a_match_request_does_not_wait_for_the_whole_batch_being_applied() -> None:
    """Applying a batch takes the state's lock for one change at a time, so a request waiting for it gets in
    between. (Python's lock is not fair: under CPU contention the ingest thread may take it again first a few
    times, so the bound is half the batch, where holding the lock for the batch makes the request wait all of it.)"""
    embedder = HashingEmbedder()
    settings = MatchingSettings(concepts=False)
    state = new_state(settings, embedder.dim)
    ingest = Ingestor(state, embedder, KEYS)
    asker = person()
    ingest.apply([opportunity_event(opportunity_snapshot()), profile_event(asker)])
    put_person, puts = state.put_person, []

    def slow_put(*args: object, **kwargs: object) -> None:
        puts.append(time.monotonic())
        time.sleep(0.02)
        put_person(*args, **kwargs)  # type: ignore[arg-type]

    state.put_person = slow_put  # type: ignore[method-assign]
    applying = threading.Thread(target=ingest.apply, args=([profile_event(person()) for _ in range(100)],))
    applying.start()
    while not puts:
        time.sleep(0.001)
    asked = time.monotonic()
    service.matches_for_profile(state=state, settings=settings, principal=Principal(Role.ADVISER, "a"),
                                profile_id=asker.profile_id, k=5, filters=Filters(), today=dt.date.today())
    waited = time.monotonic() - asked
    applying.join()
    batch = puts[-1] - puts[0] + 0.02
    assert len(puts) == 100
    assert waited < batch / 2, f"the request waited {waited:.2f} s of the batch's {batch:.2f} s"
