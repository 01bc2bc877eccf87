"""The key service: each young person's subject reference and data keys, wrapped at rest under the key-encryption
key, made with the person's first event, handed to the services allowed them, and destroyed by erasure."""

from __future__ import annotations

import os
import uuid
from collections.abc import Collection

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.errors import NotFound
from services.messaging.contract import KeyPurpose
from services.messaging.sealing import DataKey, KeyPage, SubjectRead, key_read, new_data_key
from services.profiles.models import Profile, SubjectKeys

NONCE_BYTES = 12
COLUMN: dict[KeyPurpose, str] = {"personal": "personal_key", "special": "special_key"}


class KeyUnwrapFailed(RuntimeError):
    """A stored data key does not open with the key-encryption key in the settings (the wrong key is configured)."""


def _aad(subject: uuid.UUID, purpose: KeyPurpose) -> bytes:
    return f"yg-data-key|{subject}|{purpose}".encode()


def _wrap(kek: bytes, subject: uuid.UUID, purpose: KeyPurpose, secret: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(kek).encrypt(nonce, secret, _aad(subject, purpose))


def _unwrap(kek: bytes, row: SubjectKeys, purpose: KeyPurpose) -> DataKey:
    wrapped: bytes = getattr(row, COLUMN[purpose])
    try:
        secret = AESGCM(kek).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _aad(row.subject, purpose))
    except InvalidTag as exc:
        raise KeyUnwrapFailed("a data key does not open with PROFILES_KEY_ENCRYPTION_KEY") from exc
    return DataKey(row.subject, row.profile_id, purpose, secret)


def _row(session: Session, profile_id: uuid.UUID, kek: bytes) -> SubjectKeys:
    row = session.get(SubjectKeys, profile_id)
    if row is None:
        subject = uuid.uuid4()
        secrets = {purpose: new_data_key() for purpose in COLUMN}
        row = SubjectKeys(
            profile_id=profile_id,
            subject=subject,
            **{COLUMN[purpose]: _wrap(kek, subject, purpose, secret) for purpose, secret in secrets.items()},
        )
        session.add(row)
        session.flush()
    return row


def keys_of(session: Session, profile_id: uuid.UUID, kek: bytes) -> dict[KeyPurpose, DataKey]:
    """A person's keys, made in the caller's transaction on first use."""
    row = _row(session, profile_id, kek)
    return {purpose: _unwrap(kek, row, purpose) for purpose in COLUMN}


def fetch_keys(*, session: Session, purpose: KeyPurpose, subjects: Collection[uuid.UUID], kek: bytes) -> KeyPage:
    """The keys of those subjects that still exist; an erased or unknown subject is simply left out."""
    rows = session.scalars(select(SubjectKeys).where(SubjectKeys.subject.in_(list(subjects))))
    return KeyPage(purpose=purpose, keys=[key_read(_unwrap(kek, row, purpose)) for row in rows])


def subject_of(*, session: Session, profile_id: uuid.UUID, kek: bytes) -> SubjectRead:
    """The subject reference events name a person by (made on first use), for a service that emits events about
    them."""
    if session.get(Profile, profile_id) is None:
        raise NotFound("profile", profile_id)
    subject = _row(session, profile_id, kek).subject
    session.commit()
    return SubjectRead(profile_id=profile_id, subject=subject)


def profile_of(session: Session, subject: uuid.UUID) -> uuid.UUID | None:
    """The person a subject reference names (None once they are erased)."""
    return session.scalar(select(SubjectKeys.profile_id).where(SubjectKeys.subject == subject))


def destroy_keys(session: Session, profile_id: uuid.UUID) -> uuid.UUID | None:
    """Delete a person's keys in the caller's transaction; returns the subject reference they had (None if none)."""
    row = session.get(SubjectKeys, profile_id)
    if row is None:
        return None
    subject = row.subject
    session.delete(row)
    return subject
