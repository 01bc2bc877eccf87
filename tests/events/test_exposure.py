"""The exposure audit: the shares worked out by hand on a small example, and through the events service's endpoint
with a fake matcher and people (SEND included) delivered as events: small counts, and counts the others would give
away, stay hidden with their shares and ratios."""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.common.auth import Role
from services.common.clock import FixedClock
from services.events.candidates import CandidateList, CandidateLists, EligibleFor, MatcherUnavailable
from services.events.config import EventsSettings
from services.events.exposure import protect_exposure, tally
from services.events.main import create_app, make_handler
from tests.support.databases import TestDatabases
from tests.support.events import YoungPerson
from tests.support.keys import CONSUMER_KEYS
from tests.support.services import bearer

W2 = 1 / math.log2(3)  # the exposure of second place
NOW = dt.datetime(2038, 3, 1, 9, tzinfo=dt.UTC)


def _list(kind: str, *people: uuid.UUID) -> CandidateList:
    return CandidateList(opportunity_id=uuid.uuid4(), type=kind, profile_ids=list(people))  # type: ignore[arg-type]


def test_shares_and_ratios_as_worked_out_by_hand() -> None:
    a, b, c, d, unknown = (uuid.uuid4() for _ in range(5))
    groups = {a: ["care_leaver"], b: ["care_leaver", "send"], c: [], d: ["neet"]}
    # Lists of two: job 1 [a, c] (b eligible, third), job 2 [c, d] (a third), training [b, d], job 3 [unknown].
    lists = CandidateLists(k=2, lists=[_list("job", a, c), _list("job", c, d), _list("training", b, d),
                                       _list("job", unknown)],
                           eligible=[EligibleFor(profile_id=a, by_type={"job": 2}),
                                     EligibleFor(profile_id=b, by_type={"job": 1, "training": 1}),
                                     EligibleFor(profile_id=c, by_type={"job": 2}),
                                     EligibleFor(profile_id=d, by_type={"job": 1, "training": 1}),
                                     EligibleFor(profile_id=unknown, by_type={"job": 1})])
    kinds = {kind.type: kind for kind in protect_exposure(tally(lists, groups), threshold=1)}
    assert list(kinds) == ["all", "job", "training"]
    assert [kinds[k].opportunities for k in kinds] == [4, 3, 1]
    assert [kinds[k].people.value for k in kinds] == [4, 4, 2]  # the unknown person counts nowhere

    def row(kind: str, group: str) -> dict[str, Any]:
        found = next(g for g in kinds[kind].groups if g.group == group)
        return {"people": found.people.value, "eligible": found.eligible_share.value,
                "exposure": found.exposure_share.value, "ratio": found.ratio.value}

    everyone_all, everyone_job, everyone_training = 3 * (1 + W2), 2 * (1 + W2), 1 + W2
    # Overall: 8 eligible candidacies (a 2, b 2, c 2, d 2); care leavers a (1st on job 1) and b (1st on training).
    assert row("all", "care_leaver") == {"people": 2, "eligible": 0.5, "exposure": round(2 / everyone_all, 3),
                                         "ratio": round((2 / everyone_all) / 0.5, 2)}
    assert row("all", "send") == {"people": 1, "eligible": 0.25, "exposure": round(1 / everyone_all, 3),
                                  "ratio": round((1 / everyone_all) / 0.25, 2)}
    assert row("all", "neet") == {"people": 1, "eligible": 0.25, "exposure": round(2 * W2 / everyone_all, 3),
                                  "ratio": round((2 * W2 / everyone_all) / 0.25, 2)}
    # Jobs: 6 candidacies (a 2, b 1, c 2, d 1); b is eligible for a job but never listed for one.
    assert row("job", "care_leaver") == {"people": 2, "eligible": 0.5, "exposure": round(1 / everyone_job, 3),
                                         "ratio": round((1 / everyone_job) / 0.5, 2)}
    assert row("job", "send") == {"people": 1, "eligible": round(1 / 6, 3), "exposure": 0.0, "ratio": 0.0}
    assert row("job", "neet")["exposure"] == round(W2 / everyone_job, 3)
    assert row("training", "care_leaver") == {"people": 1, "eligible": 0.5,
                                              "exposure": round(1 / everyone_training, 3),
                                              "ratio": round((1 / everyone_training) / 0.5, 2)}
    nobody = next(g for g in kinds["all"].groups if g.group == "young_carer")  # no share of nothing: no ratio
    assert (nobody.people.value, nobody.exposure_share.value, nobody.ratio.value) == (0, 0.0, None)


class FakeMatcher:
    """Candidate lists set by the test; `down` makes it answer as a matcher that is not there."""

    def __init__(self) -> None:
        self.lists = CandidateLists(k=10, lists=[], eligible=[])
        self.down = False
        self.asked = 0
        self.answering = threading.Event()  # cleared: the matcher takes until it is set (a large index, a hang)
        self.answering.set()

    def candidate_lists(self, k: int) -> CandidateLists:
        self.asked += 1
        self.answering.wait(30)
        if self.down:
            raise MatcherUnavailable("the matching service is not answering (ConnectError)")
        return self.lists

    def close(self) -> None:
        pass


