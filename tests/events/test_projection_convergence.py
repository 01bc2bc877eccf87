"""The consumer's transactional handler on the real database, without the broker: the same events in any
order, delivered any number of times, give the same clocks and figures; erasure keeps anonymous counts."""

from __future__ import annotations

import datetime as dt
import itertools
import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from services.common.db import make_engine, make_session_factory, run_migrations
from services.events import guarantee, stats
from services.events.activity import load_people
from services.events.main import MIGRATIONS, make_handler
from services.events.models import ErasedOutcome, Person, StatusChange, StoredEvent
from services.events.models import Opportunity as OpportunityRow
from services.messaging.contract import EventEnvelope, EventType
from services.messaging.sealing import erasure_mark
from services.messaging.vocabulary import ACTIVITY_CURRENCY_DAYS
from tests.events.cohort import Cohort, cohort
from tests.support.databases import TestDatabases
from tests.support.deliveries import DeliveryPlan, delivery_plans
from tests.support.events import Employer, Opportunity, YoungPerson, days, offer_flow, reissued
from tests.support.keys import CONSUMER_KEYS

BASE = dt.datetime(2035, 6, 1, 9, tzinfo=dt.UTC)
RULES = guarantee.ClockRules()
RULES_CURRENCY = ACTIVITY_CURRENCY_DAYS


@dataclass
class Store:
    engine: Engine
    sessions: sessionmaker[Session]

    def deliver(self, events: Sequence[EventEnvelope], batch: int = 7) -> None:
        handle = make_handler(self.sessions, self.engine, CONSUMER_KEYS, "events-test")
        for start in range(0, len(events), batch):
            handle(events[start : start + batch])

    def view(self, adviser: str, now: dt.datetime, first: dt.date, last: dt.date,
             published: bool = False) -> dict[str, Any]:
        """What the API would show for one adviser's people and a date range, profile ids kept: the list, the
        figures before disclosure control, and (if `published`) the summary as published, which is protected
        together with every other caseload in the store and so costs more the more examples have run."""
        with self.sessions() as session:
            page = guarantee.list_guarantee(session=session, now=now, rules=RULES, adviser=adviser, limit=1000)
            summary = guarantee.summary(session=session, now=now, rules=RULES, adviser=adviser) if published else None
            figures = _flows_within(session, first, last)
            tallies = guarantee.tally(session=session, now=now, rules=RULES, adviser=adviser)
            day = now.date()
            states = [person.activity_on(day, RULES_CURRENCY) for person in load_people(session)
                      if person.adviser_on(day) == adviser]
        return {
            # each person's activity on the day: code, lapsed, days since the spell started
            "activity": sorted((state.code, state.lapsed, (day - state.spell.started_on).days if state.spell else -1)
                               for state in states),
            "rows": [row.model_dump() for row in page.items],
            "summary": summary.model_dump(exclude={"as_at", "adviser"}) if summary else None,
            "tallies": {name: {"size": t.size, **t.counts, "median": t.median_days_to_offer,
                               "share": t.share_within_deadline} for name, t in tallies.items()},
            "stats": figures,
        }


@pytest.fixture(scope="module")
def store(databases: TestDatabases) -> Iterator[Store]:
    url = databases.new_url("events_projections")
    run_migrations(url, MIGRATIONS)
    engine = make_engine(url)
    yield Store(engine, make_session_factory(engine))
    engine.dispose()


def _flows_within(session: Session, first: dt.date, last: dt.date) -> dict[str, int]:
    """The people flows from `first` to `last` (inclusive), before disclosure control."""

    def inside(moment: dt.date) -> str:
        day = moment.date() if isinstance(moment, dt.datetime) else moment
        return "in" if first <= day <= last else "out"

    return stats.people_flows(session, period_of=inside).get("in", {})


def _window(group: Cohort) -> tuple[dt.date, dt.date]:
    return (group.base - days(10)).date(), group.as_at.date()


