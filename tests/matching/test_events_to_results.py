"""Events in, results out, through the real broker and the real model: matches both ways, explanations, the
same final state whatever the order or duplication of events, poison records, readiness and who may ask."""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

from services.messaging.contract import Topic, dead_letter_topic
from tests.matching.helpers import Matcher, opportunity_ids, person, profile_ids
from tests.support.events import opportunity_event, opportunity_snapshot, profile_event
from tests.support.topics import TopicPublisher, TopicReader
from tests.support.waiting import wait_for


def test_published_events_become_matches_both_ways(matcher: Matcher) -> None:
    warehouse = opportunity_snapshot()
    bakery = opportunity_snapshot(title="Trainee baker", description="Bake bread and cakes in a high street bakery.",
                         skills=["baking", "food hygiene"], sector="food")
    young = person()
    matcher.publish(opportunity_event(warehouse), opportunity_event(bakery), profile_event(young))
    matcher.wait_known(warehouse.opportunity_id, bakery.opportunity_id, young.profile_id)

    body = matcher.matches_for(young.profile_id, k=10)
    assert body["profile_id"] == str(young.profile_id)
    found = opportunity_ids(body)
    assert found.index(str(warehouse.opportunity_id)) < found.index(str(bakery.opportunity_id))
    top = body["matches"][found.index(str(warehouse.opportunity_id))]
    # the page's view: test_match_summary; beyond_travel: test_widening
    assert set(top) == {"opportunity_id", "score", "explanation", "opportunity", "beyond_travel"}
    assert set(top["explanation"]) == {"matched_skills", "missing_skills", "distance_km", "reasons",
                                       "matched_interests", "skill_matches", "level_fit"}

    candidates = matcher.candidates_for(warehouse.opportunity_id)
    assert candidates["opportunity_id"] == str(warehouse.opportunity_id)
    assert str(young.profile_id) in profile_ids(candidates)
    assert set(candidates["matches"][0]) == {"profile_id", "score", "explanation"}
    # Each list served is in the matcher's outbox for the audit log, under the id the answer gave (see test_oversight)
    recorded = matcher.recorded_lists()
    assert (recorded[body["list_id"]], recorded[candidates["list_id"]]) == ("suggestions.served", "candidates.served")


def test_explanations_name_the_right_skills(matcher: Matcher) -> None:
    job = opportunity_snapshot(skills=["stock control", "forklift driving", "first aid", "Microsoft Excel"])
    young = person(skills=["Forklift driving", "stock control", "teamwork"], max_travel_km=15)
    matcher.publish(opportunity_event(job), profile_event(young))
    matcher.wait_known(job.opportunity_id, young.profile_id)

    match = next(m for m in matcher.matches_for(young.profile_id)["matches"]
                 if m["opportunity_id"] == str(job.opportunity_id))
    why = match["explanation"]
    assert why["matched_skills"] == ["stock control", "forklift driving"]
    assert why["missing_skills"] == ["first aid", "Microsoft Excel"]
    assert why["distance_km"] == 0.0
    assert "has 2 of the 4 skills it asks for: stock control, forklift driving" in why["reasons"]
    assert "0 km away (travels up to 15 km)" in why["reasons"]

    kickstart = opportunity_snapshot(type="kickstart", requires_universal_credit=True, skills=["stock control"])
    matcher.publish(opportunity_event(kickstart))
    matcher.wait_known(kickstart.opportunity_id)
    candidate = next(m for m in matcher.candidates_for(kickstart.opportunity_id)["matches"]
                     if m["profile_id"] == str(young.profile_id))
    assert candidate["explanation"]["matched_skills"] == ["stock control"]
    assert "Kick-Start placement: eligible, on Universal Credit" in candidate["explanation"]["reasons"]
    assert "priority group: care leaver" in candidate["explanation"]["reasons"]


