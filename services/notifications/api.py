from __future__ import annotations

import html
import uuid
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import HTMLResponse, JSONResponse

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


@router.get("/unsubscribe", response_class=HTMLResponse, tags=["unsubscribe"])
def confirm_unsubscribe(token: Token, session: SessionDep) -> HTMLResponse:
    """The page an email's link opens: it says what would stop and asks; opening it changes nothing, so a mail
    scanner that follows links unsubscribes nobody."""
    what = html.escape(subscriptions.what_stops(session=session, token=token).unsubscribed)
    return HTMLResponse(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Stop these emails?</title>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'></head>"
        "<body style='font-family: sans-serif; max-width: 36rem; margin: 3rem auto; padding: 0 1rem'>"
        f"<h1>Stop these emails?</h1><p>This stops {what} from the Youth Employment hub.</p>"
        f"<form method='post' action='?token={quote(token)}'><button type='submit' style='font-size: 1.1rem; "
        "padding: 0.5rem 1rem'>Stop these emails</button></form></body></html>"
    )


@router.post("/unsubscribe", response_model=Unsubscribed, tags=["unsubscribe"])
def unsubscribe(token: Token, session: SessionDep, clock: ClockDep, request: Request) -> Response:
    """No sign-in: the link itself is the secret. The page's button, or a mail client's RFC 8058 one-click POST."""
    done = subscriptions.unsubscribe(session=session, token=token, now=clock.now())
    if "text/html" in request.headers.get("accept", ""):
        return HTMLResponse(
            "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Stopped</title></head>"
            "<body style='font-family: sans-serif; max-width: 36rem; margin: 3rem auto; padding: 0 1rem'>"
            f"<h1>Done</h1><p>We have stopped {html.escape(done.unsubscribed)}.</p></body></html>"
        )
    return JSONResponse(done.model_dump())


@router.get("/employer-responses", response_model=EmployerResponsePage, tags=["employers"])
def employer_responses(_principal: AdviserOnly, session: SessionDep,
                       employer_id: uuid.UUID | None = None) -> EmployerResponsePage:
    """Advisers: how each employer answers referrals (response rate, median days to the first answer)."""
    return responses.employer_responses(session=session, employer_id=employer_id)
