from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from services.common.app_state import clock, db_session, engine
from services.common.auth import Principal, Role, require_roles
from services.common.clock import Clock
from services.messaging.contract import KeyPurpose
from services.profiles.config import ProfilesSettings
from services.profiles.schemas import REGISTERING, AgeWindow

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
