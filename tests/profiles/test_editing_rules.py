"""Editing a profile follows the registration's rules: every problem in one 422 (the age rule among them), and a
changed email, phone or name that looks like another person's is refused with 409 naming them, unless an adviser
says why it is someone else (kept in the audit log)."""

from __future__ import annotations

import uuid

from infra.seed.synthetic import birth_date_for_age
from services.messaging.contract import EventType, Topic
from tests.support.factories import profile_payload
from tests.support.services import running_relay
from tests.support.topics import TopicReader

PRIYA = {"name": "Priya Shah", "team": "Stockport Central youth team", "email": "priya.shah@hub.example.org",
         "phone": "0161 496 0101"}


def _errors(response) -> dict[str, tuple[str, str]]:
    return {str(e["loc"][1]) if len(e["loc"]) > 1 else "": (e["type"], e["msg"]) for e in response.json()["detail"]}


def _register(profiles, **fields) -> dict:
    created = profiles.client.post("/profiles", json=profile_payload(**fields), headers=profiles.as_("adviser"))
    assert created.status_code == 201, created.text
    return created.json()


def test_an_edit_reports_every_problem_in_one_answer_with_the_age_rule(profiles) -> None:
    person = _register(profiles)
    response = profiles.client.patch(f"/profiles/{person['id']}", headers=profiles.as_("adviser"), json={
        "date_of_birth": birth_date_for_age(13).isoformat(), "postcode": "", "email": "nope", "skills": ["welding"]})
    assert response.status_code == 422, response.text
    errors = _errors(response)
    assert set(errors) == {"date_of_birth", "postcode", "email"}, errors
    assert errors["date_of_birth"] == (
        "age_out_of_range", "The Youth Guarantee is for ages 16 to 30 on the day they register: this date of birth "
        "makes them 13")
    again = profiles.client.get(f"/profiles/{person['id']}", headers=profiles.as_("adviser")).json()
    assert again["version"] == 1 and again["skills"] == person["skills"]
    fine = profiles.client.patch(f"/profiles/{person['id']}", headers=profiles.as_("adviser"),
                                 json={"date_of_birth": birth_date_for_age(20).isoformat()})
    assert fine.status_code == 200 and fine.json()["age"] == 20
    assert profiles.client.patch(f"/profiles/{uuid.uuid4()}", headers=profiles.as_("adviser"),
                                 json={"skills": ["x"]}).status_code == 404


def test_changing_an_email_or_phone_to_another_persons_is_409_naming_them(profiles, bootstrap_servers) -> None:
    adviser = profiles.as_("adviser")
    assert profiles.client.put("/advisers/adviser-1", json=PRIYA, headers=adviser).status_code == 200
    robin = _register(profiles, given_name="Robin", family_name="Oakes", email="robin.oakes@example.org",
                      phone="07700 900 777")
    kim = _register(profiles, given_name="Kim", family_name="Ash", email="kim.ash@example.org", phone=None)

    for change, same in (({"email": "Robin.Oakes@example.org"}, ["email"]), ({"phone": "+44 7700 900777"}, ["phone"]),
                         ({"given_name": "Robin", "family_name": "Oakes", "date_of_birth": robin["date_of_birth"]},
                          ["name_and_date_of_birth"])):
        response = profiles.client.patch(f"/profiles/{kim['id']}", json=change,
                                         headers=profiles.as_("adviser", "adviser-2"))
        assert response.status_code == 409, response.text
        detail = response.json()["detail"][0]
        assert detail["type"] == "likely_duplicate" and detail["loc"] == ["body", "duplicate_reason"]
        assert detail["msg"].startswith("This looks like someone already registered: Robin Oakes, born ")
        assert "Priya Shah" in detail["msg"] and "0161 496 0101" in detail["msg"]
        assert detail["msg"].endswith("if this is a different person (twins, say), save the change with a reason.")
        [similar] = detail["ctx"]["similar"]
        assert similar["id"] == robin["id"] and similar["same"] == same
    assert profiles.client.get(f"/profiles/{kim['id']}", headers=adviser).json()["version"] == 1

    # A young person is told their details match someone, never whom.
    themself = profiles.as_("young_person", kim["id"])
    response = profiles.client.patch(f"/profiles/{kim['id']}", json={"phone": "07700900777"}, headers=themself)
    assert response.status_code == 409
    assert "Robin" not in response.json()["detail"][0]["msg"] and "ctx" not in response.json()["detail"][0]

    # Their own details again, or a change that brings no likeness, go through.
    own = {"email": "robin.oakes@example.org", "skills": ["baking"]}
    assert profiles.client.patch(f"/profiles/{robin['id']}", json=own, headers=adviser).status_code == 200
    assert profiles.client.patch(f"/profiles/{kim['id']}", json={"phone": "07700 900 778"},
                                 headers=themself).status_code == 200

    # An adviser may go on with a reason, which travels in profile.updated for the audit log.
    reason = "Shared family phone: Kim lives with Robin, checked with both of them"
    private = profiles.client.patch(f"/profiles/{kim['id']}", headers=adviser,
                                    json={"phone": "07700900777", "duplicate_reason": "Kim is autistic"})
    assert private.status_code == 422 and _errors(private)["duplicate_reason"][0] == "special_category"
    saved = profiles.client.patch(f"/profiles/{kim['id']}", headers=adviser,
                                  json={"phone": "07700900777", "duplicate_reason": reason})
    assert saved.status_code == 200, saved.text
    assert saved.json()["phone"] == "07700900777" and "duplicate_reason" not in saved.json()
    later = profiles.client.patch(f"/profiles/{kim['id']}", json={"skills": ["cooking"]}, headers=adviser)
    assert later.status_code == 200  # the likeness was accepted once; edits that do not change it need no reason

    reader = TopicReader(bootstrap_servers, Topic.PROFILES)
    with running_relay("profiles", profiles.database_url, bootstrap_servers):
        reader.wait_for(lambda records: len(profiles.events_for(records, kim["id"])) >= 4)
        events = profiles.events_for(reader.settle(1.0), kim["id"])
    reader.close()
    overridden = [e for e in events if e.event_type is EventType.PROFILE_UPDATED and e.payload["duplicate_override"]]
    assert [e.payload["duplicate_override"] for e in overridden] == [
        {"reason": reason, "similar_to": [robin["id"]], "by_adviser": "adviser-1"}]
