"""Crypto-shredding, written once for every producer and consumer.

Each young person has a pseudonymous subject reference and two data keys (personal, special category), kept by the
profiles service. Producers write version 2 payloads (`pseudonymise`): the person named by subject, never by profile
id, and their fields sealed with AES-256-GCM, the event's type, aggregate and subject bound in as associated data.
Consumers allowed to read them fetch keys over an authenticated call (`HttpKeyRing`: batched, cached briefly) and
see the clear (version 1) form (`Opener`, `opening`). Erasure destroys the keys and the subject's link: what is on
the topics can then be read by nobody and linked to nobody; consumers drop their cached keys and their own link
(`SubjectBook`) when profile.erased names the subject."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
from cachetools import TTLCache
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import Uuid, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from services.common.settings import KeyClientSettings
from services.common.tokens import service_token_source
from services.messaging.consumer import BatchHandler, DependencyUnavailable
from services.messaging.contract import (
    CLEAR_VERSION,
    KEY_PURPOSES,
    PSEUDONYMISED,
    PSEUDONYMISED_VERSION,
    EventEnvelope,
    EventType,
    InvalidEvent,
    KeyPurpose,
    PayloadModel,
    ProfileErasedV1,
    Sealed,
)

KEY_BYTES = 32
PERSONAL: tuple[KeyPurpose, ...] = ("personal",)
NONCE_BYTES = 12
MAX_SUBJECTS_PER_REQUEST = 500


def erasure_mark(profile_id: uuid.UUID | str) -> str:
    """What an erasure record keeps of a person: a one-way mark of their profile id, so a late or replayed event,
    or a new registration under the same id, can be recognised without the id itself being kept."""
    return hashlib.sha256(f"yg-erased:{profile_id}".encode()).hexdigest()


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


@dataclass(frozen=True)
class DataKey:
    """One person's data key for one purpose, with the subject reference and profile id it belongs to."""

    subject: uuid.UUID
    profile_id: uuid.UUID
    purpose: KeyPurpose
    secret: bytes = field(repr=False)


def associated_data(event_type: str, aggregate_id: str, subject: uuid.UUID, purpose: KeyPurpose) -> bytes:
    return f"yg/{PSEUDONYMISED_VERSION}|{event_type}|{aggregate_id}|{subject}|{purpose}".encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def seal_fields(fields: Mapping[str, Any], *, key: DataKey, aad: bytes) -> Sealed:
    """JSON fields encrypted under a data key with a fresh nonce."""
    nonce = os.urandom(NONCE_BYTES)
    plain = json.dumps(fields, separators=(",", ":"), sort_keys=True).encode()
    return Sealed(key=key.purpose, nonce=_b64(nonce), ciphertext=_b64(AESGCM(key.secret).encrypt(nonce, plain, aad)))


def open_fields(sealed: Sealed, *, key: DataKey, aad: bytes) -> dict[str, Any]:
    """The fields back; InvalidEvent when they do not open with this key and associated data (tampered, or copied
    from another event)."""
    try:
        plain = AESGCM(key.secret).decrypt(_unb64(sealed.nonce), _unb64(sealed.ciphertext), aad)
        fields = json.loads(plain)
    except (InvalidTag, ValueError) as exc:
        raise InvalidEvent("sealed fields do not open with the subject's key for this event") from exc
    if not isinstance(fields, dict):
        raise InvalidEvent("sealed fields are not an object")
    return fields