def _facts_and_vector(matcher: Matcher, opportunity_id: uuid.UUID) -> tuple[dict, np.ndarray | None]:
    state = matcher.runtime.state
    assert state is not None
    with state.lock:
        facts = state.opportunities.get(opportunity_id)
        assert facts is not None
        row = state.opportunities.row_of(opportunity_id)
        vector = state.opportunities.index.vector(row) if row is not None else None
        # The dataclass fields, not __dict__, which also holds what is cached from them (skill_keys, saved).
        fields = {f.name: getattr(facts, f.name) for f in dataclasses.fields(facts) if f.name != "opportunity_id"}
        return fields, vector


def test_duplicate_and_out_of_order_events_leave_the_same_final_state(matcher: Matcher) -> None:
    a, b, employer = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    versions = [
        dict(title="Junior chef", description="Prepare vegetables.", skills=["knife skills"], positions=1),
        dict(title="Commis chef", description="Cook breakfasts in a hotel kitchen.", skills=["food hygiene"],
             positions=2),
        dict(title="Commis chef", description="Cook breakfasts in a hotel kitchen.",
             skills=["food hygiene", "knife skills"], positions=3),
    ]
    in_order = [opportunity_event(opportunity_snapshot(opportunity_id=a, employer_id=employer, **v), version=i + 1)
                for i, v in enumerate(versions)]
    shuffled_source = [opportunity_event(opportunity_snapshot(opportunity_id=b, employer_id=employer, **v),
                                         version=i + 1) for i, v in enumerate(versions)]
    v1, v2, v3 = shuffled_source
    matcher.publish(*in_order)
    matcher.publish(v3, v1, v3, v2, v1)  # newest first, then stale and duplicate events

    matcher.wait_known(a, b, version=3)
    matcher.publish(opportunity_event(opportunity_snapshot(opportunity_id=uuid.uuid4())))  # a marker after both
    wait_for(lambda: matcher.runtime.feed is not None and matcher.runtime.feed.lag() == 0)

    facts_a, vector_a = _facts_and_vector(matcher, a)
    facts_b, vector_b = _facts_and_vector(matcher, b)
    assert facts_a == facts_b
    assert facts_a["version"] == 3 and facts_a["positions"] == 3
    assert vector_a is not None and vector_b is not None
    assert float(vector_a @ vector_b) > 0.999


def test_poison_record_goes_to_the_dead_letter_topic_and_ingest_goes_on(
    matcher: Matcher, bootstrap_servers: str, publisher: TopicPublisher
) -> None:
    dlt = TopicReader(bootstrap_servers, dead_letter_topic(Topic.PROFILES))
    marker = uuid.uuid4().hex
    publisher.send(Topic.PROFILES, f'{{"not": "an event", "marker": "{marker}"}}'.encode(), key=b"poison")
    after = person()
    matcher.publish(profile_event(after))

    records = dlt.wait_for(lambda rs: any(marker.encode() in (r.value or b"") for r in rs), timeout=30)
    poisoned = next(r for r in records if marker.encode() in (r.value or b""))
    headers = dict(poisoned.headers)
    assert b"invalid event" in headers["x-error"]
    dlt.close()
    matcher.wait_known(after.profile_id)


def test_ready_reports_counts_and_lag(matcher: Matcher) -> None:
    body = matcher.client.get("/ready").json()
    assert matcher.client.get("/ready").status_code == 200
    assert body["status"] == "ready"
    assert body["counts"]["opportunities_indexed"] >= 1
    assert body["counts"]["profiles_indexed"] >= 1
    assert isinstance(body["consumer_lag"], int)
    assert body["embedder"].startswith("all-MiniLM-L6-v2/")


