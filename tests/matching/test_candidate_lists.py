"""Candidate lists for the exposure audit: every open opportunity's list as advisers see it, and how many
opportunities of each type each person is eligible for; over HTTP only to the events service's own token, read by
the events service's client."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest

from infra.seed.synthetic import birth_date_for_age
from services.common.settings import CommonSettings
from services.common.tokens import service_token_source
from services.events.candidates import HttpCandidateSource, MatcherUnavailable
from services.matching import service
from services.matching.config import MatchingSettings
from services.matching.ingest import Ingestor
from services.matching.main import create_app
from services.matching.ranking import Filters
from services.matching.runtime import new_state
from services.matching.state import MatchingState
from tests.matching.helpers import BUXTON, HashingEmbedder, person
from tests.support.events import KEYS, opportunity_event, opportunity_snapshot, profile_event, typical_start_date
from tests.support.keys import CONSUMER_KEYS
from tests.support.live_server import live_server
from tests.support.topics import TopicPublisher
from tests.support.waiting import wait_for

SETTINGS = MatchingSettings(concepts=False)


def _world() -> tuple[MatchingState, dict[str, uuid.UUID]]:
    """Two open apprenticeships (one in Buxton, 20 km out), an open job, a closed and a filled apprenticeship;
    a 19-year-old who travels 10 km, one who travels 40 km, and a 27-year-old (too old for apprenticeships)."""
    embedder = HashingEmbedder()
    state = new_state(SETTINGS, embedder.dim)
    assert BUXTON is not None
    postings = {
        "near": opportunity_snapshot(),
        "buxton": opportunity_snapshot(postcode_district=BUXTON.outward_code, latitude=BUXTON.latitude,
                                       longitude=BUXTON.longitude),
        "job": opportunity_snapshot(type="job", max_age=None, title="Warehouse operative"),
        "closed": opportunity_snapshot(status="closed"),
        "filled": opportunity_snapshot(positions=1, positions_filled=1),
    }
    people = {"near": person(max_travel_km=10), "far": person(max_travel_km=40),
              "older": person(max_travel_km=40, date_of_birth=birth_date_for_age(27, typical_start_date()))}
    Ingestor(state, embedder, KEYS).apply([*(opportunity_event(p) for p in postings.values()),
                                           *(profile_event(p) for p in people.values())])
    ids = {f"posting:{name}": p.opportunity_id for name, p in postings.items()}
    ids |= {f"person:{name}": p.profile_id for name, p in people.items()}
    return state, ids


def test_every_open_opportunity_has_its_list_and_eligibility_is_counted_by_type() -> None:
    state, ids = _world()
    today = dt.date.today()
    answer = service.candidate_lists(state=state, settings=SETTINGS, k=10, today=today)
    listed = {item.opportunity_id: item for item in answer.lists}
    assert set(listed) == {ids["posting:near"], ids["posting:buxton"], ids["posting:job"]}  # not closed or filled
    for opportunity_id, item in listed.items():  # the same list an adviser sees
        seen = service.candidates_for_opportunity(state=state, settings=SETTINGS, opportunity_id=opportunity_id,
                                                  k=10, filters=Filters(), today=today)
        assert item.profile_ids == [match.profile_id for match in seen.matches]
    assert set(listed[ids["posting:buxton"]].profile_ids) == {ids["person:far"]}
    eligible = {entry.profile_id: entry.by_type for entry in answer.eligible}
    assert eligible == {
        ids["person:near"]: {"apprenticeship": 1, "job": 1},  # Buxton is beyond 10 km
        ids["person:far"]: {"apprenticeship": 2, "job": 1},
        ids["person:older"]: {"job": 1},  # too old for the apprenticeships (16-24)
    }
    shorter = service.candidate_lists(state=state, settings=SETTINGS, k=1, today=today)
    assert [len(item.profile_ids) for item in shorter.lists] == [1, 1, 1]


def test_the_events_service_reads_them_over_http_and_nobody_else_may(
    bootstrap_servers: str, publisher: TopicPublisher, tmp_path: Path,
) -> None:
    settings = MatchingSettings(kafka_bootstrap_servers=bootstrap_servers, data_dir=tmp_path, environment="test",
                                concepts=False, consumer_name=f"matching-lists-{uuid.uuid4().hex[:8]}")
    posting = opportunity_snapshot(title="Candidate list audit apprentice")
    young = person(max_travel_km=10)
    common = CommonSettings()
    with live_server(create_app(settings, embedder=HashingEmbedder(), keys=CONSUMER_KEYS)) as url:
        publisher.publish(opportunity_event(posting), profile_event(young))
        events = HttpCandidateSource(url, service_token_source(common.service_signer("events"), "matching"),
                                     timeout=30)

        def listed() -> bool:
            try:
                lists = events.candidate_lists(10)
            except MatcherUnavailable:  # 503 while the index loads
                return False
            # The topics hold other tests' people too, who may fill the top 10; the eligible counts hold everyone.
            return (any(item.opportunity_id == posting.opportunity_id and item.profile_ids for item in lists.lists)
                    and any(entry.profile_id == young.profile_id and entry.by_type.get("apprenticeship")
                            for entry in lists.eligible))

        wait_for(listed, what="the posting's candidate list and the person's eligibility", timeout=60)
        events.close()
        for caller in ("notifications", "opportunities", "matching"):
            other = HttpCandidateSource(url, service_token_source(common.service_signer(caller), "matching"),
                                        timeout=30)
            with pytest.raises(MatcherUnavailable, match="answered 403"):
                other.candidate_lists(10)
            other.close()


def test_the_benchmark_audits_the_same_lists_as_the_dashboard_and_leaves_the_state_as_it_was() -> None:
    from types import SimpleNamespace

    from benchmarks import quality
    from services.messaging.vocabulary import PRIORITY_GROUPS

    state, _ids = _world()
    before = len(state.profiles)
    audit = quality.exposure_audit(state=state, embedder=HashingEmbedder(), seed=7, say=lambda _line: None,
                                   corpus=SimpleNamespace(today=dt.date.today()), count=60)  # type: ignore[arg-type]
    assert len(state.profiles) == before
    assert audit["people"] == 60 and "all" in audit["groups"]
    shown = 0
    for kind, groups in audit["groups"].items():
        assert set(groups) == set(PRIORITY_GROUPS), kind
        for row in groups.values():
            if row.get("suppressed"):
                assert set(row) == {"suppressed"}
                continue
            assert row["people"] >= quality.SMALL
            if row.get("shares_suppressed"):
                assert kind != "all" and set(row) == {"people", "shares_suppressed"}
                continue
            shown += 1
            if row["ratio"] is not None:
                assert row["ratio"] == pytest.approx(row["exposure_share"] / row["eligible_share"], abs=0.02)
    assert shown
    # SEND is audited though the matcher never holds it: joined afterwards, as the events service does.
    assert audit["groups"]["all"]["send"]["people"] >= quality.SMALL