def _relative_view(store: Store, group: Cohort) -> dict[str, Any]:
    """The adviser's view with the people's ids gone and times relative to the cohort's base, so two cohorts told
    the same story compare equal."""
    view = store.view(group.adviser_id, group.as_at, *_window(group))
    for row in view["rows"]:
        for key in ("profile_id", "adviser_id"):
            row.pop(key)
        for key in ("registered_at", "clock_started_at", "deadline_at", "offer_at"):
            row[key] = None if row[key] is None else row[key] - group.base
    return view


def test_cohort_figures_in_order(store: Store) -> None:
    group = cohort(f"adv-{uuid.uuid4().hex[:8]}", BASE)
    store.deliver(group.events)
    view = store.view(group.adviser_id, group.as_at, *_window(group), published=True)
    statuses = [row["status"] for row in view["rows"]]
    assert statuses == ["overdue"] * 5 + ["at_risk", "on_track", "met_late"] + ["met"] * 5
    overdue_days = [row["days_waiting"] for row in view["rows"][:5]]
    assert overdue_days == [154, 153, 152, 151, 150]
    overall = view["tallies"]["all"]
    assert {k: overall[k] for k in ("size", "overdue", "met", "met_late", "median", "share")} == {
        "size": 13, "overdue": 5, "met": 5, "met_late": 1, "median": 35.0, "share": 0.833}
    # Published: so small a caseload, with care leavers 10 of its 13, shows no count of the whole that could
    # give away the single at-risk, on-track and late people (see tests/events/test_disclosure.py).
    published = view["summary"]["overall"]
    assert all(figure["suppressed"] for figure in published["counts"].values())
    # the share within the deadline (5 of 6) is shown only with the size hidden, so it pins no count
    assert published["share_offered_within_deadline"]["suppressed"] or published["size"]["suppressed"]
    figures = view["stats"]
    assert (figures["registered_young_people"], figures["referrals"], figures["interviews"], figures["offers"],
            figures["starts"]) == (13, 7, 6, 6, 3)
    assert figures["starts_by_type.kickstart"] == 1 and "starts_by_type.training" not in figures


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_any_order_and_any_number_of_deliveries_give_the_same_figures(store: Store, seed: int) -> None:
    in_order = cohort(f"adv-{uuid.uuid4().hex[:8]}", BASE + days(1000 * seed))
    shuffled = cohort(f"adv-{uuid.uuid4().hex[:8]}", BASE + days(1000 * seed + 500))
    store.deliver(in_order.events)
    rng = random.Random(seed)
    noisy = shuffled.events + shuffled.events + [reissued(event) for event in shuffled.events]
    rng.shuffle(noisy)
    store.deliver(noisy, batch=rng.randint(1, 9))

    view = _relative_view(store, shuffled)
    assert view == _relative_view(store, in_order)
    # the restarted person's newest activity record: NEET (610) since day 100, confirmed on day 140, current on 150;
    # everyone else has none (810, no spell)
    assert view["activity"] == [(610, False, 50)] + [(810, False, -1)] * 12
    # a stale snapshot arriving last must not undo the newer status
    with store.sessions() as session:
        person = session.get(Person, shuffled.restarted.profile_id)
        assert person is not None and person.status == "neet" and person.snapshot_version == 3


COHORT_EVENTS = len(cohort("count", BASE).events)
_examples = itertools.count(1)


@given(plan=delivery_plans(COHORT_EVENTS))
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
def test_generated_duplicate_reissued_and_reordered_deliveries_give_one_clean_runs_figures(
    store: Store, plan: DeliveryPlan
) -> None:
    n = next(_examples)
    in_order = cohort(f"adv-{uuid.uuid4().hex[:8]}", BASE + days(20_000 + 1000 * n))
    noisy = cohort(f"adv-{uuid.uuid4().hex[:8]}", BASE + days(20_500 + 1000 * n))
    store.deliver(in_order.events)
    for batch in plan.batches(noisy.events):
        store.deliver(batch, batch=len(batch))
    assert _relative_view(store, noisy) == _relative_view(store, in_order)