def pseudonymise(
    event_type: EventType, clear: PayloadModel, *, subject: uuid.UUID, aggregate_id: str, key: DataKey | None = None
) -> tuple[str, PayloadModel]:
    """The version 2 payload of an event about a person, and the aggregate id it travels under: the subject's when
    the person is the aggregate. The profile id is replaced by the subject; fields are sealed where the contract
    says, with `key` (the person's key for that purpose)."""
    rule = PSEUDONYMISED[event_type]
    if not isinstance(clear, rule.clear):
        raise TypeError(f"{event_type} is pseudonymised from {rule.clear.__name__}, got {type(clear).__name__}")
    aggregate = str(subject) if rule.person_is_aggregate else aggregate_id
    fields = clear.model_dump(mode="json")
    wire: dict[str, Any] = {name: fields[name] for name in rule.wire.model_fields if name in fields}
    wire["subject"] = subject
    if rule.sealed is not None:
        if key is None or key.purpose != rule.sealed or key.subject != subject:
            raise ValueError(f"{event_type} is sealed with the subject's {rule.sealed} key")
        aad = associated_data(event_type, aggregate, subject, rule.sealed)
        wire["sealed"] = seal_fields(fields, key=key, aad=aad)
    return aggregate, rule.wire.model_validate(wire)


def is_pseudonymised(event: EventEnvelope) -> bool:
    """A version 2 event about a person as it travels: opened, it would be version 1. One that is still version 2
    after opening could not be read: the person was erased (their keys are gone)."""
    return event.schema_version == PSEUDONYMISED_VERSION and event.event_type in PSEUDONYMISED


def subject_of(event: EventEnvelope) -> uuid.UUID | None:
    """The subject reference a version 2 event names, else None."""
    if not is_pseudonymised(event):
        return None
    subject: uuid.UUID = event.typed_payload().subject
    return subject


# -- the key service's API (served by the profiles service, called by HttpKeyRing) ---------------------------------


class KeyRequest(BaseModel):
    subjects: list[uuid.UUID] = Field(min_length=1, max_length=MAX_SUBJECTS_PER_REQUEST)


class DataKeyRead(BaseModel):
    subject: uuid.UUID
    profile_id: uuid.UUID
    key: str = Field(description="the 256-bit data key, base64url")


class KeyPage(BaseModel):
    """The keys of the subjects asked for that still exist; an erased (or unknown) subject is left out."""

    purpose: KeyPurpose
    keys: list[DataKeyRead]


class SubjectRead(BaseModel):
    profile_id: uuid.UUID
    subject: uuid.UUID


def key_read(key: DataKey) -> DataKeyRead:
    return DataKeyRead(subject=key.subject, profile_id=key.profile_id, key=_b64(key.secret))


def data_key(read: DataKeyRead, purpose: KeyPurpose) -> DataKey:
    return DataKey(read.subject, read.profile_id, purpose, _unb64(read.key))


# -- key rings: where consumers and producers get keys ------------------------------------------------------------


class KeysUnavailable(DependencyUnavailable):
    """The key service did not give a usable answer (the events wait; they are not dead-lettered)."""


class KeyRing(Protocol):
    def fetch(self, purpose: KeyPurpose, subjects: Collection[uuid.UUID]) -> dict[uuid.UUID, DataKey]:
        """The keys of those subjects that still exist; the others were erased (or never existed)."""
        ...

    def subject_of(self, profile_id: uuid.UUID) -> uuid.UUID | None:
        """The subject reference of a person named by profile id; None when there is no such person."""
        ...

    def forget(self, subjects: Collection[uuid.UUID]) -> None:
        """Drop every copy held here of these subjects' keys (they were erased)."""
        ...

    def close(self) -> None: ...


