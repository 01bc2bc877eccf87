from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from services.common.app_state import clock, db_session
from services.common.auth import Principal, Role, Scope, require_roles
from services.common.clock import Clock
from services.events.config import EventsSettings
from services.events.exposure import ExposureAudit
from services.events.guarantee import ClockRules
from services.events.returns import ReturnsRules


def settings(request: Request) -> EventsSettings:
    return request.app.state.settings


def clock_rules(request: Request) -> ClockRules:
    return ClockRules.from_settings(request.app.state.settings)


def returns_rules(request: Request) -> ReturnsRules:
    return ReturnsRules.from_settings(request.app.state.settings)


def exposure_audit(request: Request) -> ExposureAudit:
    return request.app.state.exposure


SessionDep = Annotated[Session, Depends(db_session)]
ClockDep = Annotated[Clock, Depends(clock)]
SettingsDep = Annotated[EventsSettings, Depends(settings)]
RulesDep = Annotated[ClockRules, Depends(clock_rules)]
ReturnsRulesDep = Annotated[ReturnsRules, Depends(returns_rules)]
ExposureDep = Annotated[ExposureAudit, Depends(exposure_audit)]
# Advisers read everything here; a service only with the scope events:read (granted to none today); employers and
# young people not.
Reader = Annotated[Principal, Depends(require_roles(Role.ADVISER, service_scope=Scope.EVENTS_READ))]
# The list of clocks: also the notifications service (advisers' daily digest of people turning at risk or overdue).
ClockListReader = Annotated[
    Principal, Depends(require_roles(Role.ADVISER, service_scope=Scope.GUARANTEE_LIST))
]
# The exposure audit (figures per priority group, SEND included) and the returns (the extract carries special category
# activity codes): advisers only.
AdviserOnly = Annotated[Principal, Depends(require_roles(Role.ADVISER))]
# Who has looked at a young person's record: the person themself (their own only) and advisers.
PersonOrAdviser = Annotated[Principal, Depends(require_roles(Role.ADVISER, Role.YOUNG_PERSON))]
