"""Who may read what, across the four real services (seeded, on a broker of their own):

- the read audit: an adviser's read of a young person's profile and an employer's read of a referral of them reach
  the audit log (who, when, what; nothing of special category), and the person, only they (and advisers), can list
  who has looked;
- the access matrix: every route with a path id in the services' OpenAPI documents (and the restricted ones
  without, UNADDRESSED), called by every role, by the owner's and another owner's tokens, by each service under its
  own key, anonymously and with bad tokens (expired, wrong key, wrong audience, over-long, alg none, a service key
  signing a person's token): nobody outside a route's allowed callers gets a 2xx, and the allowed callers are not
  refused (401/403) on the routes that only read."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from services.common.school_years import september_cohort
from services.common.tokens import ISSUER, SERVICE_NAMES, USER_AUDIENCE, Role, SigningKey, TokenIssuer
from tests.support.databases import TestDatabases
from tests.support.figures import report
from tests.support.tokens import token
from tests.support.waiting import wait_for
from tests.ui.stack import ADVISER, OTHER_ADVISER, Stack, stack_on_own_broker

SPECIAL_WORDS = ("send", "ethnicity", "care_leaver", "young_carer", "disab")


@pytest.fixture(scope="module")
def stack(databases: TestDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with stack_on_own_broker(databases, Path(tmp_path_factory.mktemp("privacy-stack"))) as live:
        yield live


@pytest.fixture(scope="module")
def referral(stack: Stack) -> dict[str, Any]:
    """Sam (who did not agree to share their details) referred to the garage's apprenticeship."""
    sam = stack.seeded.people["sam"]["id"]
    opportunity = stack.seeded.opportunities["mechanic_apprentice"]["id"]
    created: dict[str, Any] = stack.call("opportunities", "POST", "/referrals", expect=201,
                                         json={"profile_id": sam, "opportunity_id": opportunity})
    return created


def _views(stack: Stack, profile_id: str, role: Role, sub: str) -> httpx.Response:
    return httpx.get(f"{stack.urls['events']}/people/{profile_id}/views", headers=stack.headers(role, sub), timeout=20)


def test_reads_of_a_persons_record_are_recorded_and_the_person_sees_who_looked(
    stack: Stack, referral: dict[str, Any]
) -> None:
    sam, alex = stack.seeded.people["sam"]["id"], stack.seeded.people["alex"]["id"]
    garage = stack.seeded.employers["garage"]
    assert _views(stack, sam, Role.YOUNG_PERSON, sam).json()["items"] == []
    stack.call("profiles", "GET", f"/profiles/{sam}", role=Role.YOUNG_PERSON, sub=sam)  # their own: not a look
    stack.call("profiles", "GET", f"/profiles/{sam}", sub="adviser-2")
    seen = stack.call("opportunities", "GET", f"/referrals/{referral['id']}", role=Role.EMPLOYER, sub=garage["id"])
    assert seen["profile_id"] is None and seen["candidate"]["pseudonym"].startswith("candidate-")

    def two_looks() -> list[dict[str, Any]] | None:
        items: list[dict[str, Any]] = _views(stack, sam, Role.YOUNG_PERSON, sam).json()["items"]
        return items if len(items) == 2 else None

    looks = wait_for(two_looks, what="both looks at Sam's record in the audit log", timeout=90,
                     ignoring=(httpx.HTTPError,))
    by_record = {look["record"]: look for look in looks}
    assert (by_record["profile"]["viewer_role"], by_record["profile"]["viewer"]) == ("adviser", "adviser-2")
    assert by_record["referral"] | {"viewed_at": None} == {
        "viewed_at": None, "viewer_role": "employer", "viewer": garage["id"], "viewer_name": garage["name"],
        "record": "referral", "referral_id": referral["id"],
        "opportunity_title": stack.seeded.opportunities["mechanic_apprentice"]["title"],
    }
    answer = _views(stack, sam, Role.ADVISER, ADVISER)
    assert answer.status_code == 200 and len(answer.json()["items"]) == 2
    assert not any(word in answer.text.lower() for word in SPECIAL_WORDS)  # Sam is in the SEND group
    assert _views(stack, sam, Role.YOUNG_PERSON, alex).status_code == 403
    assert _views(stack, sam, Role.EMPLOYER, garage["id"]).status_code == 403
    for service in SERVICE_NAMES:
        assert _views(stack, sam, Role.SERVICE, service).status_code == 403
    audit = stack.call("events", "GET", "/events", params={"profile_id": sam, "limit": 50})
    types = Counter(item["event_type"] for item in audit["items"])
    assert types["profile.viewed"] == 1 and types["referral.viewed"] == 1
    report(f"read audit: looks recorded and listed for the person: {len(looks)} ({', '.join(sorted(by_record))}); "
           f"audit log event types for them: {dict(types)}")


