"""Human oversight in the matcher: every suggestion list it serves is recorded in its outbox for the audit log, as
shown (rank, score, what the reasons spoke of) under the list id the answer carries, naming people by subject
reference only; a dismissed suggestion is not suggested again (nor the person as a candidate), also after a save
and load; a person's erasure reaches the recorded lists."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from infra.seed.synthetic import HOME_LATITUDE, HOME_LONGITUDE
from services.common.auth import Principal, Role
from services.common.db import make_engine, make_session_factory, run_migrations
from services.matching import service
from services.matching.config import MatchingSettings
from services.matching.ingest import Ingestor
from services.matching.main import MIGRATIONS
from services.matching.models import OutboxRecord, ServedList
from services.matching.oversight import HeldRecords, SqlSuggestionLog, SuggestionLog, reason_code
from services.matching.persistence import hnsw_loader, load, save
from services.matching.ranking import Filters
from services.matching.runtime import index_params, new_state
from services.matching.state import MatchingState
from tests.matching.helpers import HashingEmbedder, person
from tests.support.events import KEYS, dismissed_event, opportunity_event, opportunity_snapshot, profile_erased_event
from tests.support.events import profile_event as profile_event_of

pytestmark = pytest.mark.unit
SETTINGS = MatchingSettings(concepts=False)
ADVISER = Principal(Role.ADVISER, "adviser-1")
TODAY = dt.date.today()


@pytest.fixture()
def log(tmp_path: Path) -> Iterator[SqlSuggestionLog]:
    url = f"sqlite:///{tmp_path / 'matching.db'}"
    run_migrations(url, MIGRATIONS)
    engine = make_engine(url)
    yield SqlSuggestionLog(make_session_factory(engine), engine)
    engine.dispose()


def _town() -> tuple[MatchingState, Ingestor, Any, Any, list[Any]]:
    """Postings that give every kind of reason, a young person who wants an apprenticeship, and another."""
    embedder = HashingEmbedder()
    state = new_state(SETTINGS, embedder.dim)
    ingestor = Ingestor(state, embedder, KEYS)
    postings = [
        opportunity_snapshot(),
        opportunity_snapshot(title="Online office skills course", type="training", level=3, remote=True, min_age=None,
                             max_age=None, requires_universal_credit=True, skills=["typing"],
                             closing_date=TODAY + dt.timedelta(days=3)),
        opportunity_snapshot(title="Delivery driver's mate", type="job", min_age=None, max_age=None,
                             latitude=HOME_LATITUDE + 0.04, longitude=HOME_LONGITUDE),
    ]
    someone = person(preferred_types=["apprenticeship"], on_universal_credit=True, priority_groups=["care_leaver"])
    other = person()
    ingestor.apply([*(opportunity_event(p) for p in postings), profile_event_of(someone), profile_event_of(other)])
    return state, ingestor, someone, other, postings


def _outbox(log: SqlSuggestionLog) -> list[dict[str, Any]]:
    with log.session_factory() as session:
        return list(session.scalars(select(OutboxRecord.envelope).order_by(OutboxRecord.id)))


def _matches(state: MatchingState, profile_id: uuid.UUID, log: SuggestionLog | None = None,
             principal: Principal = ADVISER) -> Any:
    return service.matches_for_profile(state=state, settings=SETTINGS, principal=principal, profile_id=profile_id,
                                       k=10, filters=Filters(), today=TODAY, log=log,
                                       now=dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC))


def test_a_served_list_is_recorded_with_its_items_and_no_profile_id(log: SqlSuggestionLog) -> None:
    state, _, someone, _, _ = _town()
    answer = _matches(state, someone.profile_id, log)
    assert answer.list_id is not None and len(answer.matches) == 3
    [event] = _outbox(log)
    assert (event["event_type"], event["schema_version"], event["producer"]) == ("suggestions.served", 2, "matching")
    assert event["aggregate_id"] == str(answer.list_id)
    payload = event["payload"]
    assert payload["subject"] == str(KEYS.subject_of(someone.profile_id))
    assert (payload["list_id"], payload["viewer_role"], payload["viewer"], payload["k"]) == (
        str(answer.list_id), "adviser", "adviser-1", 10)
    assert [(item["rank"], item["opportunity_id"], item["score"]) for item in payload["items"]] == [
        (rank, str(match.opportunity_id), round(match.score, 4)) for rank, match in enumerate(answer.matches, 1)
    ]
    assert [item["reasons"] for item in payload["items"]] == [
        list(dict.fromkeys(reason_code(reason) for reason in match.explanation.reasons)) for match in answer.matches
    ]
    assert str(someone.profile_id) not in json.dumps(event)
    assert "forklift" not in json.dumps(event)  # the reasons' words name the person's skills: codes only

    own = _matches(state, someone.profile_id, log, principal=Principal(Role.YOUNG_PERSON, str(someone.profile_id)))
    latest = _outbox(log)[-1]["payload"]
    assert (latest["list_id"], latest["viewer_role"], latest["viewer"]) == (str(own.list_id), "young_person", None)
    assert own.list_id != answer.list_id


def test_every_reason_the_ranking_gives_has_a_code() -> None:
    state, _, someone, _, postings = _town()
    answer = _matches(state, someone.profile_id)
    candidates = service.candidates_for_opportunity(state=state, settings=SETTINGS,
                                                    opportunity_id=postings[0].opportunity_id, k=10,
                                                    filters=Filters(), today=TODAY)
    reasons = [reason for item in [*answer.matches, *candidates.matches] for reason in item.explanation.reasons]
    codes = {reason: reason_code(reason) for reason in reasons}
    assert "other" not in codes.values(), codes
    assert {"skills", "distance", "remote", "universal_credit", "age", "wanted_type", "closing_soon",
            "priority_group", "level"} <= set(codes.values())


def test_a_candidate_list_is_recorded_by_subject_references(log: SqlSuggestionLog) -> None:
    state, _, someone, other, postings = _town()
    answer = service.candidates_for_opportunity(
        state=state, settings=SETTINGS, opportunity_id=postings[0].opportunity_id, k=10, filters=Filters(),
        today=TODAY, principal=ADVISER, log=log,
    )
    assert {match.profile_id for match in answer.matches} == {someone.profile_id, other.profile_id}
    [event] = _outbox(log)
    assert (event["event_type"], event["schema_version"]) == ("candidates.served", 1)
    assert [(item["rank"], item["subject"]) for item in event["payload"]["items"]] == [
        (rank, str(KEYS.subject_of(match.profile_id))) for rank, match in enumerate(answer.matches, 1)
    ]
    assert event["payload"]["list_id"] == str(answer.list_id)
    assert str(someone.profile_id) not in json.dumps(event) and str(other.profile_id) not in json.dumps(event)


def test_a_dismissed_suggestion_is_not_suggested_again_even_after_a_restart(tmp_path: Path) -> None:
    state, ingestor, someone, other, postings = _town()
    dismissed = postings[0].opportunity_id
    ingestor.apply([dismissed_event(someone.profile_id, dismissed, rank=1, list_id=uuid.uuid4())])
    assert dismissed not in {m.opportunity_id for m in _matches(state, someone.profile_id).matches}
    assert dismissed in {m.opportunity_id for m in _matches(state, other.profile_id).matches}
    candidates = service.candidates_for_opportunity(state=state, settings=SETTINGS, opportunity_id=dismissed, k=10,
                                                    filters=Filters(), today=TODAY)
    assert [m.profile_id for m in candidates.matches] == [other.profile_id]

    save(state, tmp_path, model="hashing", dim=HashingEmbedder.dim, embedder="hashing")
    loaded, _ = load(tmp_path, model="hashing", dim=HashingEmbedder.dim,
                     load_index=hnsw_loader(**index_params(SETTINGS)), looking_statuses=SETTINGS.looking_statuses)
    assert dismissed not in {m.opportunity_id for m in _matches(loaded, someone.profile_id).matches}
    assert loaded.subject_of(someone.profile_id) == KEYS.subject_of(someone.profile_id)


def test_erasure_reaches_the_recorded_lists_and_the_dismissals(log: SqlSuggestionLog) -> None:
    state, _, someone, other, postings = _town()
    ingestor = Ingestor(state, HashingEmbedder(), KEYS, log)
    ingestor.apply([dismissed_event(someone.profile_id, postings[1].opportunity_id)])
    kept = _matches(state, other.profile_id, log)
    _matches(state, someone.profile_id, log)
    _matches(state, someone.profile_id, log)
    with log.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(ServedList)) == 3
        first = session.scalars(select(OutboxRecord).order_by(OutboxRecord.id)).all()
        for row in first[1:]:
            row.sent_at = dt.datetime.now(dt.UTC)  # as if the relay had sent one of theirs already
            break
        session.commit()

    ingestor.apply([profile_erased_event(someone.profile_id, 2)])
    assert state.dismissals == {} and state.subject_of(someone.profile_id) is None
    with log.session_factory() as session:
        assert list(session.scalars(select(ServedList.list_id))) == [kept.list_id]
        rows = session.scalars(select(OutboxRecord).order_by(OutboxRecord.id)).all()
    assert [row.aggregate_id for row in rows[:1]] == [str(kept.list_id)]
    assert [row.envelope["payload"] for row in rows[1:]] == [{"redacted": True}]  # the sent one; unsent ones went
    assert str(KEYS.subject_of(other.profile_id)) in json.dumps(rows[0].envelope)


def test_a_list_written_after_its_person_was_erased_is_forgotten_too(log: SqlSuggestionLog) -> None:
    """A match route writes its list's record after the use case let go of the state (HeldRecords, in the thread
    pool). Ingest may erase the person in between and forget their recorded lists before this one is written."""
    state, _, someone, other, _ = _town()
    ingestor = Ingestor(state, HashingEmbedder(), KEYS, log)
    theirs, others = HeldRecords(log, state.profiles_of), HeldRecords(log, state.profiles_of)
    kept = _matches(state, other.profile_id, others)
    _matches(state, someone.profile_id, theirs)
    ingestor.apply([profile_erased_event(someone.profile_id, 2)])  # forgets what is recorded of them: nothing yet
    theirs.write()
    others.write()
    with log.session_factory() as session:
        assert list(session.scalars(select(ServedList.list_id))) == [kept.list_id]
        rows = session.scalars(select(OutboxRecord)).all()
    assert [row.aggregate_id for row in rows] == [str(kept.list_id)]  # theirs was unsent: it went
    assert str(KEYS.subject_of(someone.profile_id)) not in json.dumps([row.envelope for row in rows])
