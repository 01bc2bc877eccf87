"""The four real services for the UI tests: each app served by uvicorn on a free port, outbox relays publishing to
the real broker, and a small synthetic data set put in through the services' own HTTP APIs."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from infra.broker import LocalBroker, free_port
from infra.seed.synthetic import birth_date_for_age, profile_create
from services.common.auth import Role
from services.events.config import EventsSettings
from services.events.main import create_app as create_events_app
from services.matching.config import MatchingSettings
from services.matching.main import create_app as create_matching_app
from services.opportunities.config import OpportunitiesSettings
from services.opportunities.main import create_app as create_opportunities_app
from services.profiles.config import ProfilesSettings
from services.profiles.main import create_app as create_profiles_app
from tests.support.databases import TestDatabases
from tests.support.live_server import live_server
from tests.support.services import bearer, running_relay
from tests.support.waiting import wait_for

ADVISER = "adviser-1"
OTHER_ADVISER = "adviser-2"


@dataclass
class Seeded:
    employers: dict[str, dict[str, Any]] = field(default_factory=dict)
    opportunities: dict[str, dict[str, Any]] = field(default_factory=dict)
    people: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Stack:
    urls: dict[str, str]
    settings: ProfilesSettings
    seeded: Seeded = field(default_factory=Seeded)
    # The running apps, for tests that change what a composition root was given (e.g. the wage table).
    apps: dict[str, Any] = field(default_factory=dict)

    def headers(self, role: Role, sub: str) -> dict[str, str]:
        return bearer(self.settings, role, sub)

    def call(self, service: str, method: str, path: str, *, role: Role = Role.ADVISER, sub: str = ADVISER,
             expect: int = 200, **kwargs: Any) -> Any:
        response = httpx.request(method, self.urls[service] + path, headers=self.headers(role, sub), timeout=20,
                                 **kwargs)
        assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    def ui_env(self) -> dict[str, str]:
        return {f"UI_{name.upper()}_URL": url for name, url in self.urls.items()} | {
            "YG_ENV": "test", "UI_DEMO_YOUNG_PEOPLE": "20"}


def _employer(name: str, sector: str, postcode: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "postcode": postcode, "sector": sector,
            "contact_email": f"jobs@{name.split()[0].lower()}.example.org", **extra}


def _opportunity(employer_id: str, today: dt.date, **values: Any) -> dict[str, Any]:
    return {
        "employer_id": employer_id, "type": "job", "sector": "catering_hospitality", "postcode": "SK1 3XE",
        "hours_per_week": 37.5, "wage_per_hour": 12.75, "positions": 2,
        "start_date": (today + dt.timedelta(days=60)).isoformat(),
        "closing_date": (today + dt.timedelta(days=30)).isoformat(), **values,
    }


def _person(given: str, family: str, age: int, **values: Any) -> dict[str, Any]:
    return profile_create(**{
        "given_name": given, "family_name": family, "date_of_birth": birth_date_for_age(age).isoformat(),
        "email": f"{given.lower()}.{family.lower()}@example.org", "phone": None, "priority_groups": [],
        "skills": [], "interests": [], "qualifications": [], "about": "", "preferred_types": [], "max_travel_km": 15,
        **values,
    })


ADVISERS = {
    ADVISER: {"name": "Priya Shah", "team": "Stockport Central youth team",
              "email": "priya.shah@youth-hub.example.org", "phone": "0161 496 0101"},
    OTHER_ADVISER: {"name": "Tom Hughes", "team": "Stockport East youth team",
                    "email": "tom.hughes@youth-hub.example.org", "phone": "0161 496 0102"},
}


def seed(stack: Stack) -> Seeded:
    """Two advisers, two employers, four live opportunities and a draft, and four young people (synthetic)."""
    today = dt.date.today()
    seeded = stack.seeded
    for adviser_id, record in ADVISERS.items():
        stack.call("profiles", "PUT", f"/advisers/{adviser_id}", sub=adviser_id, json=record)
    for key, body in {
        "cafe": _employer("Hatters Cafe Ltd", "catering_hospitality", "SK1 1AA", disability_confident=True),
        "garage": _employer("Pennine Motors Ltd", "engineering_manufacturing", "SK4 1AA", living_wage_employer=True),
    }.items():
        seeded.employers[key] = stack.call("opportunities", "POST", "/employers", json=body, expect=201)
    cafe, garage = seeded.employers["cafe"]["id"], seeded.employers["garage"]["id"]
    live = {
        "cafe_job": _opportunity(
            cafe, today, title="Cafe team member",
            description="Serve customers, make drinks and keep the cafe clean and welcoming.",
            skills=["customer service", "teamwork", "food hygiene"]),
        "kitchen_apprentice": _opportunity(
            cafe, today, type="apprenticeship", level=2, title="Kitchen apprentice", postcode="SK2 6AA",
            description="Learn to cook in a busy kitchen while studying for a level 2 qualification.",
            skills=["cooking", "teamwork"], wage_per_hour=8.5, duration_months=12),
        "mechanic_apprentice": _opportunity(
            garage, today, type="apprenticeship", level=3, title="Vehicle technician apprentice",
            sector="engineering_manufacturing", postcode="SK4 2AA",
            description="Service and repair cars with our technicians; day release to college.",
            skills=["car maintenance", "problem solving"], wage_per_hour=9.0, wage_after_first_year=13.5,
            duration_months=24),
        "workshop_experience": _opportunity(
            garage, today, type="work_experience", title="Workshop work experience",
            sector="engineering_manufacturing", postcode="SK5 6AA", hours_per_week=20, wage_per_hour=12.75,
            description="Two weeks in our workshop seeing how a garage runs.", skills=["teamwork"],
            duration_months=1),
    }
    for key, body in live.items():
        draft = stack.call("opportunities", "POST", "/opportunities", json=body, expect=201)
        seeded.opportunities[key] = stack.call("opportunities", "POST", f"/opportunities/{draft['id']}/publish")
    seeded.opportunities["parts_draft"] = stack.call(
        "opportunities", "POST", "/opportunities", expect=201,
        json=_opportunity(garage, today, title="Parts desk assistant", sector="engineering_manufacturing",
                          description="Help customers find the right parts.", skills=["customer service"]))
    people = {
        "alex": (ADVISER, _person("Alex", "Taylor", 17, priority_groups=["care_leaver"],
                                  skills=["customer service", "teamwork"], interests=["cafes", "food"],
                                  about="Likes working with people.", preferred_types=["job", "apprenticeship"],
                                  qualifications=[{"level": "2", "subject": "English"}])),
        "sam": (ADVISER, _person("Sam", "Patel", 19, postcode="SK4 1AA", skills=["car maintenance"],
                                 interests=["cars"], preferred_types=["apprenticeship"],
                                 consent_share_with_employers=False, priority_groups=["send"])),
        "jordan": (ADVISER, _person("Jordan", "Lee", 20, skills=["cooking", "teamwork"], interests=["kitchens"],
                                    preferred_types=["apprenticeship"], priority_groups=["young_carer"])),
        "casey": (OTHER_ADVISER, _person("Casey", "Brown", 18, skills=["teamwork"], interests=["engines"])),
    }
    for key, (adviser, body) in people.items():
        seeded.people[key] = stack.call("profiles", "POST", "/profiles", sub=adviser, json=body, expect=201)
    return seeded


def _ready(url: str) -> bool:
    return httpx.get(url + "/ready", timeout=5).status_code == 200


@contextmanager
def running_stack(databases: TestDatabases, bootstrap_servers: str, tmp: Path) -> Iterator[Stack]:
    """Everything up, seeded, and caught up: clocks known to events, matches known to matching."""
    run = uuid.uuid4().hex[:8]
    common: dict[str, Any] = {"kafka_bootstrap_servers": bootstrap_servers, "environment": "test"}
    profiles_db, opportunities_db = databases.new_url("profiles"), databases.new_url("opportunities")
    profiles_settings = ProfilesSettings(database_url=profiles_db, data_dir=tmp / "profiles", **common)
    with ExitStack() as stack:
        apps: dict[str, Any] = {"profiles": create_profiles_app(profiles_settings)}
        urls = {"profiles": stack.enter_context(live_server(apps["profiles"]))}
        matching_settings = MatchingSettings(
            profiles_url=urls["profiles"], data_dir=tmp / "matching", consumer_name=f"matching-ui-{run}",
            embedder="torch", save_interval_seconds=5.0, **common)
        apps["matching"] = create_matching_app(matching_settings)
        urls["matching"] = stack.enter_context(live_server(apps["matching"]))
        apps["opportunities"] = create_opportunities_app(OpportunitiesSettings(
            database_url=opportunities_db, profiles_url=urls["profiles"], matching_url=urls["matching"],
            expiry_interval_seconds=3600.0,
            # These tests check what a search finds; on a loaded machine the matcher's embedding of the words can
            # take longer than the product's 0.8 s, and browse would then answer from the words alone.
            semantic_timeout_seconds=10.0, **common))
        urls["opportunities"] = stack.enter_context(live_server(apps["opportunities"]))
        apps["events"] = create_events_app(EventsSettings(
            profiles_url=urls["profiles"], matching_url=urls["matching"], database_url=databases.new_url("events"),
            consumer_group=f"events-ui-{run}",
            **common))
        urls["events"] = stack.enter_context(live_server(apps["events"]))
        stack.enter_context(running_relay("profiles", profiles_db, bootstrap_servers))
        stack.enter_context(running_relay("opportunities", opportunities_db, bootstrap_servers))
        stack.enter_context(running_relay("matching", matching_settings.resolved_database_url(), bootstrap_servers))
        live = Stack(urls=urls, settings=profiles_settings, apps=apps)
        seed(live)
        for name in ("events", "matching"):
            wait_for(partial(_ready, urls[name]), what=f"{name} ready", timeout=120, ignoring=(httpx.HTTPError,))
        alex = live.seeded.people["alex"]["id"]
        wait_for(lambda: httpx.get(f"{urls['events']}/guarantee/{alex}", timeout=5,
                                   headers=live.headers(Role.ADVISER, ADVISER)).status_code == 200,
                 what="the guarantee clock of a seeded person", timeout=60, ignoring=(httpx.HTTPError,))
        cafe_job = live.seeded.opportunities["cafe_job"]["id"]

        def alex_matches() -> bool:
            response = httpx.get(f"{urls['matching']}/profiles/{alex}/matches", timeout=5,
                                 headers=live.headers(Role.ADVISER, ADVISER))
            return response.status_code == 200 and any(
                m["opportunity_id"] == cafe_job for m in response.json()["matches"])

        wait_for(alex_matches, what="the cafe job among Alex's matches", timeout=60, ignoring=(httpx.HTTPError,))
        yield live


@contextmanager
def stack_on_own_broker(databases: TestDatabases, tmp: Path) -> Iterator[Stack]:
    """The stack on a broker of its own: the matcher reads its topics from the start, and events other tests put on
    a shared broker would show as matches this opportunities service does not know."""
    broker = LocalBroker(port=free_port(), log_path=tmp / "tansu.log")
    broker.start()
    try:
        with running_stack(databases, broker.bootstrap_servers, tmp) as live:
            yield live
    finally:
        broker.stop()
