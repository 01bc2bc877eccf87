from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool

from services.matching import service
from services.matching.dependencies import (
    AdviserOnly,
    CandidateListsReader,
    ClockDep,
    PersonOrAdviser,
    RuntimeDep,
    SearchCaller,
    SettingsDep,
    SuggestionLogDep,
)
from services.matching.oversight import HeldRecords
from services.matching.ranking import Filters
from services.matching.schemas import (
    CandidateLists,
    K,
    OpportunityCandidates,
    ProfileMatches,
    SearchRequest,
    SearchResults,
    Sector,
)
from services.messaging.vocabulary import OpportunityType

router = APIRouter(tags=["matching"])


def query_filters(
    type_: Annotated[OpportunityType | None, Query(alias="type")] = None,
    sector: Annotated[Sector | None, Query()] = None,
    max_distance_km: Annotated[float | None, Query(gt=0, le=500)] = None,
    remote: bool | None = None,
) -> Filters:
    """The optional filters every query takes."""
    return Filters(type=type_, sector=sector, max_distance_km=max_distance_km, remote=remote)


FiltersDep = Annotated[Filters, Depends(query_filters)]


# The match routes run on the event loop: a few milliseconds of CPU under the GIL either way, without the hop to
# the thread pool and back; only the served list's record, a database round trip, waits in the pool. Free-text
# search embeds its text first, so it stays in the pool.
@router.get("/profiles/{profile_id}/matches", response_model=ProfileMatches)
async def profile_matches(
    profile_id: uuid.UUID,
    principal: PersonOrAdviser,
    runtime: RuntimeDep,
    settings: SettingsDep,
    clock: ClockDep,
    filters: FiltersDep,
    suggestion_log: SuggestionLogDep,
    k: Annotated[K, Query()] = 10,
) -> ProfileMatches:
    assert runtime.state is not None
    held = HeldRecords(suggestion_log, runtime.state.profiles_of)
    answer = service.matches_for_profile(
        state=runtime.state, settings=settings, principal=principal, profile_id=profile_id, k=k,
        filters=filters, today=clock.today(), log=held, now=clock.now(),
    )
    await run_in_threadpool(held.write)
    return answer


@router.get("/opportunities/{opportunity_id}/matches", response_model=OpportunityCandidates)
async def opportunity_matches(
    opportunity_id: uuid.UUID,
    principal: AdviserOnly,
    runtime: RuntimeDep,
    settings: SettingsDep,
    clock: ClockDep,
    filters: FiltersDep,
    suggestion_log: SuggestionLogDep,
    k: Annotated[K, Query()] = 10,
) -> OpportunityCandidates:
    assert runtime.state is not None
    held = HeldRecords(suggestion_log, runtime.state.profiles_of)
    answer = service.candidates_for_opportunity(
        state=runtime.state, settings=settings, opportunity_id=opportunity_id, k=k, filters=filters,
        today=clock.today(), principal=principal, log=held, now=clock.now(),
    )
    await run_in_threadpool(held.write)
    return answer


@router.get("/candidate-lists", response_model=CandidateLists)
def candidate_lists(
    _principal: CandidateListsReader, runtime: RuntimeDep, settings: SettingsDep, clock: ClockDep,
    k: Annotated[K, Query()] = 10,
) -> CandidateLists:
    """Every open opportunity's candidate list and who is eligible for how many, for the events service's exposure
    audit: profile ids only, which the events service joins with the priority groups it holds (SEND, special
    category data, never reaches this service)."""
    assert runtime.state is not None
    return service.candidate_lists(state=runtime.state, settings=settings, k=k, today=clock.today())


@router.post("/search", response_model=SearchResults)
def search(
    request: SearchRequest, principal: SearchCaller, runtime: RuntimeDep, settings: SettingsDep, clock: ClockDep
) -> SearchResults:
    assert runtime.state is not None and runtime.embedder is not None
    return service.search(
        state=runtime.state, embedder=runtime.embedder, settings=settings, principal=principal, request=request,
        today=clock.today(),
    )
