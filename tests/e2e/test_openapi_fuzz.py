"""Schemathesis against the four services' own OpenAPI documents, with valid tokens: generated examples for every
operation, then stateful sequences along the links it infers (create, then read, change, list...). No answer may
be a server error or break the schema its document declares (status, content type, body, headers)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import checks
from schemathesis.core.failures import FailureGroup

from services.common.auth import Role
from services.common.clock import FixedClock
from services.common.settings import CommonSettings
from services.events.config import EventsSettings
from services.events.main import create_app as create_events
from services.matching.config import MatchingSettings
from services.matching.main import create_app as create_matching
from services.opportunities.config import OpportunitiesSettings
from services.opportunities.main import create_app as create_opportunities
from services.profiles.config import ProfilesSettings
from services.profiles.main import create_app as create_profiles
from tests.matching.helpers import HashingEmbedder
from tests.support.databases import TestDatabases
from tests.support.keys import CONSUMER_KEYS
from tests.support.live_server import live_server
from tests.support.tokens import bearer

NOW = dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)
EXAMPLES_PER_OPERATION = 12
STATEFUL_SCENARIOS = 6
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


@dataclass
class Tally:
    operations: set[str] = field(default_factory=set)
    cases: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)

    def record(self, service: str, case: schemathesis.Case, response: Any, settings: CommonSettings) -> None:
        label = f"{service} {case.method} {case.path}"
        self.operations.add(label)
        self.cases += 1
        self.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=token_for(case, settings))
        except FailureGroup as group:
            for failure in group.exceptions:
                where = self.server_errors if response.status_code >= 500 else self.violations
                where.append(f"{label} -> {response.status_code}: {failure.title}: {str(failure)[:300]}")


def token_for(case: schemathesis.Case, settings: CommonSettings) -> dict[str, str]:
    """A valid token of the role the operation is for (as the tests mint them)."""
    if case.path.startswith("/keys") or case.path.endswith("/subject") or case.path == "/candidate-lists":
        return bearer(settings, Role.SERVICE, "events")
    if case.path.endswith("/interest"):
        return bearer(settings, Role.YOUNG_PERSON, "3f1b7e3c-0000-4000-8000-000000000001")
    return bearer(settings, Role.ADVISER, "adviser-fuzz")


@dataclass
class Running:
    name: str
    url: str
    settings: CommonSettings


@pytest.fixture(scope="module")
def services(databases: TestDatabases, bootstrap_servers: str, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[list[Running]]:
    clock = FixedClock(NOW)
    with ExitStack() as stack:
        profiles = ProfilesSettings(database_url=databases.new_url("profiles"), environment="test",
                                    kafka_bootstrap_servers=bootstrap_servers)
        profiles_url = stack.enter_context(live_server(create_profiles(profiles, clock=clock)))
        opportunities = OpportunitiesSettings(
            environment="test", database_url=databases.new_url("opportunities"), profiles_url=profiles_url,
            consume=False, semantic_search=False, expiry_interval_seconds=3600.0,
            kafka_bootstrap_servers=bootstrap_servers,
        )
        matching = MatchingSettings(environment="test", data_dir=tmp_path_factory.mktemp("fuzz-matching"),
                                    kafka_bootstrap_servers=bootstrap_servers)
        matching_url = stack.enter_context(live_server(
            create_matching(matching, clock=clock, embedder=HashingEmbedder(), keys=CONSUMER_KEYS)))
        events = EventsSettings(environment="test", database_url=databases.new_url("events"), consume=False,
                                kafka_bootstrap_servers=bootstrap_servers, matching_url=matching_url)
        yield [
            Running("profiles", profiles_url, profiles),
            Running("opportunities", stack.enter_context(live_server(create_opportunities(opportunities, clock=clock))),
                    opportunities),
            Running("events", stack.enter_context(live_server(create_events(events, clock=clock, keys=CONSUMER_KEYS))),
                    events),
            Running("matching", matching_url, matching),
        ]


def fuzz_examples(service: Running, schema: Any, tally: Tally) -> None:
    for result in schema.get_all_operations():
        operation = result.ok()

        @hypothesis.given(case=operation.as_strategy())
        @hypothesis.settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
                             phases=[Phase.explicit, Phase.generate],
                             suppress_health_check=list(HealthCheck))
        def run(case: schemathesis.Case) -> None:
            tally.record(service.name, case, case.call(headers=token_for(case, service.settings), timeout=30),
                         service.settings)

        run()


def fuzz_stateful(service: Running, schema: Any, tally: Tally) -> int:
    machine = schema.as_state_machine()

    class Machine(machine):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"headers": token_for(case, service.settings), "timeout": 30}

        def validate_response(self, response: Any, case: schemathesis.Case, *args: Any, **kwargs: Any) -> None:
            tally.record(service.name, case, response, service.settings)

    Machine.run(settings=hypothesis.settings(max_examples=STATEFUL_SCENARIOS, stateful_step_count=6, deadline=None,
                                             derandomize=True, database=None, phases=[Phase.generate],
                                             suppress_health_check=list(HealthCheck)))
    return len(getattr(machine, "transitions", None).operations) if hasattr(machine, "transitions") else 0


def test_no_server_errors_and_no_schema_breaks(services: list[Running]) -> None:
    tally = Tally()
    for service in services:
        schema = schemathesis.openapi.from_url(f"{service.url}/openapi.json")
        schema.config.base_url = service.url
        before = tally.cases
        fuzz_examples(service, schema, tally)
        examples = tally.cases - before
        fuzz_stateful(service, schema, tally)
        print(f"\n{service.name}: {examples} example cases, {tally.cases - before - examples} stateful steps")
    print(f"operations {len(tally.operations)}, cases {tally.cases}, server errors {len(tally.server_errors)}, "
          f"schema violations {len(tally.violations)}; statuses {dict(sorted(tally.statuses.items()))}")
    for line in [*tally.server_errors, *tally.violations][:40]:
        print("  " + line)
    assert len(tally.operations) >= 30
    assert tally.server_errors == [] and tally.violations == []


def _named(response: Any, *loc: str) -> bool:
    """A 422 whose body is JSON and names the field at `loc`."""
    if response.status_code != 422:
        return False
    return any(tuple(str(part) for part in item["loc"][: len(loc)]) == loc for item in response.json()["detail"])


def test_hostile_inputs_get_a_4xx_naming_the_field(services: list[Running]) -> None:
    """The five causes of the 500s: offsets past 2^63 on every list route, NaN/Infinity in number fields, a lone
    surrogate or NUL in a string, a far-future /stats date, an extreme /events `since`."""
    import httpx

    by_name = {service.name: service for service in services}
    answers: list[tuple[str, bool]] = []

    def send(service: str, method: str, path: str, *, content: str | None = None, **params: str) -> httpx.Response:
        running = by_name[service]
        headers = {"Content-Type": "application/json",
                   **bearer(running.settings, Role.ADVISER, "adviser-fuzz")}
        return httpx.request(method, running.url + path, params=params, content=content, headers=headers, timeout=30)

    listed = 0
    for service in services:
        document = httpx.get(f"{service.url}/openapi.json", timeout=30).json()
        for path, operations in document["paths"].items():
            parameters = operations.get("get", {}).get("parameters", [])
            if any(parameter["name"] == "offset" for parameter in parameters):
                listed += 1
                concrete = path.replace("{", "").replace("}", "")  # any id: validation answers first
                for name in ("employer_id", "opportunity_id", "profile_id"):
                    concrete = concrete.replace(name, "3f1b7e3c-0000-4000-8000-000000000001")
                response = send(service.name, "GET", concrete, offset=str(2**63))
                answers.append((f"{service.name} GET {path}?offset=2^63", _named(response, "query", "offset")))

    opportunity = ('{"employer_id": "3f1b7e3c-0000-4000-8000-000000000001", "type": "job", "title": "Chef",'
                   ' "description": "Cooking", "sector": "hospitality", "postcode": "SK1 3XE",'
                   ' "start_date": "2026-06-01", "closing_date": "2026-05-01", "hours_per_week": @}')
    for constant in ("NaN", "Infinity", "-Infinity"):
        response = send("opportunities", "POST", "/opportunities", content=opportunity.replace("@", constant))
        answers.append((f"POST /opportunities hours_per_week={constant}", _named(response, "body", "hours_per_week")))
        response = send("matching", "POST", "/search",
                        content='{"text": "chef", "target": "opportunities", "filters": {"max_distance_km": @}}'
                        .replace("@", constant))
        answers.append((f"POST /search max_distance_km={constant}", _named(response, "body", "filters")))
    for character in ("\\ud800", "\\udfff", "\\u0000"):
        response = send("opportunities", "POST", "/employers",
                        content='{"name": "Caf^", "postcode": "SK1 3XE", "sector": "hospitality",'
                                ' "contact_email": "someone@example.org"}'.replace("^", character))
        answers.append((f"POST /employers name with {character}", _named(response, "body", "name")))
        response = send("opportunities", "POST", "/opportunities",
                        content=opportunity.replace("@", "30").replace('"Chef"', f'"Chef{character}"'))
        answers.append((f"POST /opportunities title with {character}", _named(response, "body", "title")))
    for path in ("/profiles?q=a%00", "/profiles?adviser_id=a%00"):
        running = by_name["profiles"]
        response = httpx.get(running.url + path, headers=bearer(running.settings, Role.ADVISER, "a"), timeout=30)
        answers.append((f"GET {path}", _named(response, "query", path.split("?")[1].split("=")[0])))
    for path in ("/interests?adviser_id=a%00", "/opportunities?q=a%00"):
        running = by_name["opportunities"]
        response = httpx.get(running.url + path, headers=bearer(running.settings, Role.ADVISER, "a"), timeout=30)
        answers.append((f"GET {path}", _named(response, "query", path.split("?")[1].split("=")[0])))
    for month in ("9999-12", "0000-01", "2026-11-01"):
        answers.append((f"GET /stats?month={month}",
                        _named(send("events", "GET", "/stats", month=month), "query", "month")))
    for moment in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"):
        answers.append((f"GET /events?since={moment}",
                        _named(send("events", "GET", "/events", since=moment), "query", "since")))

    refused = [label for label, ok in answers if ok]
    print(f"\nhostile inputs: {len(answers)} sent ({listed} list routes with an offset), "
          f"{len(refused)} refused with a 4xx naming the field")
    for label, ok in answers:
        if not ok:
            print("  NOT refused well:", label)
    assert listed >= 7
    assert len(refused) == len(answers)
