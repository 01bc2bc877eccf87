from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from services.common.auth import Role
from services.common.errors import Forbidden
from services.common.types import Moment, Offset, Text
from services.events import audit, guarantee, oversight, stats
from services.events.dependencies import (
    AdviserOnly,
    ClockDep,
    ClockListReader,
    ExposureDep,
    PersonOrAdviser,
    Reader,
    RulesDep,
    SessionDep,
)
from services.events.schemas import (
    EventPage,
    ExposureRead,
    GuaranteePage,
    GuaranteeStatus,
    GuaranteeSummary,
    OversightSummary,
    PersonClock,
    PriorityGroup,
    StatsQuery,
    StatsRead,
    ViewPage,
)
from services.messaging.contract import EventType

router = APIRouter()
AdviserId = Annotated[Text | None, Query(min_length=1, max_length=64)]


@router.get("/events", response_model=EventPage, tags=["audit"])
def list_events(
    _principal: Reader,
    session: SessionDep,
    aggregate_id: Annotated[Text | None, Query(min_length=1, max_length=64)] = None,
    profile_id: Annotated[uuid.UUID | None, Query(description="events about this young person")] = None,
    event_type: EventType | None = None,
    since: Annotated[Moment | None, Query(description="occurred at or after (ISO 8601; UTC if no zone)")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    order: Literal["asc", "desc"] = "desc",
) -> EventPage:
    return audit.list_events(session=session, aggregate_id=aggregate_id, profile_id=profile_id,
                             event_type=event_type, since=since, limit=limit, order=order)


@router.get("/people/{profile_id}/views", response_model=ViewPage, tags=["audit"])
def views_of(
    profile_id: uuid.UUID,
    principal: PersonOrAdviser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ViewPage:
    """Who has looked at the person's record: for the young person themself and advisers."""
    if principal.is_(Role.YOUNG_PERSON) and principal.sub != str(profile_id):
        raise Forbidden("a young person may only see who has looked at their own record")
    return audit.views_of(session=session, profile_id=profile_id, limit=limit)


@router.get("/guarantee", response_model=GuaranteePage, tags=["guarantee"])
def list_guarantee(
    principal: ClockListReader,
    session: SessionDep,
    clock: ClockDep,
    rules: RulesDep,
    status_: Annotated[GuaranteeStatus | None, Query(alias="status")] = None,
    adviser: AdviserId = None,
    priority_group: PriorityGroup | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> GuaranteePage:
    """People's clocks, most urgent first. A service (the notifications digest) gets no priority groups and may not
    filter by one: SEND is special category data, for advisers only."""
    service = principal.is_(Role.SERVICE)
    if service and priority_group is not None:
        raise Forbidden("a service may not filter by priority group: special category data is for advisers only")
    page = guarantee.list_guarantee(session=session, now=clock.now(), rules=rules, status=status_,
                                    adviser=adviser, priority_group=priority_group, limit=limit, offset=offset)
    if service:
        page.items = [row.model_copy(update={"priority_groups": []}) for row in page.items]
    return page


@router.get("/guarantee/summary", response_model=GuaranteeSummary, tags=["guarantee"])
def guarantee_summary(
    _principal: Reader, session: SessionDep, clock: ClockDep, rules: RulesDep, adviser: AdviserId = None
) -> GuaranteeSummary:
    return guarantee.summary(session=session, now=clock.now(), rules=rules, adviser=adviser)


@router.get("/guarantee/{profile_id}", response_model=PersonClock, tags=["guarantee"])
def person_clock(
    profile_id: uuid.UUID, _principal: Reader, session: SessionDep, clock: ClockDep, rules: RulesDep
) -> PersonClock:
    return guarantee.person_clock(session=session, profile_id=profile_id, now=clock.now(), rules=rules)


@router.get("/stats", response_model=StatsRead, tags=["stats"])
def outcome_stats(
    _principal: Reader, session: SessionDep, clock: ClockDep, rules: RulesDep, query: Annotated[StatsQuery, Query()]
) -> StatsRead:
    return stats.outcome_stats(session=session, now=clock.now(), month=query.month,
                               threshold=rules.suppression_threshold)


@router.get("/exposure", response_model=ExposureRead, tags=["stats"])
def exposure(_principal: AdviserOnly, audit: ExposureDep) -> ExposureRead:
    """Each priority group's share of the exposure in the candidate lists advisers see against its share of the
    eligible candidates, overall and per opportunity type, small figures hidden (recomputed when older than
    EVENTS_EXPOSURE_MAX_AGE_SECONDS; 503 while the matcher has never answered)."""
    return audit.current()


@router.get("/oversight/summary", response_model=OversightSummary, tags=["audit"])
def oversight_summary(
    _principal: Reader,
    session: SessionDep,
    rules: RulesDep,
    adviser: AdviserId = None,
    since: Annotated[Moment | None, Query(description="decisions and lists at or after (ISO 8601; UTC if no zone)")]
    = None,
) -> OversightSummary:
    """Suggestion lists shown, and advisers' decisions against them with their reasons: the town's, or one
    adviser's."""
    return oversight.summary(session=session, threshold=rules.suppression_threshold, adviser=adviser, since=since)
