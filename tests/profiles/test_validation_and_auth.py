"""Bad input gets a 422 naming the field and stores nothing; tokens and roles are enforced."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import create_engine, func, select

from infra.seed.synthetic import birth_date_for_age
from services.profiles.models import OutboxRecord, Profile
from tests.support.factories import profile_payload


def _counts(database_url: str) -> tuple[int, int]:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        profiles = connection.scalar(select(func.count()).select_from(Profile))
        outbox = connection.scalar(select(func.count()).select_from(OutboxRecord))
    engine.dispose()
    return profiles or 0, outbox or 0


ONE_DAY = dt.timedelta(days=1)
TURNING_16_TODAY, TURNING_31_TODAY = (birth_date_for_age(age, birthday=True) for age in (16, 31))


BAD_INPUTS = [
    ("unknown field", {"favourite_colour": "blue"}, "favourite_colour"),
    ("wrong type bool", {"on_universal_credit": "yes"}, "on_universal_credit"),
    ("wrong type list", {"skills": "cooking"}, "skills"),
    ("impossible date", {"date_of_birth": "2008-02-30"}, "date_of_birth"),
    ("timestamp as date", {"date_of_birth": 1199145600}, "date_of_birth"),
    ("malformed postcode", {"postcode": "SK1 XXX"}, "postcode"),
    ("empty given name", {"given_name": "   "}, "given_name"),
    ("over-long about", {"about": "x" * 2001}, "about"),
    ("over-long skill", {"skills": ["y" * 61]}, "skills"),
    ("unknown status", {"status": "retired"}, "status"),
    ("unknown priority group", {"priority_groups": ["pensioner"]}, "priority_groups"),
    ("bad email", {"email": "not-an-email"}, "email"),
    ("negative travel", {"max_travel_km": -3}, "max_travel_km"),
    ("too young", {"date_of_birth": (TURNING_16_TODAY + ONE_DAY).isoformat()}, "date_of_birth"),
    ("too old", {"date_of_birth": TURNING_31_TODAY.isoformat()}, "date_of_birth"),
    ("born in the future", {"date_of_birth": (dt.date.today() + dt.timedelta(days=3)).isoformat()}, "date_of_birth"),
]


@pytest.mark.parametrize(("case", "override", "field"), BAD_INPUTS, ids=[case[0] for case in BAD_INPUTS])
def test_bad_input_is_422_naming_the_field_and_stores_nothing(profiles, case, override, field) -> None:
    before = _counts(profiles.database_url)
    response = profiles.client.post("/profiles", json=profile_payload(**override), headers=profiles.as_("adviser"))
    assert response.status_code == 422, response.text
    named = [error["loc"][-1] if error["loc"][-1] != 0 else error["loc"][-2] for error in response.json()["detail"]]
    assert field in [str(name) for name in named] or any(field in map(str, e["loc"]) for e in response.json()["detail"])
    assert _counts(profiles.database_url) == before


def test_age_boundaries_on_registration_day_are_accepted(profiles) -> None:
    for born in (TURNING_16_TODAY.isoformat(), (TURNING_31_TODAY + ONE_DAY).isoformat()):
        response = profiles.client.post(
            "/profiles", json=profile_payload(date_of_birth=born), headers=profiles.as_("adviser")
        )
        assert response.status_code == 201, response.text


def test_patch_rejects_null_for_required_fields_and_changes_nothing(profiles) -> None:
    created = profiles.client.post("/profiles", json=profile_payload(), headers=profiles.as_("adviser")).json()
    before = _counts(profiles.database_url)
    response = profiles.client.patch(
        f"/profiles/{created['id']}", json={"given_name": None, "skills": ["welding"]}, headers=profiles.as_("adviser")
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "given_name"]
    assert _counts(profiles.database_url) == before  # (counted before the read: an adviser's read is recorded)
    again = profiles.client.get(f"/profiles/{created['id']}", headers=profiles.as_("adviser")).json()
    assert again["skills"] == created["skills"] and again["version"] == 1


def test_postcode_is_normalised(profiles) -> None:
    response = profiles.client.post(
        "/profiles", json=profile_payload(postcode="  sk43ab "), headers=profiles.as_("adviser")
    )
    assert response.status_code == 201
    assert response.json()["postcode"] == "SK4 3AB"


def test_requests_without_a_valid_token_get_401(profiles) -> None:
    assert profiles.client.post("/profiles", json=profile_payload()).status_code == 401
    assert profiles.client.get("/profiles", headers={"Authorization": "Bearer not.a.token"}).status_code == 401
    from services.common.tokens import SigningKey, TokenIssuer

    forged = TokenIssuer(SigningKey.generate("issuer")).issue(role="adviser", sub="x")
    assert profiles.client.get("/profiles", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    issuer = profiles.settings.development_issuer()
    expired = issuer.issue(role="adviser", sub="x", ttl=dt.timedelta(seconds=-60))
    assert profiles.client.get("/profiles", headers={"Authorization": f"Bearer {expired}"}).status_code == 401


def test_roles_that_may_not_act_get_403(profiles) -> None:
    created = profiles.client.post("/profiles", json=profile_payload(), headers=profiles.as_("adviser")).json()
    pid = created["id"]
    employer = profiles.as_("employer", str(uuid.uuid4()))
    assert profiles.client.post("/profiles", json=profile_payload(), headers=employer).status_code == 403
    assert profiles.client.get(f"/profiles/{pid}", headers=employer).status_code == 403
    assert profiles.client.patch(f"/profiles/{pid}", json={"about": "x"}, headers=employer).status_code == 403
    assert profiles.client.delete(f"/profiles/{pid}", headers=employer).status_code == 403
    other_person = profiles.as_("young_person", str(uuid.uuid4()))
    assert profiles.client.get(f"/profiles/{pid}", headers=other_person).status_code == 403
    assert profiles.client.patch(f"/profiles/{pid}", json={"about": "x"}, headers=other_person).status_code == 403
    assert profiles.client.get("/profiles", headers=other_person).status_code == 403
    assert profiles.client.get(f"/profiles/{pid}/employer-view", headers=employer).status_code == 403
    assert profiles.client.get(f"/profiles/{pid}/employer-view", headers=other_person).status_code == 403


def test_young_person_registers_and_manages_only_their_own_profile(profiles) -> None:
    me = str(uuid.uuid4())
    headers = profiles.as_("young_person", me)
    created = profiles.client.post("/profiles", json=profile_payload(), headers=headers)
    assert created.status_code == 201 and created.json()["id"] == me
    assert profiles.client.post("/profiles", json=profile_payload(), headers=headers).status_code == 409
    assert profiles.client.patch(f"/profiles/{me}", json={"about": "I like bikes"}, headers=headers).json()[
        "about"
    ] == ("I like bikes")
    assert profiles.client.patch(f"/profiles/{me}", json={"adviser_id": "me"}, headers=headers).status_code == 403


def test_list_filters_and_pages_for_advisers(profiles) -> None:
    adviser = profiles.as_("adviser", "adviser-list")
    for index in range(3):
        profiles.client.post(
            "/profiles",
            json=profile_payload(family_name=f"Listable{index}", priority_groups=["send"] if index == 0 else []),
            headers=adviser,
        )
    profiles.client.post("/profiles", json=profile_payload(status="education"), headers=adviser)
    page = profiles.client.get("/profiles", params={"adviser_id": "adviser-list", "limit": 2}, headers=adviser).json()
    assert page["total"] == 4 and len(page["items"]) == 2
    neet = profiles.client.get("/profiles", params={"adviser_id": "adviser-list", "status": "neet"}, headers=adviser)
    assert neet.json()["total"] == 3
    send = profiles.client.get("/profiles", params={"priority_group": "send", "q": "listable"}, headers=adviser).json()
    assert [item["family_name"] for item in send["items"]] == ["Listable0"]
    assert profiles.client.get("/profiles", params={"status": "asleep"}, headers=adviser).status_code == 422


def test_health_ready_metrics(profiles) -> None:
    assert profiles.client.get("/health").status_code == 200
    ready = profiles.client.get("/ready")
    assert ready.status_code == 200, ready.text
    metrics = profiles.client.get("/metrics")
    assert "yg_http_requests_total" in metrics.text


def test_employer_view_shows_names_and_skills_only_with_consent(profiles) -> None:
    adviser = profiles.as_("adviser")
    shared = profiles.client.post(
        "/profiles",
        json=profile_payload(consent_share_with_employers=True, priority_groups=["send"], ethnicity="Roma"),
        headers=adviser,
    ).json()
    private = profiles.client.post(
        "/profiles", json=profile_payload(consent_share_with_employers=False), headers=adviser
    ).json()
    service_token = profiles.as_("service", "opportunities")
    seen = profiles.client.get(f"/profiles/{shared['id']}/employer-view", headers=service_token).json()
    assert seen["given_name"] == shared["given_name"] and seen["skills"] == shared["skills"]
    assert set(seen) == {
        "id",
        "consent_share_with_employers",
        "given_name",
        "family_name",
        "skills",
        "interests",
        "qualifications",
    }
    hidden = profiles.client.get(f"/profiles/{private['id']}/employer-view", headers=service_token).json()
    assert hidden["given_name"] is None and hidden["skills"] == [] and hidden["qualifications"] == []
    own = profiles.as_("young_person", private["id"])
    assert profiles.client.get(f"/profiles/{private['id']}/employer-view", headers=own).json() == hidden


def test_ready_is_503_with_the_reason_when_the_broker_is_down(databases, tmp_path) -> None:
    from infra.broker import free_port
    from services.profiles.config import ProfilesSettings
    from services.profiles.main import create_app
    from tests.support.services import client_for

    settings = ProfilesSettings(
        database_url=databases.new_url("profiles"),
        kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
        data_dir=tmp_path,
    )
    with client_for(create_app(settings)) as client:
        assert client.get("/health").status_code == 200
        ready = client.get("/ready")
        assert ready.status_code == 503
        assert any(problem.startswith("broker") for problem in ready.json()["problems"]), ready.text
