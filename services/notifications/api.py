from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from services.common.types import Offset
from services.notifications import responses, subscriptions
from services.notifications.dependencies import AdviserOnly, ClockDep, Person, SessionDep, SettingsDep
from services.notifications.schemas import (
    EmployerResponsePage,
    MessagePage,
    PreferencesRead,
    PreferencesUpdate,
    SavedSearchCreate,
    SavedSearchPage,
    SavedSearchRead,
    Unsubscribed,
)

router = APIRouter()
Token = Annotated[str, Query(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


@router.get("/preferences", response_model=PreferencesRead, tags=["preferences"])
def get_preferences(principal: Person, session: SessionDep, clock: ClockDep,
                    settings: SettingsDep) -> PreferencesRead:
    return subscriptions.get_preferences(session=session, principal=principal, now=clock.now(),
                                         under_age=settings.weekly_digest_under_age)


@router.patch("/preferences", response_model=PreferencesRead, tags=["preferences"])
def update_preferences(data: PreferencesUpdate, principal: Person, session: SessionDep, clock: ClockDep,
                       settings: SettingsDep) -> PreferencesRead:
    return subscriptions.update_preferences(session=session, principal=principal, data=data, now=clock.now(),
                                            under_age=settings.weekly_digest_under_age)


@router.post("/searches", status_code=status.HTTP_201_CREATED, response_model=SavedSearchRead, tags=["searches"])
def create_search(data: SavedSearchCreate, principal: Person, session: SessionDep, clock: ClockDep,
                  settings: SettingsDep) -> SavedSearchRead:
    return subscriptions.create_search(session=session, principal=principal, data=data, now=clock.now(),
                                       under_age=settings.weekly_digest_under_age)


@router.get("/searches", response_model=SavedSearchPage, tags=["searches"])
def list_searches(principal: Person, session: SessionDep) -> SavedSearchPage:
    return subscriptions.list_searches(session=session, principal=principal)


@router.delete("/searches/{search_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["searches"])
def delete_search(search_id: uuid.UUID, principal: Person, session: SessionDep) -> Response:
    subscriptions.delete_search(session=session, principal=principal, search_id=search_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/messages", response_model=MessagePage, tags=["messages"])
def list_messages(principal: Person, session: SessionDep, offset: Offset = 0,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50) -> MessagePage:
    """What was sent to the signed-in person (subjects, not bodies), and what was held back and why."""
    return subscriptions.list_messages(session=session, principal=principal, limit=limit, offset=offset)


@router.get("/unsubscribe", response_model=Unsubscribed, tags=["unsubscribe"])
@router.post("/unsubscribe", response_model=Unsubscribed, tags=["unsubscribe"])
def unsubscribe(token: Token, session: SessionDep, clock: ClockDep) -> Unsubscribed:
    """One click from an email, no sign-in: the link itself is the secret (RFC 8058 one-click POST too)."""
    return subscriptions.unsubscribe(session=session, token=token, now=clock.now())


@router.get("/employer-responses", response_model=EmployerResponsePage, tags=["employers"])
def employer_responses(_principal: AdviserOnly, session: SessionDep,
                       employer_id: uuid.UUID | None = None) -> EmployerResponsePage:
    """Advisers: how each employer answers referrals (response rate, median days to the first answer)."""
    return responses.employer_responses(session=session, employer_id=employer_id)
