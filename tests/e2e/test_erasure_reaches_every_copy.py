"""Erasure reaches every copy: the four real services on their own ports (their consumers and relays on the real
broker), a young person with a full profile, SEND, ethnicity, held-back text, an interest and referrals, then
`DELETE /profiles/{id}`. A plain Kafka client reading every topic from the beginning finds none of the person's
values in clear, before the erasure (only ciphertext) and after it; within 10 s neither do the database files
(SQLite, with their -wal and -shm files) or tables (PostgreSQL) of any service, nor the matcher's saved index;
and `reindex` after the erasure brings back nothing about them. Each check prints its counts."""

from __future__ import annotations

import datetime as dt
import functools
import json
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from kafka import KafkaConsumer, TopicPartition

from services.common.auth import Role
from services.common.postcodes import locate, outward_code
from services.events.config import EventsSettings
from services.events.main import create_app as create_events_app
from services.matching.config import MatchingSettings
from services.matching.embedder import Embedder, build_embedder
from services.matching.main import create_app as create_matching_app
from services.matching.runtime import rebuild_from_topics
from services.messaging.broker import every_topic
from services.messaging.sealing import http_key_ring
from services.opportunities.config import OpportunitiesSettings
from services.opportunities.main import create_app as create_opportunities_app
from services.profiles.config import ProfilesSettings
from services.profiles.main import create_app as create_profiles_app
from tests.opportunities.harness import employer_payload, opportunity_payload
from tests.support.databases import TestDatabases, all_text_in_database
from tests.support.factories import profile_payload
from tests.support.live_server import live_server
from tests.support.services import bearer, running_relay
from tests.support.waiting import wait_for

ERASURE_SECONDS = 10
SERVICES_WITH_DATABASES = ("profiles", "opportunities", "events")


@dataclass
class Stack:
    backend: str
    urls: dict[str, str]
    database_urls: dict[str, str]
    data_dir: Path
    settings: ProfilesSettings
    bootstrap_servers: str

    def call(self, service: str, method: str, path: str, *, role: Role = Role.ADVISER, sub: str = "adviser-1",
             expect: int = 200, **kwargs: Any) -> Any:
        response = httpx.request(method, self.urls[service] + path, headers=bearer(self.settings, role, sub),
                                 timeout=20, **kwargs)
        assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None


def _answers_ready(url: str) -> bool:
    return httpx.get(url + "/ready", timeout=5).status_code == 200