@pytest.fixture
def service(databases: TestDatabases) -> Iterator[tuple[TestClient, FakeMatcher, EventsSettings]]:
    settings = EventsSettings(database_url=databases.new_url("events_exposure"), consume=False,
                              environment="test", exposure_refresh_seconds=0, exposure_wait_seconds=1)
    matcher = FakeMatcher()
    app = create_app(settings, clock=FixedClock(NOW), keys=CONSUMER_KEYS, candidates=matcher)
    with TestClient(app) as client:
        yield client, matcher, settings


def _people(service: tuple[TestClient, FakeMatcher, EventsSettings], groups: list[list[str]],
            send: int = 0) -> list[uuid.UUID]:
    """Registered as events (the first `send` of them with SEND on the restricted topic), as the consumer applies
    them."""
    client, _matcher, _settings = service
    people = [YoungPerson("adviser-exposure", NOW - dt.timedelta(days=30), priority_groups=g) for g in groups]
    events = [person.registered() for person in people]
    events += [person.special(send=True) for person in people[:send]]
    app: Any = client.app
    make_handler(app.state.session_factory, app.state.engine, CONSUMER_KEYS, "events-exposure")(events)
    return [person.profile_id for person in people]


def test_the_endpoint_hides_small_groups_and_what_would_give_them_away(
    service: tuple[TestClient, FakeMatcher, EventsSettings],
) -> None:
    client, matcher, settings = service
    # 39 people: 8 care leavers (4 eligible for jobs only, 4 for training only), 3 with SEND (jobs), 6 NEET (jobs),
    # 12 long-term unemployed (6 jobs, 6 training), 10 with no group.
    care_jobs, care_training = _people(service, [["care_leaver"]] * 4), _people(service, [["care_leaver"]] * 4)
    send = _people(service, [[]] * 3, send=3)
    neet = _people(service, [["neet"]] * 6)
    long_jobs = _people(service, [["long_term_unemployed"]] * 6)
    long_training = _people(service, [["long_term_unemployed"]] * 6)
    others = _people(service, [[]] * 10)
    jobs = [*care_jobs, *send, *neet, *long_jobs, *others[:5]]
    training = [*care_training, *long_training, *others[5:]]
    matcher.lists = CandidateLists(
        k=10,
        lists=[_list("job", *jobs[:10]), _list("job", *jobs[10:20]), _list("job", *reversed(jobs[14:])),
               _list("training", *training[:10]), _list("training", *reversed(training[5:]))],
        eligible=[*(EligibleFor(profile_id=p, by_type={"job": 3}) for p in jobs),
                  *(EligibleFor(profile_id=p, by_type={"training": 2}) for p in training)],
    )
    adviser = bearer(settings, Role.ADVISER, "adviser-exposure")
    response = client.get("/exposure", headers=adviser)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["suppression_threshold"] == 5 and body["list_length"] == 10
    kinds = {kind["type"]: kind for kind in body["kinds"]}
    assert list(kinds) == ["all", "job", "training"]
    assert [kinds[k]["people"]["value"] for k in kinds] == [39, 24, 15]
    assert [kinds[k]["opportunities"] for k in kinds] == [5, 3, 2]

    def row(kind: str, group: str) -> dict[str, Any]:
        return next(g for g in kinds[kind]["groups"] if g["group"] == group)

    hidden = {"value": None, "suppressed": True}
    shares = ("eligible_share", "exposure_share", "ratio")
    for kind in kinds:  # 3 with SEND: too small everywhere, every figure hidden
        assert row(kind, "send")["too_small"]
        assert all(row(kind, "send")[f] == hidden for f in ("people", *shares))
    # 4 care leavers for jobs and 4 for training are too small; shown, the 8 overall would pin both at 4 (each at
    # most 4, together at least 8), so the 8 is hidden too, with its shares and ratio.
    for kind in ("job", "training"):
        assert row(kind, "care_leaver")["too_small"]
    overall = row("all", "care_leaver")
    assert not overall["too_small"]
    assert all(overall[f] == hidden for f in ("people", *shares))
    # NEET: 6 overall and 6 for jobs are shown, none for training is too small. The shares by type are withheld:
    # the overall share with the job share would give away the training row's.
    assert row("all", "neet")["people"]["value"] == 6 and row("job", "neet")["people"]["value"] == 6
    assert row("training", "neet")["too_small"]
    assert not any(row("all", "neet")[f]["suppressed"] for f in shares)
    assert all(row("job", "neet")[f] == hidden for f in shares)
    # Long-term unemployed: every count shown, so every share is.
    assert [row(kind, "long_term_unemployed")["people"]["value"] for kind in kinds] == [12, 6, 6]
    assert not any(row(kind, "long_term_unemployed")[f]["suppressed"] for kind in kinds for f in shares)
    assert row("training", "long_term_unemployed")["eligible_share"]["value"] == round(6 / 15, 3)
    # Nothing shown is a count from 1 to 4.
    for kind in kinds.values():
        for group in kind["groups"]:
            assert group["people"]["value"] is None or group["people"]["value"] == 0 or group["people"]["value"] >= 5
    # Groups with nobody eligible are too small as well (none included), so a hidden row says nothing.
    assert row("all", "young_carer")["too_small"] and row("all", "young_carer")["people"] == hidden
    assert any("1/log2(r + 1)" in note for note in body["notes"])

    for role, sub in ((Role.EMPLOYER, str(uuid.uuid4())), (Role.YOUNG_PERSON, str(send[0])),
                      (Role.SERVICE, "matching"), (Role.SERVICE, "notifications")):
        assert client.get("/exposure", headers=bearer(settings, role, sub)).status_code == 403, role
    assert client.get("/exposure").status_code == 401