class HttpKeyRing:
    """The key client: asks the profiles service for keys in batches with a service token, keeps them for at most
    `ttl_seconds`, and drops a person's as soon as their erasure is seen."""

    def __init__(
        self, client: httpx.Client, token: Callable[[], str], *, ttl_seconds: float = 60.0, max_entries: int = 100_000
    ) -> None:
        self._token = token
        self._client = client
        self._cache: TTLCache[tuple[str, uuid.UUID], DataKey] = TTLCache(maxsize=max_entries, ttl=ttl_seconds)
        self._lock = threading.Lock()
        self.requests = 0

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        self.requests += 1
        try:
            response = self._client.request(
                method, path, json=body, headers={"Authorization": f"Bearer {self._token()}"}
            )
        except httpx.HTTPError as exc:
            raise KeysUnavailable(f"key service: {type(exc).__name__}: {exc}") from exc
        if response.status_code not in (200, 404):
            raise KeysUnavailable(f"key service answered {response.status_code} for {path}: {response.text[:200]}")
        return response

    def fetch(self, purpose: KeyPurpose, subjects: Collection[uuid.UUID]) -> dict[uuid.UUID, DataKey]:
        found: dict[uuid.UUID, DataKey] = {}
        with self._lock:
            for subject in set(subjects):
                cached = self._cache.get((purpose, subject))
                if cached is not None:
                    found[subject] = cached
        missing = sorted(set(subjects) - set(found), key=str)
        for start in range(0, len(missing), MAX_SUBJECTS_PER_REQUEST):
            chunk = missing[start : start + MAX_SUBJECTS_PER_REQUEST]
            response = self._call("POST", f"/keys/{purpose}", {"subjects": [str(subject) for subject in chunk]})
            try:
                page = KeyPage.model_validate_json(response.content)
            except ValidationError as exc:
                raise KeysUnavailable(f"key service sent an unexpected body for /keys/{purpose}") from exc
            asked = set(chunk)
            fetched = [data_key(item, purpose) for item in page.keys if item.subject in asked]
            with self._lock:
                for key in fetched:
                    self._cache[(purpose, key.subject)] = key
                    found[key.subject] = key
        return found

    def subject_of(self, profile_id: uuid.UUID) -> uuid.UUID | None:
        response = self._call("GET", f"/profiles/{profile_id}/subject")
        if response.status_code == 404:
            return None
        try:
            return SubjectRead.model_validate_json(response.content).subject
        except ValidationError as exc:
            raise KeysUnavailable("key service sent an unexpected body for a subject") from exc

    def forget(self, subjects: Collection[uuid.UUID]) -> None:
        with self._lock:
            for subject in subjects:
                for purpose in KEY_PURPOSES:
                    self._cache.pop((purpose, subject), None)

    def close(self) -> None:
        self._client.close()


def http_key_ring(settings: KeyClientSettings, caller: str) -> HttpKeyRing:
    """The key client of a service, calling the profiles service under the service's own name."""
    client = httpx.Client(base_url=settings.profiles_url.rstrip("/"), timeout=settings.profiles_timeout_seconds)
    return HttpKeyRing(
        client, service_token_source(settings.service_signer(caller), "profiles"),
        ttl_seconds=settings.key_cache_seconds,
    )


class InMemoryKeyRing:
    """Subjects and keys issued and held in memory, answering as the key service does: for tests and benchmarks
    that produce events without the profiles service. `erase` destroys a person's keys as erasure does."""

    def __init__(self) -> None:
        self._by_profile: dict[uuid.UUID, dict[KeyPurpose, DataKey]] = {}
        self._by_subject: dict[uuid.UUID, uuid.UUID] = {}
        self._lock = threading.Lock()

    def issue(self, profile_id: uuid.UUID) -> dict[KeyPurpose, DataKey]:
        """The person's keys, made on first use."""
        with self._lock:
            keys = self._by_profile.get(profile_id)
            if keys is None:
                subject = uuid.uuid4()
                keys = {purpose: DataKey(subject, profile_id, purpose, new_data_key()) for purpose in KEY_PURPOSES}
                self._by_profile[profile_id] = keys
                self._by_subject[subject] = profile_id
            return keys

    def erase(self, profile_id: uuid.UUID) -> uuid.UUID | None:
        """Destroy a person's keys; returns their (now meaningless) subject reference."""
        with self._lock:
            keys = self._by_profile.pop(profile_id, None)
            if keys is None:
                return None
            subject = keys["personal"].subject
            self._by_subject.pop(subject, None)
            return subject

    def fetch(self, purpose: KeyPurpose, subjects: Collection[uuid.UUID]) -> dict[uuid.UUID, DataKey]:
        with self._lock:
            found = {}
            for subject in subjects:
                profile_id = self._by_subject.get(subject)
                if profile_id is not None:
                    found[subject] = self._by_profile[profile_id][purpose]
            return found

    def subject_of(self, profile_id: uuid.UUID) -> uuid.UUID | None:
        with self._lock:
            keys = self._by_profile.get(profile_id)
            return keys["personal"].subject if keys else None

    def forget(self, subjects: Collection[uuid.UUID]) -> None:
        """Nothing is cached here: the ring is the key store itself."""

    def close(self) -> None:
        pass


