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
from infra.seed import outcomes as outcomes_seed
from infra.seed import profiles as profiles_seed
from infra.seed.context import SeedContext
from services.common.db import make_engine, make_session_factory
from services.messaging.contract import parse_event
from services.messaging.vocabulary import can_be_remote
from services.opportunities.config import OpportunitiesSettings
from services.opportunities.models import Employer, Opportunity, OutboxRecord, Referral, ReferralStatusChange
from services.opportunities.rules import check_publishable
from services.profiles.config import ProfilesSettings
from services.profiles.models import OutboxRecord as ProfilesOutbox
from tests.support.databases import TestDatabases
from tests.support.keys import ProfilesDatabaseKeys, open_events

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def seeded(databases: TestDatabases) -> dict[str, Any]:
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("PROFILES_DATABASE_URL", databases.new_url("seed_profiles"))
    monkeypatch.setenv("OPPORTUNITIES_DATABASE_URL", databases.new_url("seed_opportunities"))
    try:
        ctx = SeedContext(now=NOW, rng=random.Random(2026), show_progress=False)
        started = time.perf_counter()
        profiles_seed.seed(ctx)
        profiles_done = time.perf_counter()
        summary = opportunities_seed.seed(ctx)
        seconds = time.perf_counter() - profiles_done
        outcomes = outcomes_seed.seed(ctx)
        all_seconds = time.perf_counter() - started
        settings = OpportunitiesSettings()
        profiles_url = ProfilesSettings().resolved_database_url()
    finally:
        monkeypatch.undo()
    profiles_engine = make_engine(profiles_url)
    with make_session_factory(profiles_engine)() as session:
        profile_events = [
            parse_event(json.dumps(row.envelope))
            for row in session.scalars(select(ProfilesOutbox).order_by(ProfilesOutbox.id))
        ]
    profiles_engine.dispose()
    keys = ProfilesDatabaseKeys(profiles_url, ProfilesSettings().kek())
    profile_events = open_events(profile_events, keys)  # as the consumers allowed the keys read them
    keys.close()
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
    return {
        "ctx": ctx,
        "summary": summary,
        "seconds": seconds,
        "all_seconds": all_seconds,
        "outcomes": outcomes,
        "profile_events": profile_events,
        "settings": settings,
        **rows,
    }


def test_seeding_is_quick(seeded: dict[str, Any]) -> None:
    print(f"opportunities seed: {seeded['seconds']:.1f} s, {seeded['summary']}")
    print(f"all three seed steps: {seeded['all_seconds']:.1f} s, {seeded['outcomes']}")
    assert seeded["seconds"] < 30
    assert seeded["all_seconds"] < 30


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
    remote = [o for o in published if o.remote]
    assert remote and all(can_be_remote(o.sector, o.type) for o in remote)  # no remote hairdressing
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


def test_a_few_first_offers_come_after_the_guarantee_deadline(seeded: dict[str, Any]) -> None:
    """The late offers the guarantee figures count as met_late: first offers more than 120 days after registering."""
    people = {person.profile_id: person for person in seeded["ctx"].people}
    first_offer: dict[Any, dt.datetime] = {}
    for offer in seeded["ctx"].offers:
        first_offer.setdefault(offer.profile_id, offer.offered_at)
    waited = {pid: (at - people[pid].registered_at).days for pid, at in first_offer.items()}
    late = [pid for pid, days in waited.items() if days > 120]
    assert len(late) >= 5 and seeded["summary"].late_referrals >= 5
    assert len(first_offer) - len(late) >= 30  # most offers still come in time
    offered = {r.id for r in seeded["referrals"] if r.status in ("offered", "accepted", "declined")}
    assert {offer.referral_id for offer in seeded["ctx"].offers} <= offered | {
        c.referral_id for c in seeded["changes"] if c.to_status == "offered"
    }


def test_outcomes_follow_accepted_offers(seeded: dict[str, Any]) -> None:
    """Each person's first accepted offer moves them to employment (training for a course) when they accepted;
    a few are back to NEET later; each profile's events stay in time order."""
    first = outcomes_seed.first_acceptances(seeded["ctx"].offers)
    accepted = {r.id for r in seeded["referrals"] if r.status == "accepted"}
    assert first and {offer.referral_id for offer in first} <= accepted
    updates: dict[str, list[Any]] = {}
    registered: dict[str, str] = {}
    for event in seeded["profile_events"]:
        if event.event_type == "profile.updated":
            updates.setdefault(event.aggregate_id, []).append(event)
        if event.event_type == "profile.registered":
            registered[event.aggregate_id] = event.payload["status"]
    moved = 0
    for offer in first:
        assert offer.accepted_at is not None
        expected = "training" if offer.opportunity_type in ("training", "traineeship") else "employment"
        if registered[str(offer.profile_id)] == expected:
            continue  # already there when they registered: nothing to change (later updates are of other fields)
        started = [e for e in updates.get(str(offer.profile_id), []) if e.payload["status"] == expected]
        assert started and started[0].occurred_at >= offer.accepted_at
        assert "neet" not in started[0].payload["priority_groups"]
        moved += 1
    assert moved >= len(first) * 0.8
    back = []
    for pid, events in updates.items():
        previous = registered[pid]
        for event in events:
            if event.payload["status"] == "neet" and previous != "neet":
                back.append(event)
            previous = event.payload["status"]
    assert len(back) == seeded["outcomes"].back_to_neet >= 5
    assert all("neet" in e.payload["priority_groups"] for e in back)
    by_profile: dict[str, list[Any]] = {}
    for event in seeded["profile_events"]:
        by_profile.setdefault(event.aggregate_id, []).append(event)
    for history in by_profile.values():
        assert [e.occurred_at for e in history] == sorted(e.occurred_at for e in history)
        assert max(e.occurred_at for e in history) <= NOW