def test_who_may_ask(matcher: Matcher) -> None:
    job = opportunity_snapshot()
    young = person()
    matcher.publish(opportunity_event(job), profile_event(young))
    matcher.wait_known(job.opportunity_id, young.profile_id)
    client = matcher.client
    employer = matcher.as_("employer", "employer-1")
    own = matcher.as_("young_person", str(young.profile_id))
    other = matcher.as_("young_person", str(uuid.uuid4()))

    assert client.get(f"/opportunities/{job.opportunity_id}/matches").status_code == 401
    assert client.get(f"/opportunities/{job.opportunity_id}/matches", headers=employer).status_code == 403
    assert client.get(f"/opportunities/{job.opportunity_id}/matches", headers=own).status_code == 403
    assert client.get(f"/profiles/{young.profile_id}/matches", headers=employer).status_code == 403
    assert client.get(f"/profiles/{young.profile_id}/matches", headers=other).status_code == 403
    mine = client.get(f"/profiles/{young.profile_id}/matches", headers=own)
    assert mine.status_code == 200 and str(job.opportunity_id) in opportunity_ids(mine.json())

    search = {"text": "warehouse forklift job", "target": "opportunities", "k": 5}
    assert client.post("/search", json=search, headers=own).status_code == 200
    assert client.post("/search", json={**search, "target": "profiles"}, headers=own).status_code == 403
    assert client.post("/search", json=search, headers=employer).status_code == 403
    explored = client.post("/search", json={**search, "target": "profiles"}, headers=matcher.as_("adviser"))
    assert explored.status_code == 200 and explored.json()["target"] == "profiles"
    assert client.get(f"/profiles/{uuid.uuid4()}/matches", headers=matcher.as_("adviser")).status_code == 404


def test_bad_queries_get_422_naming_the_field(matcher: Matcher) -> None:
    adviser = matcher.as_("adviser")
    client = matcher.client
    response = client.post("/search", json={"text": "chef", "target": "opportunities",
                                            "filters": {"max_distance_km": 5}}, headers=adviser)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "filters", "max_distance_km"]
    response = client.post("/search", json={"text": "", "target": "opportunities"}, headers=adviser)
    assert response.status_code == 422 and "text" in response.json()["detail"][0]["loc"]
    response = client.get(f"/profiles/{uuid.uuid4()}/matches", params={"k": 0}, headers=adviser)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", "k"]
    response = client.post("/search", json={"text": "chef", "target": "opportunities",
                                            "filters": {"postcode": "ZZ99 9ZZ", "max_distance_km": 5}},
                           headers=adviser)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "filters", "postcode"]


def test_a_match_waiting_for_its_record_to_be_written_holds_up_no_other_request(
    matcher: Matcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The served list's record (a database round trip) is written off the event loop: while one request waits for
    it, another is answered; the first answers once its record is written, under the list id it carries."""
    job, young = opportunity_snapshot(), person()
    matcher.publish(opportunity_event(job), profile_event(young))
    matcher.wait_known(job.opportunity_id, young.profile_id)
    app_state = matcher.client.app.state  # type: ignore[attr-defined]
    real = app_state.suggestion_log
    writing, release = threading.Event(), threading.Event()

    class SlowDatabase:
        """The real log, whose first write waits until released."""

        def record(self, event: Any, *, list_id: uuid.UUID, subject: uuid.UUID | None) -> None:
            if not writing.is_set():
                writing.set()
                assert release.wait(20), "never released"
            real.record(event, list_id=list_id, subject=subject)

        def forget(self, subject: uuid.UUID) -> int:
            return real.forget(subject)

    monkeypatch.setattr(app_state, "suggestion_log", SlowDatabase())
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(matcher.matches_for, young.profile_id)
        assert writing.wait(20), "the first request never came to its record"
        started = time.monotonic()
        other = matcher.candidates_for(job.opportunity_id)
        answered_in = time.monotonic() - started
        assert not first.done()
        release.set()
        body = first.result(timeout=20)
    print(f"another request answered in {answered_in * 1000:.0f} ms while the first waited for its record")
    assert answered_in < 5
    recorded = matcher.recorded_lists()
    assert recorded[body["list_id"]] == "suggestions.served"
    assert recorded[other["list_id"]] == "candidates.served"
