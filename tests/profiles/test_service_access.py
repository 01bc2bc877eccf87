"""What each service may read here, by the scopes its own key may claim: no service reads a whole profile (SEND and
ethnicity included); the opportunities service gets eligibility facts and the consented employer view; only the
events service gets special category keys. And the sign-in pieces: the JWKS and, in development only, the demo
sign-in that answers a person's token."""

from __future__ import annotations

import base64

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from services.common.db import make_engine
from services.common.tokens import SERVICE_NAMES, JwksFile, TokenVerifier
from services.messaging.contract import EventEnvelope
from services.profiles.config import ProfilesSettings
from services.profiles.main import create_app
from services.profiles.models import OutboxRecord
from tests.profiles.conftest import ProfilesHarness
from tests.support.factories import profile_payload
from tests.support.figures import report
from tests.support.keys import open_events, profiles_keys

SPECIAL = {"ethnicity", "priority_groups", "about", "given_name", "family_name", "postcode", "email", "phone"}


def test_no_service_reads_a_whole_profile_and_opportunities_gets_only_eligibility_facts(
    profiles: ProfilesHarness,
) -> None:
    created = profiles.client.post(
        "/profiles", json=profile_payload(priority_groups=["send", "care_leaver"], ethnicity="Roma",
                                          on_universal_credit=True), headers=profiles.as_("adviser")).json()
    pid = created["id"]
    checked = 0
    for name in SERVICE_NAMES:
        service = profiles.as_("service", name)
        whole = profiles.client.get(f"/profiles/{pid}", headers=service)
        assert whole.status_code == 403, (name, whole.text)
        assert "Roma" not in whole.text and "send" not in whole.text
        checked += 1
    facts = profiles.client.get(f"/profiles/{pid}/eligibility", headers=profiles.as_("service", "opportunities"))
    assert facts.status_code == 200, facts.text
    assert facts.json() == {"id": pid, "date_of_birth": created["date_of_birth"], "on_universal_credit": True,
                            "adviser_id": "adviser-1"}
    assert not SPECIAL & set(facts.json())
    for name in ("matching", "events", "profiles"):
        assert profiles.client.get(f"/profiles/{pid}/eligibility",
                                   headers=profiles.as_("service", name)).status_code == 403
        assert profiles.client.get(f"/profiles/{pid}/employer-view",
                                   headers=profiles.as_("service", name)).status_code == 403
    view = profiles.client.get(f"/profiles/{pid}/employer-view", headers=profiles.as_("service", "opportunities"))
    assert view.status_code == 200 and "Roma" not in view.text and "send" not in view.text
    assert profiles.client.get(f"/profiles/{pid}/eligibility", headers=profiles.as_("employer", pid)).status_code == 403
    body = {"subjects": [profiles.client.get(f"/profiles/{pid}/subject",
                                             headers=profiles.as_("service", "matching")).json()["subject"]]}
    assert profiles.client.post("/keys/special", json=body, headers=profiles.as_("service", "matching")).status_code \
        == 403
    assert profiles.client.post("/keys/special", json=body, headers=profiles.as_("service", "events")).status_code \
        == 200
    assert profiles.client.post("/keys/personal", json=body, headers=profiles.as_("adviser")).status_code == 403
    report(f"service access: services refused the whole profile: {checked} of {len(SERVICE_NAMES)}; "
           f"eligibility facts: {sorted(facts.json())}")


def test_the_demo_sign_in_answers_a_persons_token_and_the_jwks_has_only_public_keys(profiles: ProfilesHarness) -> None:
    answer = profiles.client.post("/dev/tokens", json={"role": "employer", "sub": "e-1"})
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    token = answer.json()["access_token"]
    assert answer.json()["expires_in"] == 3600
    jwks = profiles.client.get("/.well-known/jwks.json").json()
    assert {key["kid"].split(".")[0] for key in jwks["keys"]} >= {"issuer", *SERVICE_NAMES}
    assert all(set(key) <= {"kty", "crv", "x", "kid", "alg", "use"} for key in jwks["keys"])  # no "d"
    principal = TokenVerifier(audience="opportunities", keys=JwksFile(profiles.settings.resolved_jwks_file())
                              ).verify(token)
    assert (principal.role, principal.sub) == ("employer", "e-1")
    refused = profiles.client.post("/dev/tokens", json={"role": "service", "sub": "events"})
    assert refused.status_code == 422 and "role" in refused.text
    assert jwt.decode(token, options={"verify_signature": False})["aud"] == list(SERVICE_NAMES)


