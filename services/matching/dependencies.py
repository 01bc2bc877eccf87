from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from services.common.app_state import clock
from services.common.auth import Principal, Role, Scope, require_roles
from services.common.clock import Clock
from services.matching.config import MatchingSettings
from services.matching.oversight import SuggestionLog
from services.matching.runtime import MatchingRuntime


# Async, like the match routes: FastAPI runs a plain `def` dependency in the thread pool, a hop per dependency per
# request (the profile of a match request showed the hops and their wake-ups at about a quarter of its time).
async def settings(request: Request) -> MatchingSettings:
    return request.app.state.settings


async def runtime(request: Request) -> MatchingRuntime:
    """The running matcher; 503 until its index is loaded."""
    current: MatchingRuntime = request.app.state.runtime
    if not current.is_ready():
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the matching index is not loaded yet")
    return current


async def suggestion_log(request: Request) -> SuggestionLog:
    return request.app.state.suggestion_log


ClockDep = Annotated[Clock, Depends(clock)]
SettingsDep = Annotated[MatchingSettings, Depends(settings)]
RuntimeDep = Annotated[MatchingRuntime, Depends(runtime)]
SuggestionLogDep = Annotated[SuggestionLog, Depends(suggestion_log)]
PersonOrAdviser = Annotated[Principal, Depends(require_roles(Role.ADVISER, Role.YOUNG_PERSON))]
# Free-text search is also asked by the opportunities service (browse), as a service, for opportunities only.
SearchCaller = Annotated[
    Principal, Depends(require_roles(Role.ADVISER, Role.YOUNG_PERSON, service_scope=Scope.MATCHING_SEARCH))
]
AdviserOnly = Annotated[Principal, Depends(require_roles(Role.ADVISER))]
# Every open opportunity's candidate list: the events service only (its exposure audit), never a person.
CandidateListsReader = Annotated[Principal, Depends(require_roles(service_scope=Scope.CANDIDATE_LISTS))]
