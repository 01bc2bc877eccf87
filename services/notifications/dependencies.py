from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from services.common.app_state import clock, db_session
from services.common.auth import Principal, Role, require_roles
from services.common.clock import Clock
from services.notifications.config import NotificationsSettings


def settings(request: Request) -> NotificationsSettings:
    return request.app.state.settings


SessionDep = Annotated[Session, Depends(db_session)]
ClockDep = Annotated[Clock, Depends(clock)]
SettingsDep = Annotated[NotificationsSettings, Depends(settings)]
# Each person their own preferences, searches and messages; no service reads them.
Person = Annotated[Principal, Depends(require_roles(Role.ADVISER, Role.YOUNG_PERSON, Role.EMPLOYER))]
AdviserOnly = Annotated[Principal, Depends(require_roles(Role.ADVISER))]
