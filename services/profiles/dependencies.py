from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from services.common.app_state import clock, db_session
from services.common.auth import Principal, Role, require_roles
from services.common.clock import Clock
from services.profiles.config import ProfilesSettings


def settings(request: Request) -> ProfilesSettings:
    return request.app.state.settings


SessionDep = Annotated[Session, Depends(db_session)]
ClockDep = Annotated[Clock, Depends(clock)]
SettingsDep = Annotated[ProfilesSettings, Depends(settings)]
PersonOrAdviser = Annotated[Principal, Depends(require_roles(Role.ADVISER, Role.YOUNG_PERSON))]
Reader = Annotated[Principal, Depends(require_roles(Role.ADVISER, Role.YOUNG_PERSON, Role.SERVICE))]
AdviserOnly = Annotated[Principal, Depends(require_roles(Role.ADVISER))]
