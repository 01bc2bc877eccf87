"""The whole stack as a newcomer starts it (`youth-guarantee up` on a fresh data folder, with seeding), driven
over HTTP only: readiness, a young person's journey from registration to an offer across all services,
erasure reaching every service, and `down` leaving no process behind."""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from infra.broker import port_open
from infra.seed.synthetic import birth_date_for_age
from infra.stack import ADDRESSES, BROKER_PORT, KEEP_ALIVE_SECONDS, SERVICES, UI
from services.common.settings import CommonSettings
from tests.support.tokens import bearer
from tests.support.waiting import wait_for

REPO = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "infra.cli"]
PROFILES, OPPORTUNITIES, MATCHING, EVENTS, NOTIFICATIONS = (c.url for c in SERVICES)


@dataclass
class RunningStack:
    env: dict[str, str]
    run_dir: Path
    output: list[str]
    profiles_ready_after: float | None
    journey: dict[str, Any] = field(default_factory=dict)

    def headers(self, role: str, sub: str) -> dict[str, str]:
        return bearer(CommonSettings(), role, sub)


def stack_processes(run_dir: Path) -> list[str]:
    """Processes of the stack started with this run folder (other stacks on the machine are not ours)."""
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True, check=True).stdout
    markers = ("uvicorn --factory services.", "infra.relay", "streamlit run", f"127.0.0.1:{BROKER_PORT}")
    ours = f"YG_RUN_DIR={run_dir}".encode()
    return [line for line in out.splitlines()
            if any(marker in line for marker in markers) and ours in _environment(int(line.split()[0]))]


def _environment(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return b""


def _down(stack_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, "down"], cwd=REPO, env=stack_env, capture_output=True, text=True, timeout=120)


