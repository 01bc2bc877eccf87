"""The opportunities seed, after the profiles seed, on the real PostgreSQL: enough realistic, rule-abiding
opportunities and a back-dated referral history consistent with each young person's registration."""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from infra.seed import opportunities as opportunities_seed
from infra.seed import profiles as profiles_seed
from infra.seed.context import SeedContext
from services.common.db import make_engine, make_session_factory
from services.events.contract import parse_event
from services.opportunities.config import OpportunitiesSettings
from services.opportunities.models import Employer, Opportunity, OutboxRecord, Referral, ReferralStatusChange
from services.opportunities.rules import check_publishable
from tests.support.databases import TestDatabases

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def seeded(databases: TestDatabases) -> dict[str, Any]:
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("PROFILES_DATABASE_URL", databases.new_url("seed_profiles"))
    monkeypatch.setenv("OPPORTUNITIES_DATABASE_URL", databases.new_url("seed_opportunities"))
    try:
        ctx = SeedContext(now=NOW, rng=random.Random(2026), show_progress=False)
        profiles_seed.seed(ctx)
        started = time.perf_counter()
        summary = opportunities_seed.seed(ctx)
        seconds = time.perf_counter() - started
        settings = OpportunitiesSettings()
    finally:
        monkeypatch.undo()
    engine = make_engine(settings.resolved_database_url())
    with make_session_factory(engine)() as session:
        rows = {
            "employers": session.scalars(select(Employer)).all(),
            "opportunities": session.scalars(select(Opportunity)).all(),
            "referrals": session.scalars(select(Referral)).all(),
            "changes": session.scalars(select(ReferralStatusChange)).all(),
            "outbox": session.scalars(select(OutboxRecord).order_by(OutboxRecord.id)).all(),
        }
    engine.dispose()
    return {"ctx": ctx, "summary": summary, "seconds": seconds, "settings": settings, **rows}


def test_seeding_is_quick(seeded: dict[str, Any]) -> None:
    print(f"opportunities seed: {seeded['seconds']:.1f} s, {seeded['summary']}")
    assert seeded["seconds"] < 30


def test_at_least_40_employers_recorded_in_the_context(seeded: dict[str, Any]) -> None:
    assert len(seeded["employers"]) >= 40
    assert sorted(seeded["ctx"].employer_ids) == sorted(e.id for e in seeded["employers"])
    assert len({e.name for e in seeded["employers"]}) == len(seeded["employers"])
    assert all(e.contact_email.endswith(".example.org") for e in seeded["employers"])


def test_at_least_300_live_opportunities_of_every_type_across_stockport(seeded: dict[str, Any]) -> None:
    live = [o for o in seeded["opportunities"] if o.status == "live" and o.closing_date >= NOW.date()]
    assert len(live) >= 300 and seeded["summary"].live_opportunities == len(live)
    types = Counter(o.type for o in live)
    assert set(types) == {"apprenticeship", "kickstart", "job", "traineeship", "training", "work_experience"}
    assert min(types.values()) >= 20
    districts = Counter(o.postcode.split()[0] for o in live)
    assert sum(n for d, n in districts.items() if d in {f"SK{i}" for i in range(1, 9)}) > len(live) / 2
    assert len(districts) >= 10
    assert len({o.sector for o in live}) == 15
    assert len({o.title for o in live}) > 200


def test_every_published_opportunity_passed_the_rules_on_its_publishing_day(seeded: dict[str, Any]) -> None:
    settings: OpportunitiesSettings = seeded["settings"]
    published = [o for o in seeded["opportunities"] if o.published_at is not None]
    assert len(published) == len(seeded["opportunities"])
    for opportunity in published:
        check_publishable(opportunity, today=opportunity.published_at.date(), settings=settings)
        if opportunity.type == "apprenticeship":
            assert 2 <= (opportunity.level or 0) <= 7 and (opportunity.duration_months or 0) >= 12
        if opportunity.type == "kickstart":
            assert opportunity.hours_per_week == 25 and opportunity.requires_universal_credit
        assert 1 <= opportunity.hours_per_week <= 40 and opportunity.positions >= 1


def test_titles_and_descriptions_come_from_esco_occupations(seeded: dict[str, Any]) -> None:
    pools = opportunities_seed.occupations_by_sector().values()
    esco = {occupation.title.lower() for pool in pools for occupation in pool}
    for opportunity in seeded["opportunities"][:100]:
        assert any(title in opportunity.title.lower() for title in esco), opportunity.title
        assert len(opportunity.description) > 80 and 3 <= len(opportunity.skills) <= 6


def test_a_referral_history_consistent_with_registrations(seeded: dict[str, Any]) -> None:
    people = {person.profile_id: person for person in seeded["ctx"].people}
    referrals = seeded["referrals"]
    assert len(referrals) >= len(people) / 2
    statuses = Counter(r.status for r in referrals)
    assert {"accepted", "unsuccessful", "withdrawn", "declined"} <= set(statuses)
    assert statuses["accepted"] >= 20
    changes = sorted(seeded["changes"], key=lambda c: c.changed_at)
    reached = {c.to_status for c in changes}
    assert {"referred", "applied", "interviewing", "offered", "accepted", "unsuccessful"} <= reached
    for change in changes:
        referral = next(r for r in referrals if r.id == change.referral_id)
        person = people[referral.profile_id]
        assert person.registered_at < _aware(change.changed_at) <= NOW
    months = {_aware(r.created_at).strftime("%Y-%m") for r in referrals}
    assert len(months) >= 5  # spread over past months
    for referral in referrals:
        assert referral.adviser_id in seeded["ctx"].adviser_ids


def test_the_outbox_holds_valid_events_in_time_order(seeded: dict[str, Any]) -> None:
    events = [parse_event(json.dumps(row.envelope)) for row in seeded["outbox"]]
    kinds = Counter(str(e.event_type) for e in events)
    assert kinds["employer.registered"] >= 40 and kinds["opportunity.published"] >= 300
    assert kinds["opportunity.closed"] > 0 and kinds["referral.status_changed"] > 0 and kinds["interest.expressed"] > 0
    by_aggregate: dict[str, list[Any]] = {}
    for event in events:
        by_aggregate.setdefault(event.aggregate_id, []).append(event)
    for history in by_aggregate.values():
        assert [e.occurred_at for e in history] == sorted(e.occurred_at for e in history)
        assert [e.aggregate_version for e in history] == sorted({e.aggregate_version for e in history})
    assert max(e.occurred_at for e in events) <= NOW
    expired = [e for e in events if e.event_type == "opportunity.closed" and e.payload["closed_reason"] == "expired"]
    assert expired and all(e.occurred_at.date() > dt.date.fromisoformat(e.payload["closing_date"]) for e in expired)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
