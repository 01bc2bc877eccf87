from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from services.common.types import Offset, Text
from services.messaging.vocabulary import OpportunityStatus, OpportunityType, ReferralStatus, Sector
from services.opportunities import browse, employers, interests, lifecycle, oversight, referrals
from services.opportunities.dependencies import (
    AdviserOnly,
    AdviserOrEmployer,
    AdviserOrPerson,
    ClockDep,
    DirectoryDep,
    EmployerReader,
    MaybePrincipal,
    ReferralReader,
    SemanticDep,
    SessionDep,
    SettingsDep,
    WageTableDep,
    YoungPersonOnly,
)
from services.opportunities.schemas import (
    BrowsePage,
    BrowseQuery,
    BrowseSort,
    CloseRequest,
    DismissalCreate,
    DismissalPage,
    DismissalRead,
    EmployerCreate,
    EmployerPage,
    EmployerRead,
    EmployerUpdate,
    InterestCreate,
    InterestPage,
    InterestRead,
    LocatedPostcode,
    OpportunityCreate,
    OpportunityPage,
    OpportunityRead,
    OpportunityUpdate,
    ReferralCreate,
    ReferralPage,
    ReferralRead,
    ReferralUpdate,
)

router = APIRouter()
Limit = Annotated[int, Query(ge=1, le=100)]


# Employers


@router.post("/employers", status_code=status.HTTP_201_CREATED, response_model=EmployerRead, tags=["employers"])
def register_employer(
    data: EmployerCreate, principal: AdviserOrEmployer, session: SessionDep, clock: ClockDep
) -> EmployerRead:
    return employers.register_employer(session=session, data=data, principal=principal, now=clock.now())


