"""Keys for consumers under test: the builders' in-memory ring (`tests.support.events.KEYS`), a real profiles
service's key API reached through its test client, and opening what a plain reader finds on the topics."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from services.common.db import make_engine, make_session_factory
from services.common.settings import CommonSettings
from services.common.tokens import service_token_source
from services.messaging.contract import KEY_PURPOSES, EventEnvelope, KeyPurpose, parse_event
from services.messaging.sealing import DataKey, HttpKeyRing, InMemorySubjectBook, KeyRing, Opener, data_key
from services.profiles import keys as key_store
from tests.support.events import KEYS


class KeyRings:
    """Key rings asked in turn for what the earlier ones lack: the builders' first, then any a test attaches."""

    def __init__(self, *rings: KeyRing) -> None:
        self.rings = list(rings)

    @contextmanager
    def attached(self, ring: KeyRing) -> Iterator[KeyRing]:
        self.rings.append(ring)
        try:
            yield ring
        finally:
            self.rings.remove(ring)

    def fetch(self, purpose: KeyPurpose, subjects: Collection[uuid.UUID]) -> dict[uuid.UUID, DataKey]:
        found: dict[uuid.UUID, DataKey] = {}
        for ring in list(self.rings):
            missing = set(subjects) - set(found)
            if not missing:
                break
            found.update(ring.fetch(purpose, missing))
        return found

    def subject_of(self, profile_id: uuid.UUID) -> uuid.UUID | None:
        return next((s for ring in list(self.rings) if (s := ring.subject_of(profile_id)) is not None), None)

    def forget(self, subjects: Collection[uuid.UUID]) -> None:
        for ring in list(self.rings):
            ring.forget(subjects)

    def close(self) -> None:
        pass


# What consumers under test open events with: the builders' keys, and a real profiles service's when attached.
CONSUMER_KEYS = KeyRings(KEYS)


def profiles_keys(client: httpx.Client, settings: CommonSettings, caller: str = "events") -> HttpKeyRing:
    """A key client on a profiles service (its test client, or an httpx client on its URL), calling as `caller`
    (the events service by default, the one allowed both purposes)."""
    return HttpKeyRing(client, service_token_source(settings.service_signer(caller), "profiles"), ttl_seconds=5)


class ProfilesDatabaseKeys:
    """The profiles service's key store read in-process, for a database with no service running (a seeded one)."""

    def __init__(self, database_url: str, kek: bytes) -> None:
        self.engine = make_engine(database_url)
        self.sessions = make_session_factory(self.engine)
        self.kek = kek

    def fetch(self, purpose: KeyPurpose, subjects: Collection[uuid.UUID]) -> dict[uuid.UUID, DataKey]:
        with self.sessions() as session:
            page = key_store.fetch_keys(session=session, purpose=purpose, subjects=subjects, kek=self.kek)
        return {item.subject: data_key(item, purpose) for item in page.keys}

    def subject_of(self, profile_id: uuid.UUID) -> uuid.UUID | None:
        with self.sessions() as session:
            return key_store.subject_of(session=session, profile_id=profile_id, kek=self.kek).subject

    def forget(self, subjects: Collection[uuid.UUID]) -> None:
        pass

    def close(self) -> None:
        self.engine.dispose()


def open_events(events: list[EventEnvelope], keys: KeyRing) -> list[EventEnvelope]:
    """Events (e.g. from an outbox) opened as a consumer allowed every key sees them."""
    return Opener(keys, InMemorySubjectBook(), purposes=KEY_PURPOSES).open(events)


class Openings:
    """Records read off the topics, parsed and opened as a consumer allowed every key sees them, each when first
    seen and remembered (so a test can look back at them after the person's keys are gone)."""

    def __init__(self, keys: KeyRing) -> None:
        self.opener = Opener(keys, InMemorySubjectBook(), purposes=KEY_PURPOSES)
        self.seen: dict[tuple[str, int, int], EventEnvelope] = {}

    def __call__(self, records: Iterable[Any]) -> list[EventEnvelope]:
        records = list(records)
        new = [record for record in records if (record.topic, record.partition, record.offset) not in self.seen]
        for record, event in zip(new, self.opener.open([parse_event(r.value) for r in new]), strict=True):
            self.seen[(record.topic, record.partition, record.offset)] = event
        return [self.seen[(record.topic, record.partition, record.offset)] for record in records]

    def about(self, records: Iterable[Any], profile_id: str) -> list[EventEnvelope]:
        """The opened events about one person (their profile events, referrals and interests)."""
        return [event for event in self(records) if event.aggregate_id == profile_id
                or event.payload.get("profile_id") == profile_id]
