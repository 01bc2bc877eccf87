from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from services.common.app_state import clock, db_session, engine
from services.common.auth import Principal, Role, require_roles
from services.common.clock import Clock
from services.messaging.contract import KeyPurpose
from services.profiles.config import ProfilesSettings
from services.profiles.schemas import REGISTERING, AgeWindow
from services.profiles.service import registered_on

# The only service that may read special category data (for the guarantee figures per priority group).
SPECIAL_CATEGORY_READER = "events"


def settings(request: Request) -> ProfilesSettings:
    return request.app.state.settings


SessionDep = Annotated[Session, Depends(db_session)]
ClockDep = Annotated[Clock, Depends(clock)]
SettingsDep = Annotated[ProfilesSettings, Depends(settings)]
PersonOrAdviser = Annotated[Principal, Depends(require_roles(Role.ADVISER, Role.YOUNG_PERSON))]
Reader = Annotated[Principal, Depends(require_roles(Role.ADVISER, Role.YOUNG_PERSON, Role.SERVICE))]
AdviserOnly = Annotated[Principal, Depends(require_roles(Role.ADVISER))]
AnyoneSignedIn = Annotated[
    Principal, Depends(require_roles(Role.ADVISER, Role.YOUNG_PERSON, Role.EMPLOYER, Role.SERVICE))
]
EngineDep = Annotated[Engine, Depends(engine)]


def key_holder(purpose: KeyPurpose) -> Callable[..., Principal]:
    """Who may fetch data keys of a purpose: services, and for special category keys only the events service.
    (The one place to change when services carry scopes: require the scope `keys:{purpose}` instead.)"""
    service = require_roles(Role.SERVICE)

    def dependency(principal: Principal = Depends(service)) -> Principal:
        if purpose == "special" and principal.sub != SPECIAL_CATEGORY_READER:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "only the events service may fetch special category keys")
        return principal

    return dependency


PersonalKeyHolder = Annotated[Principal, Depends(key_holder("personal"))]
SpecialKeyHolder = Annotated[Principal, Depends(key_holder("special"))]


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
