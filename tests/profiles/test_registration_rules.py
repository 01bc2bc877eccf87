"""Registration rules: every problem in one answer, qualifications by the names people use, a likely duplicate
refused with who it looks like (an adviser may go on with a reason, kept in the audit log), and advisers as records."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from infra.seed.synthetic import birth_date_for_age
from services.messaging.contract import EventType, Topic
from services.messaging.vocabulary import QUALIFICATION_TYPE_LEVELS
from tests.support.factories import profile_payload
from tests.support.services import running_relay
from tests.support.topics import TopicReader

PRIYA = {"name": "Priya Shah", "team": "Stockport Central youth team", "email": "priya.shah@hub.example.org",
         "phone": "0161 496 0101"}


def _errors(response) -> dict[str, tuple[str, str]]:
    """{field: (rule, message)} of a 422 or 409."""
    return {str(e["loc"][1]) if len(e["loc"]) > 1 else "": (e["type"], e["msg"]) for e in response.json()["detail"]}


def test_every_problem_comes_back_in_one_answer_with_the_age_rule_and_plain_words(profiles) -> None:
    body = profile_payload(given_name="", postcode="", email="nope",
                           date_of_birth=birth_date_for_age(13).isoformat(),
                           qualifications=[{"subject": "English"}])
    response = profiles.client.post("/profiles", json=body, headers=profiles.as_("adviser"))
    assert response.status_code == 422, response.text
    errors = _errors(response)
    assert set(errors) == {"given_name", "postcode", "email", "date_of_birth", "qualifications"}, errors
    assert errors["postcode"][1].endswith("Enter a postcode")
    assert errors["date_of_birth"] == (
        "age_out_of_range", "The Youth Guarantee is for ages 16 to 30 on the day they register: this date of birth "
        "makes them 13")
    assert errors["qualifications"][0] == "qualification_unnamed"

    future = profile_payload(date_of_birth=(dt.date.today() + dt.timedelta(days=2)).isoformat(), postcode="XYZ")
    errors = _errors(profiles.client.post("/profiles", json=future, headers=profiles.as_("adviser")))
    assert errors["date_of_birth"] == ("date_in_future", "Date of birth must be in the past")
    assert "Enter a UK postcode" in errors["postcode"][1] and "SK1 3XE" in errors["postcode"][1]


@pytest.mark.parametrize(("kind", "level"), [("gcse_4_9", "2"), ("gcse_1_3", "1"), ("a_level", "3"),
                                             ("t_level", "3"), ("degree", "6"), ("entry_level", "entry")])
def test_a_qualification_chosen_by_name_is_recorded_at_its_level(profiles, kind, level) -> None:
    body = profile_payload(qualifications=[{"type": kind, "subject": "English"}])
    created = profiles.client.post("/profiles", json=body, headers=profiles.as_("adviser"))
    assert created.status_code == 201, created.text
    assert created.json()["qualifications"] == [{"type": kind, "level": level, "subject": "English"}]
    assert QUALIFICATION_TYPE_LEVELS[kind] == level


def test_a_qualification_named_with_the_wrong_level_is_refused_in_words(profiles) -> None:
    body = profile_payload(qualifications=[{"type": "gcse_4_9", "level": "3", "subject": "English"}])
    response = profiles.client.post("/profiles", json=body, headers=profiles.as_("adviser"))
    assert response.status_code == 422
    assert _errors(response)["qualifications"] == (
        "qualification_level_mismatch", "GCSE grade 4 to 9 (A* to C) is level 2, not level 3: leave the level out")


def test_registering_the_same_person_again_is_409_naming_them_and_their_adviser(profiles) -> None:
    adviser = profiles.as_("adviser")
    assert profiles.client.put("/advisers/adviser-1", json=PRIYA, headers=adviser).status_code == 200
    body = profile_payload(given_name="Robin", family_name="O'Neill", phone=None,
                           date_of_birth=birth_date_for_age(18).isoformat())
    first = profiles.client.post("/profiles", json=body, headers=adviser)
    assert first.status_code == 201, first.text

    again = profiles.client.post("/profiles", json=body, headers=profiles.as_("adviser", "adviser-2"))
    assert again.status_code == 409, again.text
    detail = again.json()["detail"][0]
    assert detail["type"] == "likely_duplicate" and detail["loc"] == ["body", "duplicate_reason"]
    assert "Robin O'Neill" in detail["msg"] and "Priya Shah" in detail["msg"] and "0161 496 0101" in detail["msg"]
    [similar] = detail["ctx"]["similar"]
    assert similar["id"] == first.json()["id"] and similar["adviser"]["email"] == PRIYA["email"]
    assert similar["same"] == ["name_and_date_of_birth", "email"]

    # Case, accents and spacing of the name do not hide a duplicate; nor does a phone written another way.
    respelt = {**body, "given_name": " róbin ", "family_name": "ONEILL", "email": None}
    assert profiles.client.post("/profiles", json=respelt, headers=adviser).status_code == 409
    by_phone = profile_payload(phone="+44 7700 900 555")
    assert profiles.client.post("/profiles", json=by_phone, headers=adviser).status_code == 201
    same_phone = profile_payload(phone="07700900555")
    response = profiles.client.post("/profiles", json=same_phone, headers=adviser)
    assert response.status_code == 409 and response.json()["detail"][0]["ctx"]["similar"][0]["same"] == ["phone"]

    listed = profiles.client.get("/profiles", params={"q": "O'Neill"}, headers=adviser).json()
    assert listed["total"] == 1


def test_a_young_person_is_told_of_a_duplicate_without_anyone_elses_details(profiles) -> None:
    body = profile_payload(given_name="Kai", family_name="Moss")
    assert profiles.client.post("/profiles", json=body, headers=profiles.as_("adviser")).status_code == 201
    themself = profiles.as_("young_person", str(uuid.uuid4()))
    response = profiles.client.post("/profiles", json={**body, "duplicate_reason": "it is me"}, headers=themself)
    assert response.status_code == 409
    detail = response.json()["detail"][0]
    assert "Kai" not in detail["msg"] and "ctx" not in detail and "Youth Employment hub" in detail["msg"]


def test_an_adviser_registers_a_twin_with_a_reason_kept_in_the_audit_event(profiles, bootstrap_servers) -> None:
    adviser = profiles.as_("adviser")
    born = birth_date_for_age(17).isoformat()
    first = profiles.client.post("/profiles", json=profile_payload(
        given_name="Ash", family_name="Lee", date_of_birth=born), headers=adviser).json()
    twin = profile_payload(given_name="Ash", family_name="Lee", date_of_birth=born)

    short = profiles.client.post("/profiles", json={**twin, "duplicate_reason": " "}, headers=adviser)
    assert short.status_code == 422 and "duplicate_reason" in _errors(short)
    private = profiles.client.post("/profiles", json={**twin, "duplicate_reason": "she has autism, he does not"},
                                   headers=adviser)
    assert private.status_code == 422 and _errors(private)["duplicate_reason"][0] == "special_category"

    reason = "Twins: Ash Lee and Ash Lee, different middle names; checked their birth certificates"
    created = profiles.client.post("/profiles", json={**twin, "duplicate_reason": reason}, headers=adviser)
    assert created.status_code == 201, created.text
    assert created.json()["id"] != first["id"]
    assert "duplicate_reason" not in created.json()

    reader = TopicReader(bootstrap_servers, Topic.PROFILES)
    with running_relay("profiles", profiles.database_url, bootstrap_servers):
        reader.wait_for(lambda records: len(profiles.events_for(records, created.json()["id"])) >= 1)
        [event] = profiles.events_for(reader.settle(1.0), created.json()["id"])
    reader.close()
    assert event.event_type is EventType.PROFILE_REGISTERED
    assert event.payload["duplicate_override"] == {
        "reason": reason, "similar_to": [first["id"]], "by_adviser": "adviser-1"}


def test_advisers_are_records_every_signed_in_role_may_read(profiles) -> None:
    assert profiles.client.put("/advisers/adviser-1", json=PRIYA, headers=profiles.as_("adviser")).status_code == 200
    readers = (("employer", str(uuid.uuid4())), ("young_person", str(uuid.uuid4())), ("service", "opportunities"))
    for role, sub in readers:
        read = profiles.client.get("/advisers/adviser-1", headers=profiles.as_(role, sub))
        assert read.status_code == 200 and read.json() == {"id": "adviser-1", **PRIYA}
    for service in ("matching", "events"):  # services read adviser contacts only with the scope profiles:advisers
        assert profiles.client.get("/advisers/adviser-1", headers=profiles.as_("service", service)).status_code == 403
    assert profiles.client.get("/advisers").status_code == 401
    assert profiles.client.get("/advisers/nobody", headers=profiles.as_("adviser")).status_code == 404
    employer = profiles.as_("employer", str(uuid.uuid4()))
    assert profiles.client.put("/advisers/adviser-9", json=PRIYA, headers=employer).status_code == 403
    bad = profiles.client.put("/advisers/adviser-9", json={**PRIYA, "email": "x"}, headers=profiles.as_("adviser"))
    assert bad.status_code == 422
    assert profiles.client.get("/advisers", headers=profiles.as_("adviser")).json()["total"] == 1
