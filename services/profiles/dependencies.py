from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from services.common.app_state import clock, db_session, engine
from services.common.auth import Principal, Role, Scope, require_roles
from services.common.clock import Clock
from services.messaging.contract import KeyPurpose
from services.profiles.config import ProfilesSettings
from services.profiles.schemas import REGISTERING, AgeWindow
from services.profiles.service import registered_on


def settings(request: Request) -> ProfilesSettings:
    return request.app.state.settings


SessionDep = Annotated[Session, Depends(db_session)]
ClockDep = Annotated[Clock, Depends(clock)]
SettingsDep = Annotated[ProfilesSettings, Depends(settings)]
PersonOrAdviser = Annotated[Principal, Depends(require_roles(Role.ADVISER, Role.YOUNG_PERSON))]
# The whole profile (special category data included): the person and advisers only, never a service.
Reader = PersonOrAdviser
EligibilityReader = Annotated[
    Principal, Depends(require_roles(Role.ADVISER, Role.YOUNG_PERSON, service_scope=Scope.PROFILE_ELIGIBILITY))
]
EmployerViewReader = Annotated[
    Principal, Depends(require_roles(Role.ADVISER, Role.YOUNG_PERSON, service_scope=Scope.EMPLOYER_VIEW))
]
# Email address and first name: the person, advisers, and the notifications service (which writes only to people
# who agreed to email contact).
ContactReader = Annotated[
    Principal, Depends(require_roles(Role.ADVISER, Role.YOUNG_PERSON, service_scope=Scope.CONTACT_DETAILS))
]
AdviserOnly = Annotated[Principal, Depends(require_roles(Role.ADVISER))]
# Whose activity lapsed to not known, by id and day: advisers, and the notifications service (it tells the adviser).
LapsedListReader = Annotated[Principal, Depends(require_roles(Role.ADVISER, service_scope=Scope.LAPSED_LIST))]
# An adviser's work contact: anyone signed in, and the opportunities service (it names the referring adviser).
AnyoneSignedIn = Annotated[
    Principal,
    Depends(require_roles(Role.ADVISER, Role.YOUNG_PERSON, Role.EMPLOYER, service_scope=Scope.ADVISER_CONTACT)),
]
EngineDep = Annotated[Engine, Depends(engine)]


def key_holder(purpose: KeyPurpose) -> Scope:
    """The scope a service needs to fetch data keys of a purpose (tokens.SERVICE_SCOPES grants keys:special only
    to the events service)."""
    return Scope(f"keys:{purpose}")


PersonalKeyHolder = Annotated[Principal, Depends(require_roles(service_scope=key_holder("personal")))]
SpecialKeyHolder = Annotated[Principal, Depends(require_roles(service_scope=key_holder("special")))]


async def registering(settings: SettingsDep, clock: ClockDep) -> None:
    """Give the registration form its age window before FastAPI validates the body (dependencies are solved
    first; this must be async so the value stays in the request's context)."""
    REGISTERING.set(AgeWindow(today=clock.today(), youngest=settings.min_age, oldest=settings.max_age))


async def editing(profile_id: uuid.UUID, session: SessionDep, settings: SettingsDep) -> None:
    """Give an edit's date of birth the age window of the day the person registered, before FastAPI validates the
    body, so the age rule comes back in one 422 with every other problem."""
    registered = await run_in_threadpool(registered_on, session=session, profile_id=profile_id)
    REGISTERING.set(None if registered is None else AgeWindow(today=registered, youngest=settings.min_age,
                                                              oldest=settings.max_age))