# The callers: the owner of the ids in the path (Sam, the garage), another owner (Alex, the cafe), an adviser, each
# service under its own key, nobody, and bad tokens.
OWNED = ("adviser", "employer", "young_person")
A, E, Y, YO = "adviser", "employer", "young_person", "young_person:other"


def svc(name: str) -> str:
    return f"service:{name}"


# Who may get a 2xx from each route with a path id, with the owner's ids in the path. A route missing here fails
# the test: a new route must say who may call it.
ALLOWED: dict[tuple[str, str, str], frozenset[str]] = {
    ("profiles", "GET", "/profiles/{profile_id}"): frozenset({A, Y}),
    ("profiles", "PATCH", "/profiles/{profile_id}"): frozenset({A, Y}),
    ("profiles", "DELETE", "/profiles/{profile_id}"): frozenset({A, Y}),
    ("profiles", "GET", "/profiles/{profile_id}/eligibility"): frozenset({A, Y, svc("opportunities")}),
    ("profiles", "GET", "/profiles/{profile_id}/employer-view"): frozenset({A, Y, svc("opportunities")}),
    ("profiles", "GET", "/profiles/{profile_id}/contact"): frozenset({A, Y, svc("notifications")}),
    ("profiles", "GET", "/profiles/{profile_id}/subject"): frozenset(
        {svc("opportunities"), svc("matching"), svc("events"), svc("notifications")}
    ),
    ("profiles", "GET", "/advisers/{adviser_id}"): frozenset(
        {A, E, "employer:other", Y, YO, svc("opportunities"), svc("notifications")}
    ),
    ("profiles", "PUT", "/advisers/{adviser_id}"): frozenset({A}),
    ("profiles", "GET", "/profiles/{profile_id}/activity"): frozenset({A}),
    ("profiles", "POST", "/profiles/{profile_id}/activity"): frozenset({A}),
    ("profiles", "POST", "/profiles/{profile_id}/activity/confirmation"): frozenset({A}),
    ("profiles", "POST", "/profiles/{profile_id}/contact-attempts"): frozenset({A}),
    ("profiles", "PUT", "/profiles/{profile_id}/september-guarantee/{year}"): frozenset({A}),
    ("profiles", "GET", "/profiles/{profile_id}/actions"): frozenset({A}),
    ("profiles", "POST", "/profiles/{profile_id}/actions"): frozenset({A}),
    ("profiles", "POST", "/profiles/{profile_id}/actions/{action_id}/done"): frozenset({A}),
    ("profiles", "GET", "/profiles/{profile_id}/appointments"): frozenset({A}),
    ("profiles", "POST", "/profiles/{profile_id}/appointments"): frozenset({A}),
    ("profiles", "POST", "/profiles/{profile_id}/appointments/{appointment_id}/outcome"): frozenset({A}),
    ("profiles", "GET", "/profiles/{profile_id}/transfers"): frozenset({A}),
    ("profiles", "POST", "/profiles/{profile_id}/transfers"): frozenset({A}),
    ("opportunities", "GET", "/employers/{employer_id}"): frozenset({A, E, svc("notifications")}),
    ("opportunities", "PATCH", "/employers/{employer_id}"): frozenset({A, E}),
    ("opportunities", "GET", "/employers/{employer_id}/opportunities"): frozenset({A, E}),
    ("opportunities", "GET", "/opportunities/{opportunity_id}"): frozenset({A, E}),  # a draft
    ("opportunities", "PATCH", "/opportunities/{opportunity_id}"): frozenset({A, E}),
    ("opportunities", "POST", "/opportunities/{opportunity_id}/publish"): frozenset({A, E}),
    ("opportunities", "POST", "/opportunities/{opportunity_id}/close"): frozenset({A, E}),
    ("opportunities", "GET", "/opportunities/{opportunity_id}/referrals"): frozenset({A, E}),
    ("opportunities", "POST", "/opportunities/{opportunity_id}/interest"): frozenset({Y, YO}),
    ("opportunities", "GET", "/referrals/{referral_id}"): frozenset({A, E, Y}),
    ("opportunities", "PATCH", "/referrals/{referral_id}"): frozenset({A, E}),
    ("opportunities", "POST", "/profiles/{profile_id}/dismissals"): frozenset({A}),
    ("matching", "GET", "/profiles/{profile_id}/matches"): frozenset({A, Y}),
    ("matching", "GET", "/opportunities/{opportunity_id}/matches"): frozenset({A}),
    ("events", "GET", "/people/{profile_id}/views"): frozenset({A, Y}),
    ("events", "GET", "/guarantee/{profile_id}"): frozenset({A}),
}
# Routes without a path id that only some callers may use, walked the same way (a new one belongs here).
UNADDRESSED: dict[tuple[str, str, str], frozenset[str]] = {
    ("events", "GET", "/exposure"): frozenset({A}),
    **{("events", "GET", path): frozenset({A}) for path in (
        "/returns/headline", "/returns/headline.csv", "/returns/indicators", "/returns/indicators.csv",
        "/returns/september-guarantee", "/returns/september-guarantee.csv", "/returns/extract.csv")},
    ("matching", "GET", "/candidate-lists"): frozenset({svc("events")}),
    ("profiles", "GET", "/actions/due"): frozenset({A}),
    ("profiles", "GET", "/activity/lapsed?adviser_id={adviser_id}"): frozenset({A, svc("notifications")}),
}
# A body a wrongly admitted caller would succeed with (only callers who may not act are sent these); a function of
# the seeded records where the body names one.
BODIES: dict[tuple[str, str], Any] = {
    ("PATCH", "/profiles/{profile_id}"): {"about": "Changed by the access matrix."},
    ("PUT", "/advisers/{adviser_id}"): {"name": "Changed By Matrix", "team": "Matrix team",
                                        "email": "matrix@hub.example.org", "phone": "0161 496 0199"},
    ("POST", "/profiles/{profile_id}/activity"): {"code": 330, "started_on": dt.date.today().isoformat(),
                                                 "source": "adviser"},
    ("POST", "/profiles/{profile_id}/activity/confirmation"): {},
    ("POST", "/profiles/{profile_id}/contact-attempts"): {"method": "phone", "outcome": "refused",
                                                          "attempted_on": dt.date.today().isoformat()},
    ("PUT", "/profiles/{profile_id}/september-guarantee/{year}"): {"outcome": "offer_made"},
    ("POST", "/profiles/{profile_id}/actions"): {"category": "other", "description": "Set by the access matrix",
                                                "due_on": dt.date.today().isoformat()},
    ("POST", "/profiles/{profile_id}/actions/{action_id}/done"): {},
    ("POST", "/profiles/{profile_id}/appointments"): {"starts_at": "2030-01-07T10:00:00Z", "mode": "phone"},
    ("POST", "/profiles/{profile_id}/appointments/{appointment_id}/outcome"): {"outcome": "cancelled"},
    ("POST", "/profiles/{profile_id}/transfers"): {"to_adviser_id": OTHER_ADVISER, "reason": "Access matrix"},
    ("PATCH", "/employers/{employer_id}"): {"name": "Changed by the access matrix"},
    ("PATCH", "/opportunities/{opportunity_id}"): {"title": "Changed by the access matrix"},
    ("POST", "/opportunities/{opportunity_id}/close"): {"reason": "closed by the access matrix"},
    ("PATCH", "/referrals/{referral_id}"): {"status": "applied"},
    ("POST", "/profiles/{profile_id}/dismissals"): lambda seeded: {
        "opportunity_id": seeded.opportunities["cafe_job"]["id"], "reason": "too_far"},
}


