from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from services.common.app_state import clock, db_session, engine
from services.common.auth import Principal, Role, Scope, require_roles
from services.common.clock import Clock
from services.messaging.contract import KeyPurpose
from services.profiles.config import ProfilesSettings


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
AdviserOnly = Annotated[Principal, Depends(require_roles(Role.ADVISER))]
EngineDep = Annotated[Engine, Depends(engine)]


def key_holder(purpose: KeyPurpose) -> Scope:
    """The scope a service needs to fetch data keys of a purpose (tokens.SERVICE_SCOPES grants keys:special only
    to the events service)."""
    return Scope(f"keys:{purpose}")


PersonalKeyHolder = Annotated[Principal, Depends(require_roles(service_scope=key_holder("personal")))]
SpecialKeyHolder = Annotated[Principal, Depends(require_roles(service_scope=key_holder("special")))]