@pytest.mark.unit
def test_outside_development_there_is_no_demo_sign_in(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = ProfilesSettings(environment="production", oidc_issuer="https://idp.example.org",
                                oidc_jwks_url="https://idp.example.org/jwks", data_dir=tmp_path,
                                key_encryption_key=base64.b64encode(bytes(32)).decode())
    client = TestClient(create_app(settings))  # no lifespan: these routes need no database
    assert client.post("/dev/tokens", json={"role": "adviser", "sub": "a"}).status_code == 404
    assert client.get("/.well-known/jwks.json").status_code == 200


def _views(database_url: str) -> list[EventEnvelope]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.scalars(select(OutboxRecord.envelope).where(OutboxRecord.event_type == "profile.viewed"))
            return [EventEnvelope.model_validate(row) for row in rows]
    finally:
        engine.dispose()


def test_an_advisers_read_of_a_profile_goes_to_the_audit_log_naming_the_person_by_subject_only(
    profiles: ProfilesHarness,
) -> None:
    created = profiles.client.post("/profiles", json=profile_payload(priority_groups=["send"], ethnicity="Roma"),
                                   headers=profiles.as_("adviser")).json()
    pid = created["id"]
    assert profiles.client.get(f"/profiles/{pid}", headers=profiles.as_("young_person", pid)).status_code == 200
    assert _views(profiles.database_url) == []  # the person reading their own profile is not a look by others
    for adviser in ("adviser-1", "adviser-2"):
        assert profiles.client.get(f"/profiles/{pid}", headers=profiles.as_("adviser", adviser)).status_code == 200
    views = _views(profiles.database_url)
    assert len(views) == 2
    wire = " ".join(view.model_dump_json() for view in views)
    assert pid not in wire and "Roma" not in wire and "\"send\"" not in wire
    opened = open_events(views, profiles_keys(profiles.client, profiles.settings))
    assert [(v.payload["profile_id"], v.payload["viewer_role"], v.payload["viewer"], v.payload["record"])
            for v in opened] == [(pid, "adviser", "adviser-1", "profile"), (pid, "adviser", "adviser-2", "profile")]
    assert all(v.aggregate_id == v.payload["view_id"] for v in opened)
    report(f"read audit: profile reads recorded: {len(views)} (advisers), 0 (the person themself)")


def test_only_the_notifications_service_reads_contact_details(profiles: ProfilesHarness) -> None:
    created = profiles.client.post(
        "/profiles", json=profile_payload(email="sam.contact@example.org", priority_groups=["send"],
                                          ethnicity="Roma"), headers=profiles.as_("adviser")).json()
    pid = created["id"]
    contact = profiles.client.get(f"/profiles/{pid}/contact", headers=profiles.as_("service", "notifications"))
    assert contact.status_code == 200, contact.text
    assert contact.json() == {"id": pid, "given_name": created["given_name"], "email": "sam.contact@example.org",
                              "date_of_birth": created["date_of_birth"], "adviser_id": "adviser-1"}
    refused = [name for name in SERVICE_NAMES if name != "notifications"
               and profiles.client.get(f"/profiles/{pid}/contact",
                                       headers=profiles.as_("service", name)).status_code == 403]
    assert refused == [name for name in SERVICE_NAMES if name != "notifications"]
    assert profiles.client.get(f"/profiles/{pid}/contact", headers=profiles.as_("employer", pid)).status_code == 403
    assert profiles.client.get(f"/profiles/{pid}", headers=profiles.as_("service", "notifications")).status_code \
        == 403