def _bad_tokens(stack: Stack) -> dict[str, str]:
    issuer = stack.settings.development_issuer()
    now = int(dt.datetime.now(dt.UTC).timestamp())
    claims = {"iss": ISSUER, "sub": ADVISER, "role": "adviser", "aud": list(USER_AUDIENCE), "scope": "",
              "iat": now, "exp": now + 600}
    real = issuer.key
    return {
        "bad:expired": issuer.issue(role=Role.ADVISER, sub=ADVISER, ttl=dt.timedelta(seconds=-120)),
        "bad:wrong-key": jwt.encode(claims, SigningKey.generate("issuer").private, algorithm="EdDSA",
                                    headers={"kid": real.kid}),
        "bad:unknown-key": TokenIssuer(SigningKey.generate("issuer")).issue(role=Role.ADVISER, sub=ADVISER),
        "bad:wrong-audience": issuer.issue(role=Role.ADVISER, sub=ADVISER, audience="another-platform"),
        "bad:over-long": jwt.encode({**claims, "exp": 32503680000}, real.private, algorithm="EdDSA",
                                    headers={"kid": real.kid}),
        "bad:alg-none": jwt.encode(claims, None, algorithm="none"),
        "bad:service-key-for-a-person": stack.settings.service_signer("events").issue(role=Role.ADVISER, sub=ADVISER),
        "bad:junk": "not-a-token",
    }


