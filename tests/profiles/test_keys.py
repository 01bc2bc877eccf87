"""The key service: who may fetch which keys, that keys are kept only wrapped under the key-encryption key, and
that erasure destroys them; the key-encryption key is a secret outside development."""

from __future__ import annotations

import base64
import uuid

import pytest

from services.common.settings import InsecureConfiguration
from services.messaging.sealing import HttpKeyRing
from services.profiles.config import ProfilesSettings
from services.profiles.main import create_app
from tests.support.databases import all_text_in_database
from tests.support.factories import profile_payload
from tests.support.keys import profiles_keys


def _register(profiles, **fields) -> tuple[str, str]:
    created = profiles.client.post("/profiles", json=profile_payload(**fields), headers=profiles.as_("adviser"))
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    subject = profiles.client.get(f"/profiles/{pid}/subject", headers=profiles.as_("service", "opportunities"))
    assert subject.status_code == 200, subject.text
    return pid, subject.json()["subject"]


def test_only_services_get_keys_and_only_the_events_service_special_category_keys(profiles) -> None:
    pid, subject = _register(profiles, priority_groups=["send"])
    body = {"subjects": [subject, str(uuid.uuid4())]}
    assert profiles.client.post("/keys/personal", json=body).status_code == 401
    for role, sub in (("adviser", "adviser-1"), ("young_person", pid), ("employer", str(uuid.uuid4()))):
        for purpose in ("personal", "special"):
            answer = profiles.client.post(f"/keys/{purpose}", json=body, headers=profiles.as_(role, sub))
            assert answer.status_code == 403, (role, purpose)
        assert profiles.client.get(f"/profiles/{pid}/subject", headers=profiles.as_(role, sub)).status_code == 403
    personal = profiles.client.post("/keys/personal", json=body, headers=profiles.as_("service", "matching"))
    assert personal.status_code == 200 and personal.headers["cache-control"] == "no-store"
    assert [(k["subject"], k["profile_id"]) for k in personal.json()["keys"]] == [(subject, pid)], "unknown: left out"
    matching = profiles.as_("service", "matching")
    assert profiles.client.post("/keys/special", json=body, headers=matching).status_code == 403
    special = profiles.client.post("/keys/special", json=body, headers=profiles.as_("service", "events"))
    assert special.status_code == 200 and special.json()["keys"][0]["key"] != personal.json()["keys"][0]["key"]
    assert profiles.client.post("/keys/personal", json={"subjects": []},
                                headers=profiles.as_("service", "events")).status_code == 422
    unknown = profiles.client.get(f"/profiles/{uuid.uuid4()}/subject", headers=profiles.as_("service", "events"))
    assert unknown.status_code == 404


def test_keys_are_stored_wrapped_and_erasure_destroys_them(profiles) -> None:
    pid, subject = _register(profiles)
    ring: HttpKeyRing = profiles_keys(profiles.client, profiles.settings)
    keys = {purpose: ring.fetch(purpose, [uuid.UUID(subject)])[uuid.UUID(subject)]
            for purpose in ("personal", "special")}
    stored = all_text_in_database(profiles.database_url)
    for key in keys.values():
        assert key.secret.hex() not in stored and base64.b64encode(key.secret).decode().lower() not in stored

    assert profiles.client.delete(f"/profiles/{pid}", headers=profiles.as_("adviser")).status_code == 204
    ring.forget([uuid.UUID(subject)])
    assert ring.fetch("personal", [uuid.UUID(subject)]) == {} and ring.fetch("special", [uuid.UUID(subject)]) == {}
    assert profiles.client.get(f"/profiles/{pid}/subject", headers=profiles.as_("service", "events")).status_code == 404


@pytest.mark.unit
def test_outside_development_the_key_encryption_key_must_be_set_and_256_bits() -> None:
    with pytest.raises(InsecureConfiguration):
        create_app(ProfilesSettings(environment="production", oidc_issuer="https://idp", oidc_jwks_url="https://idp/k"))
    with pytest.raises(InsecureConfiguration):
        ProfilesSettings(key_encryption_key=base64.b64encode(b"short").decode()).kek()
    with pytest.raises(InsecureConfiguration):
        ProfilesSettings(key_encryption_key="not base64!").kek()
    good = base64.b64encode(bytes(range(32))).decode()
    assert ProfilesSettings(environment="production", key_encryption_key=good).kek() == bytes(range(32))