def test_the_audit_is_kept_and_survives_a_matcher_that_is_away(
    service: tuple[TestClient, FakeMatcher, EventsSettings],
) -> None:
    client, matcher, settings = service
    adviser = bearer(settings, Role.ADVISER, "adviser-exposure")
    matcher.down = True
    response = client.get("/exposure", headers=adviser)
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert "matching service is not answering" in response.json()["detail"]
    matcher.down = False
    people = _people(service, [["neet"]] * 6)
    matcher.lists = CandidateLists(k=10, lists=[_list("apprenticeship", *people)],
                                   eligible=[EligibleFor(profile_id=p, by_type={"apprenticeship": 1})
                                             for p in people])
    first = client.get("/exposure", headers=adviser).json()
    neet = next(g for g in first["kinds"][0]["groups"] if g["group"] == "neet")
    assert neet["people"]["value"] == 6 and neet["ratio"]["value"] == 1.0
    asked = matcher.asked
    assert client.get("/exposure", headers=adviser).json() == first  # kept (the clock stands still)
    assert matcher.asked == asked
    clock: Any = client.app.state.clock  # type: ignore[attr-defined]
    clock.advance(minutes=11)  # older than EVENTS_EXPOSURE_MAX_AGE_SECONDS (600)
    matcher.down = True
    assert client.get("/exposure", headers=adviser).json() == first  # the last audit, with its own time
    assert matcher.asked == asked + 1
    matcher.down = False
    fresh = client.get("/exposure", headers=adviser).json()
    assert fresh["as_at"] > first["as_at"] and fresh["kinds"] == first["kinds"]


def test_a_slow_matcher_holds_no_request_and_is_asked_once_at_a_time(
    service: tuple[TestClient, FakeMatcher, EventsSettings],
) -> None:
    client, matcher, settings = service
    adviser = bearer(settings, Role.ADVISER, "adviser-exposure")
    people = _people(service, [["neet"]] * 6)
    matcher.lists = CandidateLists(k=10, lists=[_list("job", *people)],
                                   eligible=[EligibleFor(profile_id=p, by_type={"job": 1}) for p in people])
    matcher.answering.clear()
    started = time.monotonic()
    waiting = client.get("/exposure", headers=adviser)  # none kept yet: waits EVENTS_EXPOSURE_WAIT_SECONDS (1 s)
    assert waiting.status_code == 503 and waiting.headers["Retry-After"]
    assert "being made" in waiting.json()["detail"]
    assert client.get("/exposure", headers=adviser).status_code == 503
    assert time.monotonic() - started < 5
    assert matcher.asked == 1  # the second request waited for the audit being made, it did not start another
    matcher.answering.set()
    first = _eventually_ok(client, adviser)
    assert matcher.asked == 1
    clock: Any = client.app.state.clock  # type: ignore[attr-defined]
    clock.advance(minutes=11)
    matcher.answering.clear()
    started = time.monotonic()
    stale = client.get("/exposure", headers=adviser)  # the previous audit, with its own time, while one is made
    assert stale.status_code == 200 and stale.json() == first
    assert time.monotonic() - started < 5 and matcher.asked == 2
    matcher.answering.set()
    deadline = time.monotonic() + 10
    while (fresh := client.get("/exposure", headers=adviser).json())["as_at"] == first["as_at"]:
        assert time.monotonic() < deadline, "the audit being made never replaced the previous one"
        time.sleep(0.05)
    assert fresh["kinds"] == first["kinds"] and matcher.asked == 2


def _eventually_ok(client: TestClient, headers: dict[str, str]) -> Any:
    deadline = time.monotonic() + 10
    while (response := client.get("/exposure", headers=headers)).status_code != 200:
        assert time.monotonic() < deadline, response.text
        time.sleep(0.05)
    return response.json()
