"""The demo's activity histories (infra.seed.activity) on the real database: school leavers the returns can count,
activities kept current or lapsing on the day the rule says, and people traced as the rules say."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from typing import Any

import pytest
from sqlalchemy import select

from infra.seed import activity as activity_seed
from infra.seed import profiles as profiles_seed
from infra.seed.context import SeedContext
from services.common.db import make_engine, make_session_factory
from services.common.school_years import academic_age, september_cohort
from services.messaging.vocabulary import ACTIVITY_CODES, FAILED_CONTACT_OUTCOMES
from services.profiles.activity import current_activity, lapses_on
from services.profiles.config import ProfilesSettings
from services.profiles.models import (
    ActivitySpell,
    Appointment,
    CaseloadTransfer,
    ContactAttempt,
    PlannedAction,
    Profile,
    SeptemberGuarantee,
)
from tests.support.databases import TestDatabases

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def seeded(databases: TestDatabases) -> dict[str, Any]:
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("PROFILES_DATABASE_URL", databases.new_url("activity_seed"))
    try:
        ctx = SeedContext(now=NOW, rng=random.Random(2026), show_progress=False)
        profiles_seed.seed(ctx, count=60)
        summary = activity_seed.seed(ctx)
        settings = ProfilesSettings()
    finally:
        monkeypatch.undo()
    engine = make_engine(settings.resolved_database_url())
    with make_session_factory(engine)() as session:
        spells: dict[Any, list[ActivitySpell]] = defaultdict(list)
        for spell in session.scalars(select(ActivitySpell).order_by(ActivitySpell.started_on,
                                                                    ActivitySpell.recorded_at)):
            spells[spell.profile_id].append(spell)
        attempts: dict[Any, list[ContactAttempt]] = defaultdict(list)
        for attempt in session.scalars(select(ContactAttempt).order_by(ContactAttempt.attempted_on)):
            attempts[attempt.profile_id].append(attempt)
        profiles = {p.id: p for p in session.scalars(select(Profile))}
        work = {"actions": session.scalars(select(PlannedAction)).all(),
                "appointments": session.scalars(select(Appointment)).all(),
                "transfers": session.scalars(select(CaseloadTransfer)).all(),
                "offers": session.scalars(select(SeptemberGuarantee)).all()}
        session.expunge_all()
    engine.dispose()
    return {"ctx": ctx, "summary": summary, "settings": settings, "spells": spells, "attempts": attempts,
            "profiles": profiles, **work, "seeded": {p.profile_id for p in ctx.people}}


def test_school_leavers_are_the_16_and_17_year_olds_the_headline_measure_counts(seeded: dict[str, Any]) -> None:
    leavers = [p for p in seeded["profiles"].values() if p.id not in seeded["seeded"]]
    print(f"{len(leavers)} school leavers; {seeded['summary']}")
    assert len(leavers) >= 50
    last_winter = dt.date(2026, 1, 31)
    known_then = [p for p in leavers if p.created_at.date() <= last_winter]
    assert len(known_then) >= 30
    assert {academic_age(p.date_of_birth, last_winter) for p in known_then} == {16, 17}
    sources = Counter(seeded["spells"][p.id][-1].source for p in known_then)
    assert sources["school_or_college"] > 0
    groups = Counter(ACTIVITY_CODES[s.code][0] for p in known_then for s in seeded["spells"][p.id])
    assert groups["education"] > groups["neet_available"] > 0


def test_histories_chain_and_lapse_on_the_day_the_rule_says(seeded: dict[str, Any]) -> None:
    settings: ProfilesSettings = seeded["settings"]
    lapsed = 0
    for spells in seeded["spells"].values():
        for before, after in zip(spells, spells[1:], strict=False):
            assert before.ended_on == after.started_on
            assert before.started_on <= after.started_on
            assert before.confirmed_on <= before.ended_on
            if after.source == "lapsed":
                lapsed += 1
                assert after.code == 810 and after.started_on == lapses_on(before, settings)
        assert spells[-1].ended_on is None
    assert lapsed >= 5


def test_people_are_traced_and_820_follows_three_failed_attempts(seeded: dict[str, Any]) -> None:
    settings: ProfilesSettings = seeded["settings"]
    cannot_contact = 0
    for profile_id, spells in seeded["spells"].items():
        for spell in spells:
            if spell.code != 820:
                continue
            cannot_contact += 1
            not_known_since = max(s.started_on for s in spells if s.code == 810 and s.started_on <= spell.started_on)
            failed = [a for a in seeded["attempts"][profile_id]
                      if not_known_since <= a.attempted_on <= spell.started_on and a.outcome in FAILED_CONTACT_OUTCOMES]
            assert len(failed) == settings.failed_contacts_until_cannot_contact
    reached = sum(a.outcome == "reached" for atts in seeded["attempts"].values() for a in atts)
    assert reached > 0 and cannot_contact + seeded["summary"].attempts["refused"] > 0
    today = NOW.date()
    now = Counter(current_activity(s, today, settings).group for s in seeded["spells"].values())  # type: ignore[union-attr]
    print(dict(now))
    assert 0 < now["not_known"] < sum(now.values()) / 4


def test_school_leavers_have_their_september_guarantee_recorded_most_with_an_offer(seeded: dict[str, Any]) -> None:
    offers = seeded["offers"]
    leavers = {p.id for p in seeded["profiles"].values() if p.id not in seeded["seeded"]}
    assert offers and {offer.profile_id for offer in offers} <= leavers
    recorded = {(offer.profile_id, offer.year) for offer in offers}
    due = {(p.id, year) for p in seeded["profiles"].values() if p.id in leavers for year in (2025, 2026)
           if september_cohort(p.date_of_birth, year) and p.created_at.date() <= dt.date(year, 9, 30)}
    assert recorded <= due and len(recorded) < len(due)  # some not recorded
    assert {year for _, year in recorded} == {2025, 2026}
    for offer in offers:
        assert september_cohort(seeded["profiles"][offer.profile_id].date_of_birth, offer.year) is not None
    outcomes = Counter(offer.outcome for offer in offers)
    assert outcomes == seeded["summary"].september_guarantee
    assert outcomes["offer_made"] > len(offers) / 2 and outcomes["no_offer"] + outcomes["offer_not_appropriate"] > 0


def test_waiting_people_have_actions_appointments_and_some_moved_caseload(seeded: dict[str, Any]) -> None:
    today = NOW.date()
    actions, appointments = seeded["actions"], seeded["appointments"]
    assert len({a.profile_id for a in actions}) >= 5
    assert any(a.status == "done" for a in actions)
    assert any(a.status == "open" and a.due_on < today for a in actions)  # late: on the adviser's due list
    assert any(a.outcome == "missed" for a in appointments) and any(a.outcome == "attended" for a in appointments)
    upcoming = [a for a in appointments if a.starts_at.date() >= today]
    assert upcoming and all(a.outcome is None for a in upcoming)
    transfers = seeded["transfers"]
    assert transfers and all(t.from_adviser_id != t.to_adviser_id for t in transfers)
    assert all(seeded["profiles"][t.profile_id].adviser_id == t.to_adviser_id for t in transfers)
