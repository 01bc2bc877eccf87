from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from services.common.app_state import clock, db_session
from services.common.auth import Principal, Role, Scope, current_principal, require_roles
from services.common.clock import Clock
from services.common.minimum_wage import WageTable
from services.opportunities.config import OpportunitiesSettings
from services.opportunities.directory import ProfileDirectory
from services.opportunities.semantic import SemanticSearch

_optional_bearer = HTTPBearer(auto_error=False)


def settings(request: Request) -> OpportunitiesSettings:
    return request.app.state.settings


def wage_table(request: Request) -> WageTable:
    return request.app.state.wage_table


def semantic_search(request: Request) -> SemanticSearch | None:
    return getattr(request.app.state, "semantic_search", None)


def profile_directory(request: Request) -> ProfileDirectory:
    return request.app.state.profile_directory


def optional_principal(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_optional_bearer)
) -> Principal | None:
    """Who is asking, when a token is sent; public routes also answer without one (a bad token is still 401)."""
    if credentials is None:
        return None
    return current_principal(request, credentials)


SessionDep = Annotated[Session, Depends(db_session)]
ClockDep = Annotated[Clock, Depends(clock)]
SettingsDep = Annotated[OpportunitiesSettings, Depends(settings)]
DirectoryDep = Annotated[ProfileDirectory, Depends(profile_directory)]
WageTableDep = Annotated[WageTable, Depends(wage_table)]
SemanticDep = Annotated[SemanticSearch | None, Depends(semantic_search)]
MaybePrincipal = Annotated[Principal | None, Depends(optional_principal)]
AdviserOnly = Annotated[Principal, Depends(require_roles(Role.ADVISER))]
AdviserOrEmployer = Annotated[Principal, Depends(require_roles(Role.ADVISER, Role.EMPLOYER))]
# One employer's record: advisers, the employer itself, and the notifications service (it writes to the contact).
EmployerReader = Annotated[
    Principal, Depends(require_roles(Role.ADVISER, Role.EMPLOYER, service_scope=Scope.EMPLOYER_CONTACT))
]
AdviserOrPerson = Annotated[Principal, Depends(require_roles(Role.ADVISER, Role.YOUNG_PERSON))]
YoungPersonOnly = Annotated[Principal, Depends(require_roles(Role.YOUNG_PERSON))]
ReferralReader = Annotated[Principal, Depends(require_roles(Role.ADVISER, Role.EMPLOYER, Role.YOUNG_PERSON))]