@router.get("/employers", response_model=EmployerPage, tags=["employers"])
def list_employers(
    _principal: AdviserOnly,
    session: SessionDep,
    sector: Sector | None = None,
    q: Annotated[Text | None, Query(max_length=100)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> EmployerPage:
    return employers.list_employers(session=session, sector=sector, text=q, limit=limit, offset=offset)


@router.get("/employers/{employer_id}", response_model=EmployerRead, tags=["employers"])
def get_employer(employer_id: uuid.UUID, principal: EmployerReader, session: SessionDep) -> EmployerRead:
    return employers.get_employer(session=session, employer_id=employer_id, principal=principal)


@router.patch("/employers/{employer_id}", response_model=EmployerRead, tags=["employers"])
def update_employer(
    employer_id: uuid.UUID, data: EmployerUpdate, principal: AdviserOrEmployer, session: SessionDep, clock: ClockDep
) -> EmployerRead:
    return employers.update_employer(
        session=session, employer_id=employer_id, data=data, principal=principal, now=clock.now()
    )


@router.get("/employers/{employer_id}/opportunities", response_model=OpportunityPage, tags=["employers"])
def list_employer_opportunities(
    employer_id: uuid.UUID,
    principal: AdviserOrEmployer,
    session: SessionDep,
    status_: Annotated[OpportunityStatus | None, Query(alias="status")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> OpportunityPage:
    return browse.list_employer_opportunities(
        session=session, employer_id=employer_id, principal=principal, status=status_, limit=limit, offset=offset
    )


# Opportunities


@router.post(
    "/opportunities", status_code=status.HTTP_201_CREATED, response_model=OpportunityRead, tags=["opportunities"]
)
def create_opportunity(
    data: OpportunityCreate, principal: AdviserOrEmployer, session: SessionDep, clock: ClockDep
) -> OpportunityRead:
    return lifecycle.create_opportunity(session=session, data=data, principal=principal, now=clock.now())


@router.get("/opportunities", response_model=BrowsePage, tags=["opportunities"])
def browse_opportunities(
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    semantic: SemanticDep,
    q: Annotated[
        Text | None,
        Query(
            max_length=100,
            description="search words (stemmed; \"a phrase\", `or`, -word), matched in title, skills or "
            "description and fused with the matcher's meaning-based search",
        ),
    ] = None,
    type_: Annotated[OpportunityType | None, Query(alias="type")] = None,
    sector: Sector | None = None,
    level: Annotated[int | None, Query(ge=1, le=8)] = None,
    near: Annotated[LocatedPostcode | None, Query(description="a postcode; adds distance_km")] = None,
    radius_km: Annotated[float, Query(gt=0, le=200)] = 10.0,
    sort: Annotated[
        BrowseSort | None, Query(description="default: relevance with `q`, else distance with `near`, else newest")
    ] = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> BrowsePage:
    query = BrowseQuery(
        q=q,
        type=type_,
        sector=sector,
        level=level,
        near=near,
        radius_km=radius_km,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    return browse.browse_opportunities(
        session=session, today=clock.today(), query=query, semantic=semantic, settings=settings
    )


@router.get("/opportunities/{opportunity_id}", response_model=OpportunityRead, tags=["opportunities"])
def get_opportunity(opportunity_id: uuid.UUID, principal: MaybePrincipal, session: SessionDep) -> OpportunityRead:
    return lifecycle.get_opportunity(session=session, opportunity_id=opportunity_id, principal=principal)


@router.patch("/opportunities/{opportunity_id}", response_model=OpportunityRead, tags=["opportunities"])
def update_opportunity(
    opportunity_id: uuid.UUID,
    data: OpportunityUpdate,
    principal: AdviserOrEmployer,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    rates: WageTableDep,
) -> OpportunityRead:
    return lifecycle.update_opportunity(
        session=session, opportunity_id=opportunity_id, data=data, principal=principal, now=clock.now(),
        settings=settings, rates=rates,
    )


@router.post("/opportunities/{opportunity_id}/publish", response_model=OpportunityRead, tags=["opportunities"])
def publish_opportunity(
    opportunity_id: uuid.UUID,
    principal: AdviserOrEmployer,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    rates: WageTableDep,
) -> OpportunityRead:
    return lifecycle.publish_opportunity(
        session=session, opportunity_id=opportunity_id, principal=principal, settings=settings, now=clock.now(),
        rates=rates,
    )


@router.post("/opportunities/{opportunity_id}/close", response_model=OpportunityRead, tags=["opportunities"])
def close_opportunity(
    opportunity_id: uuid.UUID, data: CloseRequest, principal: AdviserOrEmployer, session: SessionDep, clock: ClockDep
) -> OpportunityRead:
    return lifecycle.close_opportunity(
        session=session, opportunity_id=opportunity_id, reason=data.reason, principal=principal, now=clock.now()
    )


@router.get("/opportunities/{opportunity_id}/referrals", response_model=ReferralPage, tags=["referrals"])
def list_opportunity_referrals(
    opportunity_id: uuid.UUID,
    principal: AdviserOrEmployer,
    session: SessionDep,
    directory: DirectoryDep,
    clock: ClockDep,
    limit: Limit = 100,
    offset: Offset = 0,
) -> ReferralPage:
    return referrals.list_opportunity_referrals(
        session=session,
        opportunity_id=opportunity_id,
        principal=principal,
        directory=directory,
        now=clock.now(),
        limit=limit,
        offset=offset,
    )


@router.post(
    "/opportunities/{opportunity_id}/interest",
    status_code=status.HTTP_201_CREATED,
    response_model=InterestRead,
    tags=["interests"],
    responses={200: {"description": "already interested: the earlier interest", "model": InterestRead}},
)
def express_interest(
    opportunity_id: uuid.UUID,
    principal: YoungPersonOnly,
    session: SessionDep,
    directory: DirectoryDep,
    clock: ClockDep,
    response: Response,
    data: InterestCreate | None = None,
) -> InterestRead:
    interest, created = interests.express_interest(
        session=session,
        opportunity_id=opportunity_id,
        data=data or InterestCreate(),
        principal=principal,
        directory=directory,
        now=clock.now(),
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return interest


@router.get("/interests", response_model=InterestPage, tags=["interests"])
def list_interests(
    principal: AdviserOrPerson,
    session: SessionDep,
    profile_id: uuid.UUID | None = None,
    adviser_id: Annotated[Text | None, Query(max_length=64)] = None,
    opportunity_id: uuid.UUID | None = None,
    open_only: Annotated[bool, Query(description="only those not yet turned into a referral")] = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> InterestPage:
    return interests.list_interests(
        session=session,
        principal=principal,
        profile_id=profile_id,
        adviser_id=adviser_id,
        opportunity_id=opportunity_id,
        open_only=open_only,
        limit=limit,
        offset=offset,
    )


# Referrals


@router.post("/referrals", status_code=status.HTTP_201_CREATED, response_model=ReferralRead, tags=["referrals"])
def create_referral(
    data: ReferralCreate,
    principal: AdviserOnly,
    session: SessionDep,
    directory: DirectoryDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> ReferralRead:
    return referrals.create_referral(
        session=session, data=data, principal=principal, directory=directory, now=clock.now(),
        top=settings.top_suggestions,
    )


@router.get("/referrals", response_model=ReferralPage, tags=["referrals"])
def list_referrals(
    principal: ReferralReader,
    session: SessionDep,
    directory: DirectoryDep,
    clock: ClockDep,
    profile_id: uuid.UUID | None = None,
    opportunity_id: uuid.UUID | None = None,
    status_: Annotated[ReferralStatus | None, Query(alias="status")] = None,
    adviser_id: Annotated[Text | None, Query(max_length=64)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> ReferralPage:
    return referrals.list_referrals(
        session=session,
        principal=principal,
        directory=directory,
        now=clock.now(),
        profile_id=profile_id,
        opportunity_id=opportunity_id,
        status=status_,
        adviser_id=adviser_id,
        limit=limit,
        offset=offset,
    )


@router.get("/referrals/{referral_id}", response_model=ReferralRead, tags=["referrals"])
def get_referral(
    referral_id: uuid.UUID, principal: ReferralReader, session: SessionDep, directory: DirectoryDep, clock: ClockDep
) -> ReferralRead:
    return referrals.get_referral(
        session=session, referral_id=referral_id, principal=principal, directory=directory, now=clock.now()
    )


@router.patch("/referrals/{referral_id}", response_model=ReferralRead, tags=["referrals"])
def change_referral_status(
    referral_id: uuid.UUID,
    data: ReferralUpdate,
    principal: AdviserOrEmployer,
    session: SessionDep,
    directory: DirectoryDep,
    clock: ClockDep,
) -> ReferralRead:
    return referrals.change_referral_status(
        session=session, referral_id=referral_id, data=data, principal=principal, directory=directory, now=clock.now()
    )


# Oversight: advisers' reasons for going against the matcher's suggestions


@router.post(
    "/profiles/{profile_id}/dismissals",
    status_code=status.HTTP_201_CREATED,
    response_model=DismissalRead,
    tags=["oversight"],
    responses={200: {"description": "already dismissed: the earlier dismissal", "model": DismissalRead}},
)
def dismiss_suggestion(
    profile_id: uuid.UUID,
    data: DismissalCreate,
    principal: AdviserOnly,
    session: SessionDep,
    directory: DirectoryDep,
    clock: ClockDep,
    settings: SettingsDep,
    response: Response,
) -> DismissalRead:
    """Dismiss a suggestion for a young person, with a reason: it is not suggested to them again."""
    dismissal, created = oversight.dismiss_suggestion(
        session=session, profile_id=profile_id, data=data, adviser_id=principal.sub, directory=directory,
        top=settings.top_suggestions, now=clock.now(),
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return dismissal


@router.get("/dismissals", response_model=DismissalPage, tags=["oversight"])
def list_dismissals(
    _principal: AdviserOnly,
    session: SessionDep,
    profile_id: uuid.UUID | None = None,
    adviser_id: Annotated[Text | None, Query(max_length=64)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> DismissalPage:
    return oversight.list_dismissals(session=session, profile_id=profile_id, adviser_id=adviser_id, limit=limit,
                                     offset=offset)
