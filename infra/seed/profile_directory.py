"""The profiles the opportunities seed refers, read through the profiles service's own use cases in-process."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from services.common.auth import Principal, Role
from services.common.clock import FixedClock
from services.common.db import make_engine, make_session_factory
from services.common.errors import NotFound
from services.opportunities.directory import ProfileDirectory
from services.opportunities.schemas import AdviserContact, CandidateView, ProfileFacts
from services.profiles import advisers as profiles_advisers
from services.profiles import keys as profiles_keys
from services.profiles import service as profiles_service
from services.profiles.config import ProfilesSettings


class InProcessProfileDirectory:
    """The profiles service's use cases called in-process (the seed is a tool, not a service). Nothing changes a
    profile while seeding, so answers are remembered."""

    def __init__(self, session_factory: sessionmaker[Session], clock: FixedClock, kek: bytes):
        self.session_factory = session_factory
        self.clock = clock
        self.kek = kek
        self._principal = Principal(role=Role.SERVICE, sub="seed")
        self._facts: dict[uuid.UUID, ProfileFacts | None] = {}
        self._subjects: dict[uuid.UUID, uuid.UUID | None] = {}
        self._status: dict[uuid.UUID, str] = {}

    def get_profile(self, profile_id: uuid.UUID) -> ProfileFacts | None:
        if profile_id not in self._facts:
            with self.session_factory() as session:
                try:
                    read = profiles_service.get_profile(
                        session=session, profile_id=profile_id, principal=self._principal, kek=self.kek,
                        now=self.clock.now(),
                    )
                    self._facts[profile_id] = ProfileFacts.model_validate(read.model_dump())
                    self._status[profile_id] = read.status
                except NotFound:
                    self._facts[profile_id] = None
        return self._facts[profile_id]

    def status_of(self, profile_id: uuid.UUID) -> str | None:
        """The person's status as registered (the profiles seed changes no status)."""
        self.get_profile(profile_id)
        return self._status.get(profile_id)

    def employer_view(self, profile_id: uuid.UUID) -> CandidateView | None:
        with self.session_factory() as session:
            try:
                view = profiles_service.employer_view(session=session, profile_id=profile_id, principal=self._principal)
            except NotFound:
                return None
        return CandidateView.model_validate(view.model_dump())

    def adviser(self, adviser_id: str) -> AdviserContact | None:
        with self.session_factory() as session:
            try:
                read = profiles_advisers.get_adviser(session=session, adviser_id=adviser_id)
            except NotFound:
                return None
        return AdviserContact.model_validate(read.model_dump())

    def subject_of(self, profile_id: uuid.UUID) -> uuid.UUID | None:
        if profile_id not in self._subjects:
            with self.session_factory() as session:
                try:
                    found = profiles_keys.subject_of(session=session, profile_id=profile_id, kek=self.kek)
                    self._subjects[profile_id] = found.subject
                except NotFound:
                    self._subjects[profile_id] = None
        return self._subjects[profile_id]


def profiles_directory(clock: FixedClock) -> tuple[ProfileDirectory, Callable[[], None]]:
    """A directory on the profiles database, and how to close it."""
    settings = ProfilesSettings()
    engine = make_engine(settings.resolved_database_url())
    return InProcessProfileDirectory(make_session_factory(engine), clock, settings.kek()), engine.dispose
