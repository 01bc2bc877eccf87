"""Crypto-shredding, without a broker: what version 2 events carry, that they open only with the person's key and
only in the event they were sealed for, that erasure makes them unreadable and unlinkable, and the key client's
cache."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid

import httpx
import pytest

from infra.seed.synthetic import profile_snapshot
from services.common.settings import CommonSettings, InsecureConfiguration
from services.messaging.broker import broker_security, client_options
from services.messaging.contract import (
    PSEUDONYMISED,
    EventType,
    InvalidEvent,
    ProfileSpecialCategoryV1,
    ReferralV1,
    parse_event,
)
from services.messaging.sealing import (
    HttpKeyRing,
    InMemoryKeyRing,
    InMemorySubjectBook,
    KeyPage,
    KeysUnavailable,
    Opener,
    is_pseudonymised,
    key_read,
)
from tests.support.events import interest_event, profile_erased_event, profile_event, referral_event, referral_snapshot

pytestmark = pytest.mark.unit


def _wire(event) -> str:
    return event.model_dump_json()


def test_every_pseudonymised_payload_is_its_clear_form_with_the_person_named_by_subject() -> None:
    for event_type, rule in PSEUDONYMISED.items():
        wire, clear = set(rule.wire.model_fields), set(rule.clear.model_fields)
        assert "profile_id" in clear and "profile_id" not in wire and "subject" in wire, event_type
        if rule.sealed is not None:
            assert wire == {"subject", "sealed"}, event_type
        else:
            assert wire - {"subject"} <= clear, event_type


def test_a_profile_event_carries_nothing_of_the_person_in_clear_and_opens_with_their_key() -> None:
    keys = InMemoryKeyRing()
    person = profile_snapshot(skills=["wheel truing"], about="Restores vintage bicycles.")
    event = profile_event(person, keys=keys.issue(person.profile_id))
    raw = _wire(event)
    subject = keys.subject_of(person.profile_id)
    assert event.schema_version == 2 and event.aggregate_id == str(subject)
    for value in (str(person.profile_id), person.date_of_birth.isoformat(), "wheel truing", "vintage bicycles",
                  f'"{person.postcode_district}"', repr(person.latitude)):
        assert value not in raw, value
    (opened,) = Opener(keys, InMemorySubjectBook()).open([parse_event(raw)])
    assert opened.schema_version == 1 and opened.aggregate_id == str(person.profile_id)
    assert opened.typed_payload() == person


def test_sealed_fields_open_only_in_the_event_they_were_sealed_for() -> None:
    keys = InMemoryKeyRing()
    one, other = profile_snapshot(), profile_snapshot()
    first = profile_event(one, keys=keys.issue(one.profile_id))
    second = profile_event(other, keys=keys.issue(other.profile_id))
    opener = Opener(keys, InMemorySubjectBook())
    moved = second.model_copy(update={"payload": {**second.payload, "sealed": first.payload["sealed"]}})
    with pytest.raises(InvalidEvent):
        opener.open([moved])  # another person's key: does not open
    relabelled = first.model_copy(update={"event_type": EventType.PROFILE_UPDATED})
    with pytest.raises(InvalidEvent):
        opener.open([relabelled])  # the associated data names the event type
    sealed = dict(first.payload["sealed"])
    sealed["ciphertext"] = ("A" if sealed["ciphertext"][0] != "A" else "B") + sealed["ciphertext"][1:]
    with pytest.raises(InvalidEvent):
        opener.open([first.model_copy(update={"payload": {**first.payload, "sealed": sealed}})])


def test_special_category_fields_open_only_with_the_special_key() -> None:
    keys = InMemoryKeyRing()
    profile_id = uuid.uuid4()
    issued = keys.issue(profile_id)
    from tests.support.events import special_category_event

    event = special_category_event(profile_id, 1, send=True, ethnicity="Irish Traveller", keys=issued)
    assert event.payload["sealed"]["key"] == "special" and "Traveller" not in _wire(event)
    assert is_pseudonymised(Opener(keys, InMemorySubjectBook()).open([event])[0]), "a personal-only reader"
    (opened,) = Opener(keys, InMemorySubjectBook(), purposes=("personal", "special")).open([event])
    assert opened.typed_payload() == ProfileSpecialCategoryV1(profile_id=profile_id, send=True,
                                                              ethnicity="Irish Traveller")


def test_referrals_and_interests_name_the_subject_and_open_to_the_profile_id() -> None:
    keys = InMemoryKeyRing()
    referral = referral_snapshot()
    issued = keys.issue(referral.profile_id)
    event = referral_event(referral, keys=issued)
    interest = interest_event(referral.profile_id, keys=issued)
    for built in (event, interest):
        assert str(referral.profile_id) not in _wire(built) and built.payload["subject"] == str(
            issued["personal"].subject)
    opened = Opener(keys, InMemorySubjectBook()).open([event, interest])
    assert opened[0].typed_payload() == referral and isinstance(opened[0].typed_payload(), ReferralV1)
    assert opened[1].payload["profile_id"] == str(referral.profile_id)


def test_after_erasure_the_events_stay_unreadable_and_the_erasure_is_resolved_once() -> None:
    keys = InMemoryKeyRing()
    person = profile_snapshot()
    issued = keys.issue(person.profile_id)
    registered = profile_event(person, keys=issued)
    referral = referral_event(referral_snapshot(profile_id=person.profile_id), keys=issued)
    book = InMemorySubjectBook()
    opener = Opener(keys, book)
    opener.open([registered])  # the consumer learns whom the subject names
    keys.erase(person.profile_id)  # as the profiles service does, before it emits profile.erased
    erased = profile_erased_event(person.profile_id, 2, at=dt.datetime.now(dt.UTC), keys=issued)
    after = opener.open([registered, referral, erased])
    assert [is_pseudonymised(e) for e in after] == [True, True, False]
    assert after[2].payload["profile_id"] == str(person.profile_id)
    assert opener.settle([erased]) == [issued["personal"].subject]
    assert book.links == {}
    # a fresh consumer (a replay, a reindex) can read nothing and resolve nothing
    replay = Opener(keys, InMemorySubjectBook()).open([registered, referral, erased])
    assert all(is_pseudonymised(e) for e in replay)


def _key_service(keys: InMemoryKeyRing, calls: list[str]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path == "/keys/personal":
            subjects = [uuid.UUID(s) for s in json.loads(request.content)["subjects"]]
            found = keys.fetch("personal", subjects)
            page = KeyPage(purpose="personal", keys=[key_read(key) for key in found.values()])
            return httpx.Response(200, content=page.model_dump_json())
        return httpx.Response(500, text="down")

    return httpx.MockTransport(answer)


def test_the_key_client_caches_keys_briefly_and_drops_an_erased_persons() -> None:
    keys, calls = InMemoryKeyRing(), []
    profile_id = uuid.uuid4()
    subject = keys.issue(profile_id)["personal"].subject
    client = httpx.Client(base_url="http://profiles", transport=_key_service(keys, calls))
    ring = HttpKeyRing(client, lambda: "token", ttl_seconds=0.3)
    assert ring.fetch("personal", [subject])[subject].profile_id == profile_id
    ring.fetch("personal", [subject])
    assert len(calls) == 1, "the second answer came from the cache"
    ring.forget([subject])
    ring.fetch("personal", [subject])
    assert len(calls) == 2, "a forgotten key is asked for again"
    time.sleep(0.4)
    keys.erase(profile_id)
    assert ring.fetch("personal", [subject]) == {}, "an expired key is asked for again, and the erased one is gone"
    with pytest.raises(KeysUnavailable):
        ring.subject_of(profile_id)  # the service answers 500 there


def test_the_key_client_reports_an_unreachable_key_service() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    ring = HttpKeyRing(httpx.Client(base_url="http://profiles", transport=httpx.MockTransport(refuse)), lambda: "t")
    with pytest.raises(KeysUnavailable):
        ring.fetch("personal", [uuid.uuid4()])


def test_broker_clients_authenticate_with_the_service_principal_when_sasl_is_set() -> None:
    assert broker_security(CommonSettings()) is None and client_options(None) == {}
    settings = CommonSettings(kafka_security_protocol="SASL_PLAINTEXT", kafka_username="events",
                              kafka_password="s3cret")
    options = client_options(broker_security(settings))
    assert options == {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-512",
                       "sasl_plain_username": "events", "sasl_plain_password": "s3cret"}
    assert "s3cret" not in repr(broker_security(settings))
    with pytest.raises(InsecureConfiguration):
        broker_security(CommonSettings(kafka_security_protocol="SASL_SSL"))