@pytest.fixture(scope="module")
def embedder(pytestconfig: pytest.Config) -> Embedder:
    cache = Path(pytestconfig.rootpath) / ".pytest_cache" / "matching-models"
    return build_embedder(MatchingSettings(model_cache_dir=cache, embedder="torch"))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def stack(request: pytest.FixtureRequest, databases: TestDatabases, bootstrap_servers: str, embedder: Embedder,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    backend = request.param
    if backend == "postgresql" and databases.backend != "postgresql":
        pytest.skip(f"no PostgreSQL answered ({databases.reason})")
    data_dir = tmp_path_factory.mktemp(f"erasure-{backend}")
    urls_of = {name: (f"sqlite:///{data_dir / name}.db" if backend == "sqlite" else databases.new_url(name))
               for name in SERVICES_WITH_DATABASES}
    run = uuid.uuid4().hex[:8]
    common: dict[str, Any] = {"kafka_bootstrap_servers": bootstrap_servers, "environment": "test",
                              "data_dir": data_dir}
    profiles_settings = ProfilesSettings(database_url=urls_of["profiles"], **common)
    with ExitStack() as stack:
        urls = {"profiles": stack.enter_context(live_server(create_profiles_app(profiles_settings)))}
        keyed = {"profiles_url": urls["profiles"], **common}
        urls["opportunities"] = stack.enter_context(live_server(create_opportunities_app(OpportunitiesSettings(
            database_url=urls_of["opportunities"], expiry_interval_seconds=3600.0,
            consumer_group=f"opportunities-erasure-{run}", **keyed))))
        urls["events"] = stack.enter_context(live_server(create_events_app(EventsSettings(
            database_url=urls_of["events"], consumer_group=f"events-erasure-{run}", **keyed))))
        urls["matching"] = stack.enter_context(live_server(create_matching_app(MatchingSettings(
            consumer_name=f"matching-erasure-{run}", save_interval_seconds=1.0, **keyed), embedder=embedder)))
        stack.enter_context(running_relay("profiles", urls_of["profiles"], bootstrap_servers))
        stack.enter_context(running_relay("opportunities", urls_of["opportunities"], bootstrap_servers))
        for name in ("opportunities", "events", "matching"):
            ready = functools.partial(_answers_ready, urls[name])
            wait_for(ready, what=f"{name} ready", timeout=120, ignoring=(httpx.HTTPError,))
        yield Stack(backend, urls, urls_of, data_dir, profiles_settings, bootstrap_servers)


@dataclass
class Person:
    profile_id: str
    subject: str
    values: dict[str, str]  # what was said of them, by name: each searched for (lower-cased) everywhere


def _register_full_person(stack: Stack, tag: str) -> Person:
    """A young person with every kind of personal and special category data, an interest and two referrals."""
    today = dt.date.today()
    dob = dt.date(today.year - 22, 1, 1) + dt.timedelta(days=int(tag[:4], 16) % 300)
    postcode = "SK13 8AA"  # Glossop: a district no other test's opportunities (published in clear) are in
    place = locate(postcode)
    assert place is not None
    body = profile_payload(
        given_name=f"Zebedee{tag}", family_name=f"Quillfeather{tag}", email=f"zq.{tag}@example.org",
        phone="07700 900555", postcode=postcode, date_of_birth=dob.isoformat(), status="neet",
        skills=[f"wheel truing {tag}", "ADHD"], interests=[f"velodrome racing {tag}"],
        about=f"Loves restoring vintage bicycles {tag}.", priority_groups=["send", "care_leaver"],
        ethnicity=f"Irish Traveller {tag}", preferred_types=["job"], consent_share_with_employers=True,
    )
    created = stack.call("profiles", "POST", "/profiles", json=body, expect=201)
    assert [w["item"] for w in created["warnings"]] == ["ADHD"], "the screened skill is held back"
    pid = created["id"]
    stack.call("profiles", "PATCH", f"/profiles/{pid}", json={"interests": [f"velodrome racing {tag}", "cycling"]})
    subject = stack.call("profiles", "GET", f"/profiles/{pid}/subject", role=Role.SERVICE, sub="opportunities")
    employer = stack.call("opportunities", "POST", "/employers", json=employer_payload(), expect=201)
    jobs = []
    for n in range(2):
        draft = stack.call("opportunities", "POST", "/opportunities", expect=201,
                           json=opportunity_payload(employer["id"], today, title=f"Cycle mechanic {n} {tag}"))
        jobs.append(stack.call("opportunities", "POST", f"/opportunities/{draft['id']}/publish"))
    message, note = f"Message {tag}: I would love this", f"Note {tag}: rides a unicycle"
    stack.call("opportunities", "POST", f"/opportunities/{jobs[0]['id']}/interest", role=Role.YOUNG_PERSON, sub=pid,
               json={"message": message}, expect=201)
    for job in jobs:
        referral = stack.call("opportunities", "POST", "/referrals", expect=201,
                              json={"profile_id": pid, "opportunity_id": job["id"], "note": note})
    stack.call("opportunities", "PATCH", f"/referrals/{referral['id']}", role=Role.EMPLOYER, sub=employer["id"],
               json={"status": "applied"})
    values = {
        "profile id": pid, "profile id (hex)": uuid.UUID(pid).hex, "given name": f"zebedee{tag}",
        "family name": f"quillfeather{tag}", "email": f"zq.{tag}@example.org", "phone": "07700 900555",
        "date of birth": dob.isoformat(), "postcode": postcode.lower(),
        "postcode district": f'"{outward_code(postcode).lower()}"',
        "latitude": repr(place.latitude), "longitude": repr(place.longitude), "skill": f"wheel truing {tag}",
        "held-back skill": '"adhd"', "interest": f"velodrome racing {tag}", "about": f"vintage bicycles {tag}",
        "ethnicity": f"irish traveller {tag}", "referral note": note.lower(), "interest message": message.lower(),
    }
    return Person(pid, str(subject["subject"]), values)


def _read_every_topic(bootstrap_servers: str) -> list[Any]:
    """Every record on every contract topic (dead-letter topics included), from the beginning, with a plain
    client: no group, no keys."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False, group_id=None)
    try:
        partitions = [TopicPartition(topic, p) for topic in every_topic()
                      for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        records: list[Any] = []
        deadline = time.monotonic() + 60
        while any(consumer.position(tp) < ends[tp] for tp in partitions) and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=300).values():
                records.extend(batch)
        return records
    finally:
        consumer.close()


def _record_text(record: Any) -> str:
    parts = [record.key or b"", record.value or b"", *(value for _, value in record.headers or [])]
    return b"\n".join(parts).decode("utf-8", "replace").lower()


def _hits(text: str, values: dict[str, str]) -> list[str]:
    return [name for name, value in values.items() if value.lower() in text]


def _files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file())


def _stored_everywhere(stack: Stack) -> dict[str, str]:
    """What a reader of the services' storage finds: every file under the data folder (SQLite databases with their
    -wal and -shm files, the matcher's saved index) as raw bytes, and on PostgreSQL every row of every table. A file
    gone between listing and reading (a save's folder moved into place, an old one removed) means the listing is
    stale: the folder is listed and read again until every file listed was read."""
    while True:
        try:
            found = {str(path.relative_to(stack.data_dir)): path.read_bytes().decode("latin-1").lower()
                     for path in _files(stack.data_dir)}
            break
        except FileNotFoundError:
            continue
    if stack.backend == "postgresql":
        for name, url in stack.database_urls.items():
            found[f"postgresql:{name}"] = all_text_in_database(url)
    return found


def _storage_hits(stack: Stack, values: dict[str, str]) -> dict[str, list[str]]:
    return {where: hits for where, text in _stored_everywhere(stack).items() if (hits := _hits(text, values))}


def test_erasure_leaves_nothing_readable_on_the_topics_in_the_databases_or_in_a_reindex(
    stack: Stack, embedder: Embedder, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    person = _register_full_person(stack, tag)
    bystander = stack.call("profiles", "POST", "/profiles", expect=201,
                           json=profile_payload(given_name=f"Bystander{tag}", skills=[f"baking {tag}"]))
    values = person.values
    adviser = bearer(stack.settings, Role.ADVISER, "adviser-1")

    # Every consumer has the person: the guarantee clock, the matcher's index, the referrals.
    wait_for(lambda: httpx.get(f"{stack.urls['events']}/guarantee/{person.profile_id}", headers=adviser,
                               timeout=5).status_code == 200, what="the person's guarantee clock", timeout=30)
    wait_for(lambda: httpx.get(f"{stack.urls['matching']}/profiles/{person.profile_id}/matches", headers=adviser,
                               timeout=5).status_code == 200, what="the person in the matcher", timeout=30)
    # (referral.viewed: the employer read a referral of the person when it moved it on; its erasure is checked too)
    expected = ["interest.expressed", "profile.activity_recorded", "profile.registered", "profile.special_category_set",
                "profile.updated", "referral.created", "referral.status_changed", "referral.viewed"]
    trail = wait_for(lambda: stack.call("events", "GET", "/events", params={"profile_id": person.profile_id}),
                     until=lambda body: set(expected) <= {item["event_type"] for item in body["items"]},
                     what="the person's events stored", timeout=30)
    kinds = sorted({item["event_type"] for item in trail["items"]})
    assert kinds == expected, kinds

    # Before the erasure: on the topics, the person's events are there, sealed, and none of their values in clear.
    before = _read_every_topic(stack.bootstrap_servers)
    theirs = [r for r in before if person.subject in _record_text(r)]
    sealed = [r for r in theirs if json.loads(r.value)["payload"].get("sealed")]
    hits_before = [(r.topic, name) for r in before for name in _hits(_record_text(r), values)]
    print(f"\n[{stack.backend}] before erasure: {len(before)} records read on {len(every_topic())} topics, "
          f"{len(theirs)} about the person ({len(sealed)} sealed), {len(values)} values searched, "
          f"{len(hits_before)} hits")
    # registered, updated, special category, activity record (+ referrals, interest)
    assert len(theirs) >= 8 and len(sealed) >= 4
    assert all(json.loads(r.value)["payload"]["sealed"]["key"] == "special"
               for r in sealed if r.topic == "yg.profiles.restricted")
    assert hits_before == []

    response = httpx.delete(f"{stack.urls['profiles']}/profiles/{person.profile_id}", headers=adviser, timeout=10)
    assert response.status_code == 204, response.text
    erased_at = time.monotonic()

    # Within 10 s: no file or table of any service holds any of the values.
    remaining = wait_for(lambda: _storage_hits(stack, values), until=lambda hits: not hits,
                         what="the person's values gone from every database file and table",
                         timeout=ERASURE_SECONDS, interval=0.25)
    seconds = time.monotonic() - erased_at
    stored = _stored_everywhere(stack)
    wal_files = [name for name in stored if name.endswith("-wal")]
    print(f"[{stack.backend}] after erasure: {len(stored)} files and tables scanned ({len(wal_files)} -wal files, "
          f"{sum(len(text) for text in stored.values())} bytes), {len(values)} values searched, "
          f"{sum(len(h) for h in remaining.values())} hits, clean after {seconds:.2f} s")
    assert remaining == {}
    if stack.backend == "sqlite":
        assert {"profiles.db", "opportunities.db", "events.db"} <= set(stored)
    assert any(name.startswith("matching") for name in stored), "the matcher's saved index was scanned"
    # the bystander is untouched
    assert f"bystander{tag}" in "".join(stored.values())

    # The topics keep their history, and none of it can be read or linked to the person.
    after = _read_every_topic(stack.bootstrap_servers)
    theirs_after = [r for r in after if person.subject in _record_text(r)]
    hits_after = [(r.topic, name) for r in after for name in _hits(_record_text(r), values)]
    print(f"[{stack.backend}] topics after erasure: {len(after)} records read, {len(theirs_after)} still under the "
          f"person's former subject reference, {len(values)} values searched, {len(hits_after)} hits")
    assert len(theirs_after) >= len(theirs) + 1 and hits_after == []  # + profile.erased
    keys = stack.call("profiles", "POST", "/keys/personal", role=Role.SERVICE, sub="events",
                      json={"subjects": [person.subject]})
    assert keys["keys"] == [], "the person's keys are destroyed"

    # A reindex from the topics brings back nothing about them (and everything about the bystander).
    settings = MatchingSettings(data_dir=tmp_path, profiles_url=stack.urls["profiles"], environment="test",
                                kafka_bootstrap_servers=stack.bootstrap_servers)
    ring = http_key_ring(settings, "matching")
    try:
        summary = rebuild_from_topics(settings, embedder, keys=ring, timeout=120)
    finally:
        ring.close()
    index_text = "\n".join(path.read_bytes().decode("latin-1").lower() for path in _files(tmp_path))
    reindex_hits = _hits(index_text, values)
    print(f"[{stack.backend}] reindex after erasure: {summary['records']} records read, {summary['unreadable']} "
          f"unreadable, {summary['profiles']} people indexed, {len(values)} values searched, "
          f"{len(reindex_hits)} hits in the saved index")
    assert reindex_hits == []
    assert bystander["id"] in index_text
