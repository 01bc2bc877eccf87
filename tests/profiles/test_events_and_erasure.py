"""Every profile change puts exactly one event on the topic (read back by an independent reader), and
erasure leaves no personal field of the person in any table or outbox payload."""

from __future__ import annotations

import json
import uuid

import pytest

from services.messaging.contract import EventType, Topic, parse_event
from services.messaging.sealing import erasure_mark
from tests.support.databases import all_text_in_database
from tests.support.factories import profile_payload
from tests.support.services import running_relay
from tests.support.topics import TopicReader


@pytest.fixture
def relay(profiles, bootstrap_servers):
    with running_relay("profiles", profiles.database_url, bootstrap_servers) as relay:
        yield relay



def test_create_update_erase_each_put_exactly_one_event_on_the_topic(profiles, relay, bootstrap_servers) -> None:
    reader = TopicReader(bootstrap_servers, Topic.PROFILES)
    adviser = profiles.as_("adviser")
    created = profiles.client.post("/profiles", json=profile_payload(), headers=adviser).json()
    pid = created["id"]
    reader.wait_for(lambda records: len(profiles.events_for(records, pid)) >= 1)

    profiles.client.patch(f"/profiles/{pid}", json={"skills": ["forklift driving"]}, headers=adviser)
    reader.wait_for(lambda records: len(profiles.events_for(records, pid)) >= 2)

    assert profiles.client.delete(f"/profiles/{pid}", headers=adviser).status_code == 204
    reader.wait_for(lambda records: len(profiles.events_for(records, pid)) >= 3)
    events = profiles.events_for(reader.settle(1.5), pid)
    reader.close()

    assert [event.event_type for event in events] == [
        EventType.PROFILE_REGISTERED,
        EventType.PROFILE_UPDATED,
        EventType.PROFILE_ERASED,
    ]
    assert [event.aggregate_version for event in events] == [1, 2, 3]
    assert events[1].payload["skills"] == ["forklift driving"]


def test_special_category_data_never_reaches_the_shared_profile_topic(profiles, relay, bootstrap_servers) -> None:
    shared = TopicReader(bootstrap_servers, Topic.PROFILES)
    restricted = TopicReader(bootstrap_servers, Topic.PROFILES_RESTRICTED)
    created = profiles.client.post(
        "/profiles",
        json=profile_payload(priority_groups=["send", "young_carer"], ethnicity="Mixed: White and Black Caribbean"),
        headers=profiles.as_("adviser"),
    ).json()
    assert "send" in created["priority_groups"]
    pid = created["id"]
    shared.wait_for(lambda records: len(profiles.events_for(records, pid)) == 1)
    restricted.wait_for(lambda records: len(profiles.events_for(records, pid)) == 2)  # and the activity record
    (public,) = profiles.events_for(shared.records, pid)
    assert public.payload["priority_groups"] == ["young_carer"]
    raw = json.dumps(public.payload).lower()
    assert "send" not in raw and "caribbean" not in raw and "ethnicity" not in raw
    for forbidden in ("given_name", "family_name", "email", "phone"):
        assert forbidden not in public.payload
    (special,) = [event for event in profiles.events_for(restricted.records, pid)
                  if event.event_type is EventType.PROFILE_SPECIAL_CATEGORY_SET]
    assert special.payload == {
        "profile_id": pid, "send": True, "ethnicity": "Mixed: White and Black Caribbean", "screened_text": []}
    shared.close()
    restricted.close()


def test_after_erasure_no_personal_field_is_left_in_any_table_or_outbox(profiles, relay, bootstrap_servers) -> None:
    adviser = profiles.as_("adviser")
    person = profile_payload(
        given_name="Zebedee",
        family_name="Quillfeather",
        email="zebedee.q@example.org",
        phone="07700 900555",
        postcode="SK7 1AA",
        date_of_birth="2007-05-17",
        about="Loves restoring vintage bicycles",
        skills=["bicycle repair"],
        priority_groups=["send"],
        ethnicity="Irish Traveller",
    )
    created = profiles.client.post("/profiles", json=person, headers=adviser).json()
    pid = created["id"]
    profiles.client.patch(f"/profiles/{pid}", json={"interests": ["velodrome racing"]}, headers=adviser)
    bystander = profiles.client.post("/profiles", json=profile_payload(), headers=adviser).json()
    reader = TopicReader(bootstrap_servers, Topic.PROFILES)
    assert profiles.client.delete(f"/profiles/{pid}", headers=adviser).status_code == 204
    reader.wait_for(lambda records: any(parse_event(r.value).event_type == EventType.PROFILE_ERASED for r in records))
    reader.close()

    everything = all_text_in_database(profiles.database_url)
    for personal in (
        "zebedee",
        "quillfeather",
        "zebedee.q@example.org",
        "07700 900555",
        "sk7 1aa",
        '"sk7"',  # the district as a value of its own: bare, three letters turn up by chance in ciphertext
        "2007-05-17",
        "vintage bicycles",
        "bicycle repair",
        "velodrome",
        "irish traveller",
    ):
        assert personal not in everything, f"{personal!r} survived erasure"
    assert erasure_mark(pid) in everything  # the minimal erasure record remains, as a one-way mark
    assert pid not in everything and uuid.UUID(pid).hex not in everything
    assert profiles.client.get(f"/profiles/{pid}", headers=adviser).status_code == 404
    assert profiles.client.get(f"/profiles/{bystander['id']}", headers=adviser).status_code == 200
    assert profiles.client.delete(f"/profiles/{pid}", headers=adviser).status_code == 404