def test_erasure_removes_the_person_but_keeps_anonymous_counts(store: Store) -> None:
    group = cohort(f"adv-{uuid.uuid4().hex[:8]}", BASE + days(5000))
    store.deliver(group.events)
    before = store.view(group.adviser_id, group.as_at, *_window(group))
    erased_met = group.met[2]
    erased_waiting = group.overdue[0]  # the SEND one
    store.deliver([erased_met.erased(group.as_at), erased_waiting.erased(group.as_at)])
    after = store.view(group.adviser_id, group.as_at, *_window(group))

    ids = {row["profile_id"] for row in after["rows"]}
    assert erased_met.profile_id not in ids and erased_waiting.profile_id not in ids
    assert len(after["rows"]) == len(before["rows"]) - 2
    # the offer they had stays in the figures, anonymously; the clock that was still running leaves them
    assert after["tallies"]["all"]["met"] == before["tallies"]["all"]["met"] == 5
    assert after["tallies"]["all"]["median"] == before["tallies"]["all"]["median"]
    assert after["tallies"]["all"]["size"] == 12
    assert after["stats"] == before["stats"]
    with store.sessions() as session:
        assert session.get(Person, erased_met.profile_id) is None
        assert not session.scalars(select(StatusChange).where(
            StatusChange.profile_id == erased_met.profile_id)).all()
        outcomes = session.scalars(select(ErasedOutcome).where(ErasedOutcome.adviser_id == group.adviser_id)).all()
        assert sorted(o.group for o in outcomes) == ["all", "care_leaver"]
        # the redacted trail stays, found by the erasure mark (the profile id itself is no longer kept)
        trail = session.scalars(select(StoredEvent).where(StoredEvent.subject_id == erasure_mark(erased_met.profile_id))
                                .order_by(StoredEvent.id)).all()
        assert [e.event_type for e in trail][-1] == "profile.erased"
        assert all(e.payload == {"redacted": True} and e.redacted_at for e in trail[:-1])
        assert set(trail[-1].payload) == {"erased_at"}
        assert not session.scalars(select(StoredEvent).where(
            StoredEvent.subject_id == str(erased_met.profile_id))).all()

    # events about the person that arrive after the erasure are stored redacted and change nothing personal
    late = offer_flow(erased_waiting, referred=group.as_at, offered=group.as_at + days(1))
    store.deliver(late)
    assert store.view(group.adviser_id, group.as_at, *_window(group))["rows"] == after["rows"]
    with store.sessions() as session:
        stored = session.scalars(select(StoredEvent).where(StoredEvent.event_id.in_(
            [str(e.event_id) for e in late]))).all()
        assert len(stored) == 3 and all(e.payload == {"redacted": True} for e in stored)
        assert session.get(Person, erased_waiting.profile_id) is None


def _without_zone(event: EventEnvelope) -> EventEnvelope:
    """The event as a producer on SQLite sends it: timestamps with no zone."""
    payload = {key: value.removesuffix("Z") if isinstance(value, str) and value.endswith("Z") else value
               for key, value in event.payload.items()}
    return event.model_copy(update={"payload": payload, "occurred_at": event.occurred_at.replace(tzinfo=None)})


def test_timestamps_without_a_zone_are_read_as_utc(store: Store) -> None:
    start = BASE + days(7000)
    employer = Employer()
    opening = Opportunity(employer, positions=2)
    person = YoungPerson(f"adv-{uuid.uuid4().hex[:8]}", start)
    first = [employer.event(start), opening.event(start), person.registered()]
    opening.positions_filled, opening.status = 2, "filled"
    later = [opening.event(start + days(20), EventType.OPPORTUNITY_CLOSED),
             *offer_flow(person, referred=start + days(1), offered=start + days(12), accepted=start + days(13))]
    store.deliver([first[0], *[_without_zone(e) for e in first[1:]], *[_without_zone(e) for e in later]])
    with store.sessions() as session:
        page = guarantee.list_guarantee(session=session, now=start + days(30), rules=RULES,
                                        adviser=person.adviser_id)
        figures = _flows_within(session, start.date(), (start + days(30)).date())
        row = session.get(OpportunityRow, opening.opportunity_id)
        assert row is not None and (row.status, row.positions_filled, row.published_at) == ("filled", 2, start)
    assert [(r.status, r.days_waiting, r.offer_at) for r in page.items] == [("met", 12, start + days(12))]
    assert (figures["offers"], figures["starts"]) == (1, 1)