# -- consumers: opening events, and knowing whom an erasure names ---------------------------------------------------


class SubjectBook(Protocol):
    """A consumer's own link from subject references to the profile ids it holds data under, learned while opening
    events, so profile.erased (which names only the subject) can be resolved; the link goes with the person."""

    def profiles_of(self, subjects: Collection[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]: ...

    def remember(self, links: Mapping[uuid.UUID, uuid.UUID]) -> None: ...

    def forget(self, subjects: Collection[uuid.UUID]) -> None: ...


class InMemorySubjectBook:
    """A SubjectBook in a dict (tools and tests)."""

    def __init__(self) -> None:
        self.links: dict[uuid.UUID, uuid.UUID] = {}

    def profiles_of(self, subjects: Collection[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
        return {subject: self.links[subject] for subject in subjects if subject in self.links}

    def remember(self, links: Mapping[uuid.UUID, uuid.UUID]) -> None:
        self.links.update(links)

    def forget(self, subjects: Collection[uuid.UUID]) -> None:
        for subject in subjects:
            self.links.pop(subject, None)


class KnownSubjectMixin:
    """The subject links of a service's database; a service declares `class KnownSubject(KnownSubjectMixin, Base)`."""

    __tablename__ = "known_subjects"

    subject: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    profile_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)


def remember_subject(
    session: Session, model: type[KnownSubjectMixin], subject: uuid.UUID, profile_id: uuid.UUID
) -> None:
    """Keep a subject link in the caller's transaction (a producer that names a person in its events)."""
    if session.get(model, subject) is None:
        session.add(model(subject=subject, profile_id=profile_id))  # type: ignore[call-arg]


def known_subject(session: Session, model: type[KnownSubjectMixin], profile_id: uuid.UUID) -> uuid.UUID | None:
    return session.scalars(select(model.subject).where(model.profile_id == profile_id)).first()


class SqlSubjectBook:
    """A SubjectBook in the service's own database."""

    def __init__(self, session_factory: sessionmaker[Session], model: type[KnownSubjectMixin]) -> None:
        self.session_factory = session_factory
        self.model = model

    def profiles_of(self, subjects: Collection[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
        if not subjects:
            return {}
        model = self.model
        with self.session_factory() as session:
            rows = session.execute(select(model.subject, model.profile_id).where(model.subject.in_(list(subjects))))
            return {subject: profile_id for subject, profile_id in rows.tuples()}

    def remember(self, links: Mapping[uuid.UUID, uuid.UUID]) -> None:
        if not links:
            return
        with self.session_factory() as session, session.begin():
            known = set(session.scalars(select(self.model.subject).where(self.model.subject.in_(list(links)))))
            for subject, profile_id in links.items():
                if subject not in known:
                    session.add(self.model(subject=subject, profile_id=profile_id))  # type: ignore[call-arg]

    def forget(self, subjects: Collection[uuid.UUID]) -> None:
        if not subjects:
            return
        with self.session_factory() as session, session.begin():
            session.execute(delete(self.model).where(self.model.subject.in_(list(subjects))))


class Opener:
    """Turns a batch of events as they travel into their clear form, for a consumer allowed keys of `purposes`.
    Events it cannot read (the person was erased, or it may not have that key) stay as they are, version 2."""

    def __init__(self, keys: KeyRing, book: SubjectBook, purposes: Collection[KeyPurpose] = PERSONAL) -> None:
        self.keys = keys
        self.book = book
        self.purposes = frozenset(purposes)
        self.opened = 0
        self.unreadable = 0

    @staticmethod
    def _purpose(event_type: EventType) -> KeyPurpose:
        return PSEUDONYMISED[event_type].sealed or "personal"

    def open(self, events: Sequence[EventEnvelope]) -> list[EventEnvelope]:
        wanted: dict[KeyPurpose, set[uuid.UUID]] = {purpose: set() for purpose in self.purposes}
        erasures: set[uuid.UUID] = set()
        for event in events:
            subject = subject_of(event)
            if subject is None:
                continue
            if event.event_type is EventType.PROFILE_ERASED:
                erasures.add(subject)
            elif self._purpose(event.event_type) in self.purposes:
                wanted[self._purpose(event.event_type)].add(subject)
        found = {purpose: self.keys.fetch(purpose, wanted[purpose]) if wanted[purpose] else {} for purpose in wanted}
        links = {key.subject: key.profile_id for keys in found.values() for key in keys.values()}
        self.book.remember(links)
        resolved = self.book.profiles_of(erasures)
        clear = [self._clear(event, found, resolved) for event in events]
        return clear

    def _clear(
        self,
        event: EventEnvelope,
        found: Mapping[KeyPurpose, Mapping[uuid.UUID, DataKey]],
        resolved: Mapping[uuid.UUID, uuid.UUID],
    ) -> EventEnvelope:
        if not is_pseudonymised(event):
            return event
        rule = PSEUDONYMISED[event.event_type]
        payload = event.typed_payload()
        subject: uuid.UUID = payload.subject
        if rule.person_is_aggregate and event.aggregate_id != str(subject):
            raise InvalidEvent(f"{event.event_type} names subject {subject} but travels under {event.aggregate_id}")
        clear: PayloadModel
        if event.event_type is EventType.PROFILE_ERASED:
            profile_id = resolved.get(subject)
            if profile_id is None:
                self.unreadable += 1
                return event
            clear = ProfileErasedV1(profile_id=profile_id, erased_at=payload.erased_at)
        else:
            key = found.get(self._purpose(event.event_type), {}).get(subject)
            if key is None:
                self.unreadable += 1
                return event
            fields = payload.model_dump(mode="json", exclude={"subject", "sealed"})
            if rule.sealed is not None:
                aad = associated_data(event.event_type, event.aggregate_id, subject, rule.sealed)
                fields.update(open_fields(payload.sealed, key=key, aad=aad))
            if fields.setdefault("profile_id", str(key.profile_id)) != str(key.profile_id):
                raise InvalidEvent(f"{event.event_type} sealed under subject {subject} names another person")
            try:
                clear = rule.clear.model_validate(fields)
            except ValidationError as exc:
                raise InvalidEvent(f"opened {event.event_type}: {str(exc)[:500]}") from exc
        self.opened += 1
        opened = clear.model_dump(mode="json")
        aggregate = opened["profile_id"] if rule.person_is_aggregate else event.aggregate_id
        return event.model_copy(update={"schema_version": CLEAR_VERSION, "aggregate_id": aggregate, "payload": opened})

    def settle(self, events: Sequence[EventEnvelope]) -> list[uuid.UUID]:
        """After the handler has applied a batch: forget the keys and subject links of the people it erased.
        Returns their subjects."""
        erased = [
            subject
            for event in events
            if event.event_type is EventType.PROFILE_ERASED and (subject := subject_of(event)) is not None
        ]
        if erased:
            self.keys.forget(erased)
            self.book.forget(erased)
        return erased


def opening(
    handler: BatchHandler, opener: Opener, *, after_erasure: Callable[[], object] | None = None
) -> BatchHandler:
    """A batch handler that opens the events, hands the clear ones to `handler`, then forgets the erased people's
    keys and links and calls `after_erasure` (e.g. to scrub the database files)."""

    def handle(events: Sequence[EventEnvelope]) -> None:
        handler(opener.open(events))
        if opener.settle(events) and after_erasure is not None:
            after_erasure()

    return handle
