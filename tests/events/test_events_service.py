"""The events service end to end on the real broker and PostgreSQL: events produced onto the contract topics,
the app's own consumer applying them, the API read with an injected clock."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.common.auth import Role
from services.common.clock import FixedClock
from services.events import stats
from services.events.config import EventsSettings
from services.events.guarantee import ClockRules, GroupTally, tally
from services.events.main import create_app
from services.messaging.consumer import ERROR_HEADER
from services.messaging.contract import EventEnvelope, Topic
from services.messaging.vocabulary import OPPORTUNITY_TYPES, PRIORITY_GROUPS
from tests.events.cohort import COHORT_STATUSES, cohort
from tests.support.attacker import Reader, read_summary
from tests.support.databases import TestDatabases
from tests.support.events import (
    Employer,
    Opportunity,
    Referral,
    YoungPerson,
    days,
    interest_event,
    offer_flow,
    profile_erased_event,
    reissued,
    viewed_event,
)
from tests.support.keys import CONSUMER_KEYS
from tests.support.services import bearer, client_for
from tests.support.topics import TopicPublisher, TopicReader
from tests.support.waiting import wait_for

# Far from every other test's event times, so date-ranged figures see only this module's events.
BASE = dt.datetime(2041, 2, 1, 9, tzinfo=dt.UTC)


@dataclass
class Service:
    app: FastAPI
    client: TestClient
    settings: EventsSettings
    clock: FixedClock
    publisher: TopicPublisher
    bootstrap_servers: str

    def publish(self, events: list[EventEnvelope]) -> None:
        self.publisher.publish(*events)

    def headers(self, role: Role = Role.ADVISER, sub: str = "adviser-audit") -> dict[str, str]:
        return bearer(self.settings, role, sub)

    def get(self, path: str, **params: Any) -> Any:
        response = self.client.get(path, params=params, headers=self.headers())
        assert response.status_code == 200, response.text
        return response.json()

    def guarantee(self, adviser: str, **params: Any) -> list[dict[str, Any]]:
        return self.get("/guarantee", adviser=adviser, limit=1000, **params)["items"]

    def summary(self, adviser: str) -> dict[str, Any]:
        body = self.get("/guarantee/summary", adviser=adviser)
        body.pop("as_at")
        return body

    def tallies(self, adviser: str) -> dict[str, GroupTally]:
        with self.app.state.session_factory() as session:
            return tally(session=session, now=self.clock.now(), rules=ClockRules.from_settings(self.settings),
                         adviser=adviser)

    def raw_stats(self, month: str | None = None) -> dict[str, Any]:
        """The outcome figures before disclosure control (threshold 1 hides nothing), as the service computes them."""
        with self.app.state.session_factory() as session:
            return stats.outcome_stats(session=session, now=self.clock.now(), month=month, threshold=1
                                       ).model_dump(mode="json")

    def raw_flows(self, first: dt.datetime, last: dt.datetime) -> dict[str, int]:
        """The people flows summed over the calendar months from `first` to `last`, before disclosure control."""
        total: dict[str, int] = {}
        for month in sorted({stats.month_of(first + days(n)) for n in range((last - first).days + 1)}):
            for name, value in self.raw_stats(month).items():
                if name in stats.ADDITIVE_FLOWS:
                    total[name] = total.get(name, 0) + value
        return total

    @property
    def handled(self) -> int:
        return self.app.state.consumer.handled


@pytest.fixture(scope="module")
def service(databases: TestDatabases, bootstrap_servers: str, publisher: TopicPublisher) -> Iterator[Service]:
    settings = EventsSettings(
        database_url=databases.new_url("events"),
        kafka_bootstrap_servers=bootstrap_servers,
        consumer_group=f"events-test-{uuid.uuid4().hex[:8]}",
        environment="test",
    )
    clock = FixedClock(BASE)
    app = create_app(settings, clock=clock, keys=CONSUMER_KEYS)
    with client_for(app) as client:
        wait_for(app.state.consumer.assigned.is_set, what="the consumer's partitions", timeout=60)
        yield Service(app, client, settings, clock, publisher, bootstrap_servers)


def new_adviser() -> str:
    return f"adviser-{uuid.uuid4().hex[:8]}"


def test_ready_once_the_consumer_has_its_partitions(service: Service) -> None:
    body = service.client.get("/ready").json()
    assert body["status"] == "ready", body
    assert body["consumer_lag"] is not None


@pytest.mark.parametrize("path", ["/events", "/guarantee", "/guarantee/summary", "/stats",
                                  f"/guarantee/{uuid.uuid4()}"])
def test_only_advisers_may_read(service: Service, path: str) -> None:
    """No service holds the scope events:read: the audit log's restricted payloads are for advisers only."""
    assert service.client.get(path).status_code == 401
    assert service.client.get(path, headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    for role in (Role.EMPLOYER, Role.YOUNG_PERSON):
        assert service.client.get(path, headers=service.headers(role, "someone")).status_code == 403
    for name in ("profiles", "opportunities", "matching", "events", "reader"):
        assert service.client.get(path, headers=service.headers(Role.SERVICE, name)).status_code == 403
    expected = 404 if path.startswith("/guarantee/") and path != "/guarantee/summary" else 200
    assert service.client.get(path, headers=service.headers(Role.ADVISER, "reader")).status_code == expected


def test_bad_queries_name_the_field(service: Service) -> None:
    checks = [
        ("/guarantee", {"status": "late"}, "status"),
        ("/guarantee", {"priority_group": "ethnicity"}, "priority_group"),
        ("/events", {"event_type": "profile.deleted"}, "event_type"),
        ("/events", {"limit": 0}, "limit"),
        ("/stats", {"month": "2041-13"}, "month"),
        ("/stats", {"month": "9999-12"}, "month"),
        ("/stats", {"month": "2041-02-01"}, "month"),
        ("/stats", {"from": "2041-02-01"}, "from"),
    ]
    for path, params, field in checks:
        response = service.client.get(path, params=params, headers=service.headers())
        assert response.status_code == 422, (path, params, response.text)
        assert response.json()["detail"][0]["loc"][-1] == field


def test_clock_starts_warns_goes_overdue_and_stops_on_an_offer(service: Service) -> None:
    adviser = new_adviser()
    person = YoungPerson(adviser, BASE)
    service.publish([person.registered()])
    service.clock.at = BASE + days(1)

    def row() -> dict[str, Any]:
        rows = service.guarantee(adviser)
        assert len(rows) == 1
        return rows[0]

    started = wait_for(row, ignoring=(AssertionError,))
    assert started["status"] == "on_track"
    assert (started["days_waiting"], started["days_left"], started["episode"]) == (1, 119, 1)
    assert started["deadline_at"] == (BASE + days(120)).isoformat().replace("+00:00", "Z")
    assert started["offer_at"] is None

    service.clock.at = BASE + days(89)
    assert row()["status"] == "on_track"
    service.clock.at = BASE + days(90)
    assert (row()["status"], row()["days_waiting"]) == ("at_risk", 90)
    service.clock.at = BASE + days(125)
    overdue = row()
    assert (overdue["status"], overdue["days_waiting"], overdue["days_left"]) == ("overdue", 125, -5)

    referral = Referral(person)
    service.publish([referral.created(BASE + days(126)), referral.moved("offered", BASE + days(127))])
    service.clock.at = BASE + days(130)

    def stopped() -> dict[str, Any]:
        current = row()
        assert current["status"] == "met_late"
        return current

    met = wait_for(stopped, ignoring=(AssertionError,))
    assert (met["days_waiting"], met["days_left"]) == (127, None)
    assert met["offer_at"].startswith((BASE + days(127)).date().isoformat())
    service.clock.at = BASE + days(400)
    assert row()["days_waiting"] == 127, "the clock stays stopped once an offer is made"

    in_time = YoungPerson(adviser, BASE + days(300))
    service.publish([in_time.registered(), *offer_flow(in_time, referred=BASE + days(301),
                                                                 offered=BASE + days(330))])
    wait_for(lambda: [r["status"] for r in service.guarantee(adviser)], until=lambda s: s == ["met_late", "met"])


def test_neet_again_after_a_job_restarts_the_clock(service: Service) -> None:
    adviser = new_adviser()
    person = YoungPerson(adviser, BASE)
    left_without_offer = YoungPerson(adviser, BASE)
    service.publish([
        person.registered(),
        *offer_flow(person, referred=BASE + days(5), offered=BASE + days(20), accepted=BASE + days(21)),
        person.becomes("employment", BASE + days(40)),
        left_without_offer.registered(),
        left_without_offer.becomes("education", BASE + days(30)),
    ])
    service.clock.at = BASE + days(100)

    def after_job() -> bool:
        rows = service.guarantee(adviser)
        assert [(r["profile_id"], r["status"]) for r in rows] == [(str(person.profile_id), "met")]
        history = service.get(f"/guarantee/{person.profile_id}")["episodes"]
        assert [(e["status"], e["ended_at"] is not None) for e in history] == [("met", True)]
        assert service.client.get(f"/guarantee/{left_without_offer.profile_id}",
                                  headers=service.headers()).status_code == 200
        return True

    wait_for(after_job, ignoring=(AssertionError,))
    service.publish([person.becomes("neet", BASE + days(200))])
    service.clock.at = BASE + days(230)

    def restarted() -> dict[str, Any]:
        clock = service.get(f"/guarantee/{person.profile_id}")
        assert len(clock["episodes"]) == 2
        return clock

    clock = wait_for(restarted, ignoring=(AssertionError,))
    assert [(e["number"], e["status"]) for e in clock["episodes"]] == [(1, "met"), (2, "on_track")]
    assert clock["episodes"][0]["ended_at"].startswith((BASE + days(40)).date().isoformat())
    current = clock["current"]
    assert (current["episode"], current["days_waiting"], current["status"]) == (2, 30, "on_track")
    assert current["clock_started_at"].startswith((BASE + days(200)).date().isoformat())
    rows = service.guarantee(adviser)
    assert [r["profile_id"] for r in rows] == [str(person.profile_id)], "no clock for someone who left NEET"
    ended = service.get(f"/guarantee/{left_without_offer.profile_id}")
    assert ended["current"] is None
    assert [e["status"] for e in ended["episodes"]] == ["ended_without_offer"]


def test_list_is_sorted_by_urgency_filtered_and_never_shows_special_category_data(service: Service) -> None:
    group = cohort(new_adviser(), BASE + days(1000))
    service.publish(group.events)
    service.clock.at = group.as_at
    rows = wait_for(lambda: service.guarantee(group.adviser_id),
                    until=lambda r: [x["status"] for x in r] == COHORT_STATUSES
                    and sum("send" in x["priority_groups"] for x in r) == 1 and r[6]["episode"] == 2)
    assert [r["days_waiting"] for r in rows[:5]] == [154, 153, 152, 151, 150]
    assert rows[0]["profile_id"] == str(group.overdue[4].profile_id)
    send_rows = service.guarantee(group.adviser_id, priority_group="send")
    assert [r["profile_id"] for r in send_rows] == [str(group.overdue[0].profile_id)]
    assert send_rows[0]["priority_groups"] == ["care_leaver", "send", "young_carer"]
    assert [r["status"] for r in service.guarantee(group.adviser_id, status="at_risk")] == ["at_risk"]
    assert len(service.guarantee(group.adviser_id, status="overdue", priority_group="young_carer")) == 5
    raw = service.client.get("/guarantee", params={"adviser": group.adviser_id},
                             headers=service.headers()).text.lower()
    assert "ethnicity" not in raw and "synthetic ethnicity" not in raw
    page = service.get("/guarantee", adviser=group.adviser_id, limit=4, offset=4)
    assert page["total"] == 13 and [r["status"] for r in page["items"]] == ["overdue", "at_risk", "on_track",
                                                                            "met_late"]


def test_summary_figures_and_small_group_suppression(service: Service) -> None:
    group = cohort(new_adviser(), BASE + days(1400))
    service.publish(group.events)
    service.clock.at = group.as_at
    wait_for(lambda: service.guarantee(group.adviser_id), until=lambda rows: len(rows) == 13)
    summary = wait_for(lambda: service.summary(group.adviser_id),
                       until=lambda s: s["groups"][0]["size"]["value"] == 10)
    overall = summary["overall"]
    # 13 people, care leavers 10 of them: any count of the whole would give away the single at-risk, on-track
    # and late people, through the size or the care leavers' counts, so none is shown; the share (5 of 6) only
    # with the size hidden too.
    assert all(figure == {"value": None, "suppressed": True} for figure in overall["counts"].values())
    assert overall["share_offered_within_deadline"]["suppressed"] or overall["size"]["suppressed"]
    assert overall["median_days_to_offer"] == {"value": 35.0, "suppressed": False}
    groups = {g["group"]: g for g in summary["groups"]}
    assert list(groups) == list(PRIORITY_GROUPS)
    assert groups["care_leaver"]["size"] == {"value": 10, "suppressed": False}
    assert groups["care_leaver"]["median_days_to_offer"] == {"value": 30.0, "suppressed": False}
    assert groups["young_carer"]["counts"]["overdue"] == {"value": 5, "suppressed": False}
    assert groups["young_carer"]["median_days_to_offer"] == {"value": None, "suppressed": False}
    for small in ("send", "neet", "long_term_unemployed"):  # 1, 2 and 1 people
        figures = groups[small]
        assert figures["too_small"] and figures["size"] == {"value": None, "suppressed": True}
        assert all(f == {"value": None, "suppressed": True} for f in figures["counts"].values())
    assert any("suppressed" in note for note in summary["notes"])


def test_duplicates_and_out_of_order_delivery_do_not_change_the_figures(service: Service) -> None:
    in_order = cohort(new_adviser(), BASE + days(2000))
    shuffled = cohort(new_adviser(), BASE + days(2000))
    service.publish(in_order.events)
    noisy = list(reversed(shuffled.events)) + [reissued(e) for e in shuffled.events[::2]]
    random.Random(5).shuffle(noisy[len(shuffled.events):])
    service.publish(noisy)
    service.clock.at = in_order.as_at

    def comparable(adviser: str) -> tuple[list[Any], dict[str, Any]]:
        """The adviser's list and figures before disclosure control (the published summaries are protected together
        with the rest of the town, so two caseloads with the same story may hide different cells)."""
        rows = [{k: v for k, v in r.items() if k not in ("profile_id", "adviser_id")}
                for r in service.guarantee(adviser)]
        return rows, {name: (group.counts, sorted(group.days_to_offer), group.median_days_to_offer)
                      for name, group in service.tallies(adviser).items()}

    def converged() -> tuple[list[Any], dict[str, Any]]:
        expected, actual = comparable(in_order.adviser_id), comparable(shuffled.adviser_id)
        assert [r["status"] for r in expected[0]] == COHORT_STATUSES and expected[0][6]["episode"] == 2
        assert expected[1]["all"][2] == 35.0
        assert actual == expected
        return expected

    settled = wait_for(converged, ignoring=(AssertionError,))
    flows = service.raw_flows(in_order.base - days(10), in_order.as_at)
    assert (flows["registered_young_people"], flows["offers"]) == (26, 12)
    stats_before = service.get("/stats")

    handled = service.handled
    again = in_order.events + [reissued(e) for e in in_order.events]
    service.publish(again)
    wait_for(lambda: service.handled, until=lambda n: n >= handled + len(again))
    assert comparable(in_order.adviser_id) == settled
    assert comparable(shuffled.adviser_id) == settled
    assert service.raw_flows(in_order.base - days(10), in_order.as_at) == flows
    stats_after = service.get("/stats")
    stats_after.pop("as_at"), stats_before.pop("as_at")
    assert stats_after == stats_before


def test_stats_count_flows_by_month_and_states_now(service: Service) -> None:
    start = dt.datetime(2049, 5, 1, 9, tzinfo=dt.UTC)  # a month of its own: May 2049
    service.clock.at = start + days(60)
    before = service.raw_stats()
    adviser = new_adviser()
    employers = [Employer(True, True, True), Employer(True, False, False), Employer(False, False, True)]
    jobs = [Opportunity(employers[0], "apprenticeship", positions=3, positions_filled=1),
            Opportunity(employers[1], "kickstart", positions=2),
            Opportunity(employers[2], "job", positions=1, status="closed")]
    people = [YoungPerson(adviser, start + days(i)) for i in range(4)]
    events = [e.event(start) for e in employers] + [o.event(start + days(1)) for o in jobs]
    events += [p.registered() for p in people] + [people[3].becomes("employment", start + days(30))]
    events += offer_flow(people[0], referred=start + days(5), offered=start + days(10), accepted=start + days(11))
    events += offer_flow(people[1], referred=start + days(5), offered=start + days(10), accepted=start + days(40),
                         opportunity_type="kickstart")
    events += [Referral(people[2]).created(start + days(6)), interest_event(people[2].profile_id, at=start + days(7))]
    service.publish(events)

    expected_now = {"neet_now": 3, "live_opportunities": 2, "live_positions": 5, "open_positions": 4}
    now = wait_for(lambda: service.raw_stats(),
                   until=lambda b: all(b[k] - before[k] == v for k, v in expected_now.items())
                   and b["employers"]["total"] - before["employers"]["total"] == 3)
    body = wait_for(lambda: service.raw_stats("2049-05"),
                    until=lambda b: b["referrals"] == 3 and b["starts"] == 1 and b["registered_young_people"] == 4
                    and b["opportunities_published"] == 3 and b["interests_expressed"] == 1)
    assert service.get("/events", event_type="interest.expressed", since=start.isoformat())["count"] == 1
    assert body["month"] == "2049-05"
    assert (body["registered_young_people"], body["referrals"], body["interviews"], body["offers"],
            body["starts"], body["interests_expressed"], body["opportunities_published"]) == (4, 3, 2, 2, 1, 1, 3)
    assert body["starts_by_type"] == {"apprenticeship": 1, "kickstart": 0, "job": 0, "traineeship": 0,
                                      "training": 0, "work_experience": 0}
    later = service.raw_stats("2049-06")  # the kickstart start on day 40
    assert later["starts"] == 1 and later["starts_by_type"]["kickstart"] == 1
    published = service.get("/stats", month="2049-05")  # the same figures as the API gives them: fewer than 5 hidden
    assert published["suppression_threshold"] == 5
    assert set(published["suppressed"]) == {"registered_young_people", "referrals", "interviews", "offers", "starts",
                                            "interests_expressed", "starts_by_type.apprenticeship"}
    assert published["registered_young_people"] is None and published["starts_by_type"]["apprenticeship"] is None
    assert published["starts_by_type"]["job"] == 0 and published["opportunities_published"] == 3
    delta = {k: now["employers"][k] - before["employers"][k] for k in now["employers"]}
    assert delta == {"total": 3, "living_wage_employer": 2, "good_employment_charter": 1,
                     "disability_confident": 2}
    # an older snapshot of an employer arriving late changes nothing
    stale = employers[0].event(start)
    stale = stale.model_copy(update={"aggregate_version": 1, "payload": {**stale.payload,
                                                                          "living_wage_employer": False}})
    handled = service.handled
    service.publish([stale])
    wait_for(lambda: service.handled, until=lambda n: n > handled)
    assert service.raw_stats()["employers"] == now["employers"]


def _gauge(text: str, name: str, labels: str = "") -> float:
    match = re.search(rf"^{re.escape(name + labels)} (\S+)$", text, re.MULTILINE)
    assert match, f"{name}{labels} not in /metrics"
    return float(match.group(1))


def test_metrics_carry_the_headline_figures(service: Service) -> None:
    service.clock.at = BASE + days(4000)
    wait_for(service.app.state.consumer.lag, until=lambda lag: lag == 0)
    metrics = service.client.get("/metrics").text
    everyone = {
        status: service.client.get("/guarantee", params={"status": status, "limit": 1},
                                   headers=service.headers()).json()["total"]
        for status in ("on_track", "at_risk", "overdue", "met", "met_late")
    }
    summary = service.get("/guarantee/summary")["overall"]["counts"]
    for status, total in everyone.items():
        if summary[status]["suppressed"]:
            assert f'yg_guarantee_people{{status="{status}"}}' not in metrics
            continue
        gauge = _gauge(metrics, "yg_guarantee_people", f'{{status="{status}"}}')
        assert gauge == summary[status]["value"]
        if status in ("on_track", "at_risk", "overdue"):
            assert gauge == total  # offers of erased people stay in met/met_late only, as anonymous outcomes
        else:
            assert gauge >= total
    figures = service.get("/stats")
    assert _gauge(metrics, "yg_young_people_registered") == figures["registered_young_people"]
    assert _gauge(metrics, "yg_referrals", '{stage="offered"}') == figures["offers"]
    assert _gauge(metrics, "yg_live_opportunities") == figures["live_opportunities"]
    assert _gauge(metrics, "yg_employers", '{flag="disability_confident"}') == figures["employers"][
        "disability_confident"]
    assert _gauge(metrics, "yg_guarantee_median_days_to_offer") > 0


def test_every_summary_and_month_read_together_pins_no_hidden_count(service: Service) -> None:
    """A reader takes the town's summary, every caseload's (the advisers from the list), /stats for every month
    that has figures and for all time, and works out what they can from all of them at once."""
    service.clock.at = BASE + days(4000)
    wait_for(service.app.state.consumer.lag, until=lambda lag: lag == 0)
    threshold = service.get("/stats")["suppression_threshold"]
    people = service.get("/guarantee", limit=1000)["items"]
    advisers = sorted({row["adviser_id"] for row in people if row["adviser_id"]})
    reader = Reader()
    hidden = read_summary(reader, "town", service.get("/guarantee/summary"), threshold)
    for adviser in advisers:
        hidden += read_summary(reader, adviser, service.get("/guarantee/summary", adviser=adviser), threshold)
    town = service.get("/guarantee/summary")
    for row in (town["overall"], *town["groups"]):
        for cell in ("size", *row["counts"]):
            rest = f"others/{row['group']}/{cell}"  # people no adviser holds, unknown to the reader
            reader.cell(rest, None, 0)
            reader.equal_sum(f"town/{row['group']}/{cell}", [*(f"{a}/{row['group']}/{cell}" for a in advisers), rest])

    with service.app.state.session_factory() as session:  # which months have figures (a reader would try them all)
        months = sorted(stats.people_flows(session))
    flows = [*stats.ADDITIVE_FLOWS, stats.INTERESTS, *(f"starts_by_type.{kind}" for kind in OPPORTUNITY_TYPES)]
    for period in [*months, "all"]:
        body = service.get("/stats", **({} if period == "all" else {"month": period}))
        figures = {**body, **{f"starts_by_type.{kind}": n for kind, n in body["starts_by_type"].items()}}
        for name in flows:
            reader.cell(f"{period}/{name}", figures[name])
            if figures[name] is None:
                hidden.append(f"{period}/{name}")
        reader.equal_sum(f"{period}/starts", [f"{period}/starts_by_type.{kind}" for kind in OPPORTUNITY_TYPES])
    for name in flows:
        parts = [f"{month}/{name}" for month in months]
        if name == stats.INTERESTS:
            reader.at_most_sum(f"all/{name}", parts)
        else:
            reader.equal_sum(f"all/{name}", parts)

    ranges = reader.ranges(hidden)
    pinned = {cell: bounds for cell, bounds in ranges.items() if bounds[0] == bounds[1]}
    print(f"\nread together: the town and {len(advisers)} caseloads, {len(months)} months and all time; "
          f"{len(hidden)} hidden figures, {len(pinned)} pinned")
    assert len(advisers) >= 5 and len(months) >= 5 and len(hidden) >= 50
    assert not pinned


def test_audit_log_filters_and_withholds_ethnicity(service: Service) -> None:
    adviser = new_adviser()
    person = YoungPerson(adviser, BASE + days(5000))
    events = [person.registered(), person.special(send=True, ethnicity="Synthetic ethnicity"),
              person.becomes("training", BASE + days(5010)), *offer_flow(
                  person, referred=BASE + days(5001), offered=BASE + days(5003))]
    service.publish(events)
    trail = wait_for(lambda: service.get("/events", aggregate_id=str(person.profile_id), order="asc"),
                     until=lambda b: b["count"] == 3)
    assert sorted(e["event_type"] for e in trail["items"][:2]) == [
        "profile.registered", "profile.special_category_set"]
    assert trail["items"][2]["event_type"] == "profile.updated"
    special = next(e for e in trail["items"] if e["event_type"] == "profile.special_category_set")
    assert special["payload"] == {
        "profile_id": str(person.profile_id), "send": True, "ethnicity": "[withheld]", "screened_text": []}
    assert special["topic"] == str(Topic.PROFILES_RESTRICTED)
    about = wait_for(lambda: service.get("/events", profile_id=str(person.profile_id)),
                     until=lambda b: b["count"] == 6)
    assert sum(e["event_type"].startswith("referral.") for e in about["items"]) == 3
    updates = service.get("/events", aggregate_id=str(person.profile_id), event_type="profile.updated")
    assert [e["aggregate_version"] for e in updates["items"]] == [2]
    since = service.get("/events", aggregate_id=str(person.profile_id),
                        since=(BASE + days(5005)).isoformat(), limit=5)
    assert [e["event_type"] for e in since["items"]] == ["profile.updated"]
    assert service.get("/events", profile_id=str(person.profile_id), limit=2)["count"] == 2
    assert "Synthetic ethnicity" not in json.dumps(about)


def test_a_poison_record_goes_to_the_dead_letter_topic_and_consumption_goes_on(service: Service) -> None:
    topic = str(Topic.REFERRALS)
    reader = TopicReader(service.bootstrap_servers, f"{topic}.dlt")
    try:
        person = YoungPerson(new_adviser(), BASE + days(6000))
        referral = Referral(person)
        key = str(referral.referral_id).encode()
        bad_payload = referral.created(BASE + days(6001)).model_dump(mode="json")
        bad_payload["payload"].pop("subject")  # the person it is about
        service.publisher.send(topic, b"{not json", json.dumps(bad_payload).encode(), key=key)
        referral.version = 0
        service.publish([referral.created(BASE + days(6002))])
        records = reader.wait_for(lambda rs: len([r for r in rs if r.key == key]) >= 2, timeout=30)
        ours = [r for r in records if r.key == key]
        assert len(ours) == 2
        assert ours[0].value == b"{not json"
        for record in ours:
            headers = dict(record.headers)
            assert headers[ERROR_HEADER].startswith(b"invalid event")
            assert headers["x-original-topic"] == topic.encode()
        stored = wait_for(lambda: service.get("/events", aggregate_id=str(referral.referral_id)),
                          until=lambda b: b["count"] == 1)
        assert stored["items"][0]["event_type"] == "referral.created"
        assert service.app.state.consumer.dead_lettered >= 2
    finally:
        reader.close()


def test_a_person_sees_who_has_looked_each_look_once_until_they_are_erased(service: Service) -> None:
    person, other = uuid.uuid4(), uuid.uuid4()
    employer = str(uuid.uuid4())
    looks = [viewed_event(person, "adviser-7", BASE + dt.timedelta(minutes=minutes)) for minutes in (0, 2, 5, 30)]
    looks.append(viewed_event(person, employer, BASE + dt.timedelta(minutes=3), employer="Hatters Cafe Ltd"))
    looks.append(viewed_event(other, "adviser-7", BASE))
    service.publish(looks)
    mine = service.headers(Role.YOUNG_PERSON, str(person))

    def listed() -> list[dict[str, Any]]:
        answer = service.client.get(f"/people/{person}/views", headers=mine)
        assert answer.status_code == 200, answer.text
        items: list[dict[str, Any]] = answer.json()["items"]
        return items

    items = wait_for(listed, until=lambda found: len(found) == 3, what="the person's looks", timeout=60)
    assert [(i["viewer"], i["record"], i["viewed_at"][11:16]) for i in items] == [
        ("adviser-7", "profile", "09:30"), ("adviser-7", "profile", "09:05"), (employer, "referral", "09:03")
    ]  # the adviser's reads at 09:00, 09:02 and 09:05 are one look (each within 10 minutes of the next)
    assert items[2]["viewer_name"] == "Hatters Cafe Ltd" and items[2]["viewer_role"] == "employer"
    assert service.client.get(f"/people/{person}/views", headers=service.headers()).json()["count"] == 3
    for caller in (service.headers(Role.YOUNG_PERSON, str(other)), service.headers(Role.EMPLOYER, employer),
                   service.headers(Role.SERVICE, "events")):
        assert service.client.get(f"/people/{person}/views", headers=caller).status_code == 403
    stored = service.get("/events", profile_id=str(person), limit=50)["items"]
    assert sorted(item["event_type"] for item in stored) == ["profile.viewed"] * 4 + ["referral.viewed"]

    service.publish([profile_erased_event(person, 2)])
    wait_for(listed, until=lambda found: found == [], what="the looks gone with the person", timeout=60)
    assert len(service.client.get(f"/people/{other}/views", headers=service.headers()).json()["items"]) == 1