def _callers(stack: Stack) -> dict[str, dict[str, str]]:
    seeded = stack.seeded
    subjects = {A: ADVISER, E: seeded.employers["garage"]["id"], "employer:other": seeded.employers["cafe"]["id"],
                Y: seeded.people["sam"]["id"], YO: seeded.people["alex"]["id"]}
    roles = {A: Role.ADVISER, E: Role.EMPLOYER, "employer:other": Role.EMPLOYER, Y: Role.YOUNG_PERSON,
             YO: Role.YOUNG_PERSON}
    callers = {name: {"Authorization": f"Bearer {token(stack.settings, roles[name], sub)}"}
               for name, sub in subjects.items()}
    callers |= {svc(name): {"Authorization": f"Bearer {token(stack.settings, Role.SERVICE, name)}"}
                for name in SERVICE_NAMES}
    callers["anonymous"] = {}
    callers |= {name: {"Authorization": f"Bearer {value}"} for name, value in _bad_tokens(stack).items()}
    return callers


def test_the_access_matrix_admits_no_caller_outside_each_routes_allowed_callers(
    stack: Stack, referral: dict[str, Any]
) -> None:
    seeded = stack.seeded
    sam = seeded.people["sam"]["id"]
    action = stack.call("profiles", "POST", f"/profiles/{sam}/actions", expect=201, json={
        "category": "job_search", "description": "Two applications", "due_on": dt.date.today().isoformat()})
    appointment = stack.call("profiles", "POST", f"/profiles/{sam}/appointments", expect=201, json={
        "starts_at": "2030-01-07T10:00:00Z", "mode": "in_person"})
    ids = {"profile_id": sam, "employer_id": seeded.employers["garage"]["id"],
           "adviser_id": ADVISER, "opportunity_id": seeded.opportunities["parts_draft"]["id"],
           "referral_id": referral["id"], "action_id": action["id"], "appointment_id": appointment["id"]}
    born = dt.date.fromisoformat(seeded.people["sam"]["date_of_birth"])  # a year of Sam's September Guarantee
    ids["year"] = next(year for year in range(dt.date.today().year, 1999, -1) if september_cohort(born, year))
    routes = []
    for service in stack.urls:  # the services the test stack runs (not notifications: tests/notifications)
        document = httpx.get(f"{stack.urls[service]}/openapi.json", timeout=20).json()
        routes += [(service, method.upper(), path) for path, operations in document["paths"].items() if "{" in path
                   for method in operations]
    assert sorted(routes) == sorted(ALLOWED), "every route with a path id must say who may call it (ALLOWED)"
    routes += list(UNADDRESSED)
    callers = _callers(stack)
    outcomes: Counter[str] = Counter()
    admitted_wrongly: list[str] = []
    refused_wrongly: list[str] = []
    with httpx.Client(timeout=30) as client:
        for service, method, path in routes:
            allowed = {**ALLOWED, **UNADDRESSED}[(service, method, path)]
            url = stack.urls[service] + path.format(**ids)
            for name, headers in callers.items():
                if name in allowed and method != "GET":
                    outcomes["allowed, not sent (it would change what the other checks see)"] += 1
                    continue
                body = BODIES.get((method, path))
                response = client.request(method, url, headers=headers, json=body(seeded) if callable(body) else body)
                cell = f"{method} {service}{path} as {name}: {response.status_code} {response.text[:120]}"
                if name in allowed:
                    outcomes["allowed, answered"] += 1
                    if response.status_code in (401, 403):
                        refused_wrongly.append(cell)
                elif 200 <= response.status_code < 300:
                    admitted_wrongly.append(cell)
                else:
                    outcomes[f"refused {response.status_code}"] += 1
                    if name.startswith("bad:"):
                        assert response.status_code == 401, cell
    checked = len(routes) * len(callers)
    report(f"access matrix: {len(routes)} routes x {len(callers)} callers = {checked} checked: "
           + ", ".join(f"{what} {count}" for what, count in sorted(outcomes.items())))
    assert not admitted_wrongly, "callers got a 2xx they must not:\n" + "\n".join(admitted_wrongly)
    assert not refused_wrongly, "allowed callers were refused:\n" + "\n".join(refused_wrongly)
    assert sum(outcomes.values()) == checked