def stack_ports_free() -> None:
    ports = [BROKER_PORT, *(c.port for c in SERVICES), UI.port, ADDRESSES.smtp_port]
    busy = [port for port in ports if port and port_open("127.0.0.1", port)]
    if busy:
        pytest.fail(f"ports {busy} are taken; stop the running stack (youth-guarantee down) before this test")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    stack_ports_free()
    root = tmp_path_factory.mktemp("stack")
    env = {k: v for k, v in os.environ.items()
           if not k.endswith(("_DATABASE_URL", "_GC_FREEZE")) and k != "KAFKA_BOOTSTRAP_SERVERS"}
    # A broker of its own, so the profiles service consumes referral outcomes as deployed (tests/conftest.py turns
    # that off for services started per test).
    env.update(YG_DATA_DIR=str(root / "data"), YG_RUN_DIR=str(root / "run"), SEED="1", YG_ENV="development",
               PROFILES_CONSUME="true")
    started = time.monotonic()
    up = subprocess.Popen([*CLI, "up"], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output: list[str] = []
    profiles_ready_after = None
    try:
        assert up.stdout is not None
        for line in up.stdout:
            output.append(line)
            if profiles_ready_after is None and line.startswith("profiles: ready"):
                profiles_ready_after = time.monotonic() - started
        assert up.wait(timeout=600) == 0, "".join(output)
        yield RunningStack(env, root / "run", output, profiles_ready_after)
    finally:
        _down(env)


def test_up_makes_every_built_service_ready_and_profiles_within_60s(stack: RunningStack) -> None:
    assert stack.profiles_ready_after is not None and stack.profiles_ready_after < 60, "".join(stack.output)
    for component in (*SERVICES, UI):
        if component.is_built():
            path = "/_stcore/health" if component is UI else "/ready"
            assert httpx.get(component.url + path, timeout=5).status_code == 200, component.name
    assert "seed: profiles: seeded" in "".join(stack.output)


def test_a_service_keeps_an_idle_connection_open_longer_than_its_clients_do(stack: RunningStack) -> None:
    """A client (httpx) keeps an idle connection for 5 s and then lets it go; a server that closed its end at the
    same moment failed the request sent on it. Each service answers on a connection left idle past that."""
    idle = httpx.Limits().keepalive_expiry
    assert idle is not None and idle < KEEP_ALIVE_SECONDS
    connections = {component.name: socket.create_connection((ADDRESSES.host, component.port), timeout=5)
                   for component in SERVICES if component.is_built()}
    try:
        for connection in connections.values():
            assert _health_on(connection).startswith(b"HTTP/1.1 200")
        time.sleep(idle + 1)
        for name, connection in connections.items():
            assert _health_on(connection).startswith(b"HTTP/1.1 200"), f"{name} closed an idle connection"
    finally:
        for connection in connections.values():
            connection.close()


def _health_on(connection: socket.socket) -> bytes:
    """GET /health on an open connection, keeping it open; the whole answer (b"" when the server had closed it)."""
    try:
        connection.sendall(f"GET /health HTTP/1.1\r\nHost: {ADDRESSES.host}\r\n\r\n".encode())
        answer, length = b"", None
        while length is None or len(answer) < length:
            chunk = connection.recv(4096)
            if not chunk:
                return answer
            answer += chunk
            head, separator, _ = answer.partition(b"\r\n\r\n")
            if separator and length is None:
                sized = re.search(rb"content-length: *(\d+)", head, re.IGNORECASE)
                assert sized is not None, head
                length = len(head) + len(separator) + int(sized.group(1))
        return answer
    except OSError:
        return b""


def test_every_service_keeps_what_it_holds_out_of_full_garbage_collections(stack: RunningStack) -> None:
    matching = next(component for component in SERVICES if component.name == "matching")

    def settled() -> dict[str, Any] | None:
        details = httpx.get(matching.url + "/ready", timeout=5).json()
        return details if not details["phrases_warming"] and details["gc_frozen_objects"] else None

    details = wait_for(settled, what="the matcher's phrases embedded and what it holds frozen", timeout=120)
    assert details["gc_frozen_objects"] > 50_000, details  # the model, the facts, the phrase vectors, the libraries
    for component in SERVICES:
        frozen = httpx.get(component.url + "/ready", timeout=5).json()["gc_frozen_objects"]
        assert frozen > 50_000, (component.name, frozen)  # its libraries and what it loaded as it started


def test_journey_from_registration_to_offer_across_all_services(stack: RunningStack) -> None:
    if not all(c.is_built() for c in SERVICES):
        pytest.fail("every service must be built for the journey")
    adviser = stack.headers("adviser", "adviser-e2e")
    today = dt.date.today()
    person = httpx.post(
        f"{PROFILES}/profiles",
        headers=adviser,
        json={
            "given_name": "Journey",
            "family_name": "Tester",
            "date_of_birth": birth_date_for_age(19, today).isoformat(),
            "postcode": "SK1 3XE",
            "status": "neet",
            "on_universal_credit": True,
            "skills": ["bicycle repair", "customer service", "wheel truing"],
            "interests": ["bicycle mechanic"],
            "about": "I fix bikes for friends and want to do it as a job.",
            "preferred_types": ["apprenticeship"],
            "max_travel_km": 15,
            "consent_share_with_employers": True,
        },
    )
    assert person.status_code == 201, person.text
    pid = person.json()["id"]
    employer = httpx.post(
        f"{OPPORTUNITIES}/employers",
        headers=adviser,
        json={
            "name": "Journey Cycles Ltd",
            "postcode": "SK4 1AA",
            "sector": "sales_marketing_procurement",
            "contact_email": "jobs@journeycycles.example.org",
            "living_wage_employer": True,
        },
    )
    assert employer.status_code == 201, employer.text
    eid = employer.json()["id"]
    boss = stack.headers("employer", eid)
    draft = httpx.post(
        f"{OPPORTUNITIES}/opportunities",
        headers=boss,
        json={
            "employer_id": eid,
            "type": "apprenticeship",
            "title": "Cycle mechanic apprentice",
            "description": "Repair and service bicycles in our Heaton Moor workshop; wheel truing and fitting.",
            "skills": ["bicycle repair", "wheel truing", "customer service"],
            "sector": "sales_marketing_procurement",
            "level": 2,
            "postcode": "SK4 1AA",
            "hours_per_week": 37.5,
            "wage_per_hour": 12.71,
            "duration_months": 18,
            "positions": 2,
            "start_date": (today + dt.timedelta(days=60)).isoformat(),
            "closing_date": (today + dt.timedelta(days=30)).isoformat(),
        },
    )
    assert draft.status_code == 201, draft.text
    oid = draft.json()["id"]
    assert httpx.post(f"{OPPORTUNITIES}/opportunities/{oid}/publish", headers=boss).status_code == 200

    def suggested() -> dict[str, Any] | None:
        response = httpx.get(f"{MATCHING}/profiles/{pid}/matches", params={"k": 10}, headers=adviser)
        if response.status_code != 200:
            return None
        body: dict[str, Any] = response.json()
        return body if any(m["opportunity_id"] == oid for m in body["matches"]) else None

    served = wait_for(suggested, timeout=30, interval=0.25, what="the new opportunity among the person's matches")
    rank, match = next((rank, m) for rank, m in enumerate(served["matches"], start=1) if m["opportunity_id"] == oid)
    assert {"bicycle repair", "wheel truing"} <= set(match["explanation"]["matched_skills"])

    referral = httpx.post(
        f"{OPPORTUNITIES}/referrals",
        headers=adviser,
        json={"profile_id": pid, "opportunity_id": oid, "note": "Great with bikes",
              "suggestion": {"list_id": served["list_id"], "rank": rank}},
    )
    assert referral.status_code == 201, referral.text
    rid = referral.json()["id"]
    seen_by_employer = httpx.get(f"{OPPORTUNITIES}/opportunities/{oid}/referrals", headers=boss).json()["items"]
    assert [r["candidate"]["given_name"] for r in seen_by_employer] == ["Journey"]
    for status in ("applied", "interviewing", "offered"):
        moved = httpx.patch(f"{OPPORTUNITIES}/referrals/{rid}", headers=boss, json={"status": status})
        assert moved.status_code == 200, moved.text

    def clock_met() -> dict[str, Any] | None:
        response = httpx.get(f"{EVENTS}/guarantee/{pid}", headers=adviser)
        if response.status_code != 200 or response.json()["current"] is None:
            return None
        return response.json() if response.json()["current"]["status"] == "met" else None

    wait_for(clock_met, timeout=30, interval=0.25, what="the guarantee clock stopping at the offer")
    audit = httpx.get(f"{EVENTS}/events", params={"aggregate_id": pid}, headers=adviser).json()
    assert {"profile.registered"} <= {event["event_type"] for event in audit["items"]}

    # The list the referral came from reached the audit log through the relay (the matcher's outbox), and the
    # referral's event says where it stood to it.
    def about_person(event_type: str) -> list[dict[str, Any]]:
        return list(httpx.get(f"{EVENTS}/events", params={"profile_id": pid, "event_type": event_type},
                              headers=adviser).json()["items"])

    wait_for(lambda: served["list_id"] in {e["aggregate_id"] for e in about_person("suggestions.served")},
             timeout=30, interval=0.25, what="the served list in the audit log")
    [created] = about_person("referral.created")
    assert created["payload"]["oversight"] == {"list_id": served["list_id"], "rank": rank, "top": 5,
                                               "within_top": rank <= 5, "reason": None, "has_words": False}

    # Accepting the offer writes the activity record by itself: an apprenticeship spell, and the status follows.
    assert httpx.patch(f"{OPPORTUNITIES}/referrals/{rid}", headers=boss, json={"status": "accepted"}).status_code == 200
    record = wait_for(lambda: httpx.get(f"{PROFILES}/profiles/{pid}/activity", headers=adviser).json(),
                      until=lambda body: body["current_code"] == 310, timeout=30, interval=0.25,
                      what="the accepted apprenticeship in the activity record")
    assert record["spells"][0]["source"] == "referral_outcome"
    assert httpx.get(f"{PROFILES}/profiles/{pid}", headers=adviser).json()["status"] == "employment"
    stack.journey.update(pid=pid, oid=oid)


def test_erasure_reaches_matching_and_the_guarantee_list(stack: RunningStack) -> None:
    if not stack.journey:
        pytest.fail("the journey test must run first")
    adviser = stack.headers("adviser", "adviser-e2e")
    pid, oid = stack.journey["pid"], stack.journey["oid"]
    assert httpx.delete(f"{PROFILES}/profiles/{pid}", headers=adviser).status_code == 204

    def gone() -> bool:
        matches = httpx.post(
            f"{MATCHING}/search",
            headers=adviser,
            json={"text": "bicycle repair wheel truing", "k": 50, "target": "profiles"},
        ).json()
        in_search = any(m["profile_id"] == pid for m in matches["matches"])
        clock = httpx.get(f"{EVENTS}/guarantee/{pid}", headers=adviser).status_code
        return not in_search and clock == 404

    wait_for(gone, timeout=30, interval=0.25, what="the erased person gone from matching and the guarantee list")
    assert httpx.get(f"{MATCHING}/profiles/{pid}/matches", headers=adviser).status_code == 404
    assert httpx.get(f"{OPPORTUNITIES}/opportunities/{oid}").status_code == 200


def test_down_stops_everything_and_leaves_no_process(stack: RunningStack) -> None:
    down = _down(stack.env)
    assert down.returncode == 0, down.stderr
    assert "broker" in down.stdout and "profiles" in down.stdout
    time.sleep(0.5)
    assert stack_processes(stack.run_dir) == []
    assert not any(port_open("127.0.0.1", c.port) for c in (*SERVICES, UI) if c.port)
