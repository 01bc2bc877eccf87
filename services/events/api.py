from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from services.common.auth import Role
from services.common.errors import Forbidden
from services.common.types import Moment, Offset, Text
from services.events import audit, extract, guarantee, oversight, returns, stats
from services.events.dependencies import (
    AdviserOnly,
    ClockDep,
    ClockListReader,
    ExposureDep,
    PersonOrAdviser,
    Reader,
    ReturnsRulesDep,
    RulesDep,
    SessionDep,
)
from services.events.schemas import (
    EventPage,
    ExposureRead,
    GuaranteePage,
    GuaranteeStatus,
    GuaranteeSummary,
    HeadlineRead,
    IndicatorsRead,
    OversightSummary,
    PersonClock,
    PriorityGroup,
    SeptemberGuaranteeRead,
    StatsQuery,
    StatsRead,
    ViewPage,
)
from services.messaging.contract import EventType

router = APIRouter()
AdviserId = Annotated[Text | None, Query(min_length=1, max_length=64)]
AsAt = Annotated[dt.date | None, Query(description="the day the figures are as at (default today; not in the future)")]
CaseloadOf = Annotated[Text | None, Query(min_length=1, max_length=64, description="one adviser's caseload")]
Winter = Annotated[int | None, Query(ge=2000, le=2100, description="the year of the December (default: the newest "
                                                                   "winter whose December has ended by as_at)")]
Since = Annotated[dt.date | None, Query(description="the first day of the period of exits (default: a year before "
                                                    "as_at)")]
Year = Annotated[int | None, Query(ge=2000, le=2100, description="the year of the September (default: as_at's "
                                                                 "academic year)")]
CSV = "text/csv; charset=utf-8"


def _as_at(as_at: dt.date | None, clock: ClockDep) -> dt.date:
    today = clock.now().date()
    returns.check_as_at(as_at or today, today)
    return as_at or today


def _csv(content: str, filename: str) -> Response:
    return Response(content, media_type=CSV, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


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


def _headline(_principal: AdviserOnly, session: SessionDep, clock: ClockDep, rules: ReturnsRulesDep,
              as_at: AsAt = None, winter: Winter = None, adviser_id: CaseloadOf = None) -> HeadlineRead:
    return returns.headline(session=session, as_at=_as_at(as_at, clock), winter=winter, adviser=adviser_id,
                            rules=rules)


def _indicators(_principal: AdviserOnly, session: SessionDep, clock: ClockDep, rules: ReturnsRulesDep,
                as_at: AsAt = None, since: Since = None, adviser_id: CaseloadOf = None) -> IndicatorsRead:
    return returns.indicators(session=session, as_at=_as_at(as_at, clock), since=since, adviser=adviser_id,
                              rules=rules)


def _september_guarantee(_principal: AdviserOnly, session: SessionDep, clock: ClockDep, rules: ReturnsRulesDep,
                         as_at: AsAt = None, year: Year = None,
                         adviser_id: CaseloadOf = None) -> SeptemberGuaranteeRead:
    return returns.september_guarantee(session=session, as_at=_as_at(as_at, clock), year=year, adviser=adviser_id,
                                       rules=rules)


# Each return once, for its JSON and its CSV route (advisers only: the principal is checked before any figure).
Headline = Annotated[HeadlineRead, Depends(_headline)]
Indicators = Annotated[IndicatorsRead, Depends(_indicators)]
SeptemberGuarantee = Annotated[SeptemberGuaranteeRead, Depends(_september_guarantee)]


@router.get("/returns/headline", response_model=HeadlineRead, tags=["returns"])
def returns_headline(read: Headline) -> HeadlineRead:
    """NEET and not known among 16-17 year olds known to the hub, each month end of a winter and averaged, overall
    and by priority group, for the town or one adviser's caseload."""
    return read


@router.get("/returns/headline.csv", response_class=Response, tags=["returns"])
def returns_headline_csv(read: Headline) -> Response:
    return _csv(extract.headline_csv(read), f"headline-{read.winter}.csv")


@router.get("/returns/indicators", response_model=IndicatorsRead, tags=["returns"])
def returns_indicators(read: Indicators) -> IndicatorsRead:
    """The Youth Guarantee indicators: coverage, waiting beyond the deadline, exits by type and destination, timely
    and positive exits, and exiters' situation 6, 12 and 18 months on."""
    return read


@router.get("/returns/indicators.csv", response_class=Response, tags=["returns"])
def returns_indicators_csv(read: Indicators) -> Response:
    return _csv(extract.indicators_csv(read), f"indicators-{read.as_at.isoformat()}.csv")


@router.get("/returns/september-guarantee", response_model=SeptemberGuaranteeRead, tags=["returns"])
def returns_september_guarantee(read: SeptemberGuarantee) -> SeptemberGuaranteeRead:
    """The September Guarantee table of a year: the Year 11 and Year 12 cohorts and their offers."""
    return read


@router.get("/returns/september-guarantee.csv", response_class=Response, tags=["returns"])
def returns_september_guarantee_csv(read: SeptemberGuarantee) -> Response:
    return _csv(extract.september_guarantee_csv(read), f"september-guarantee-{read.year}.csv")


@router.get("/returns/extract.csv", response_class=Response, tags=["returns"])
def returns_extract(
    principal: AdviserOnly, session: SessionDep, clock: ClockDep, rules: ReturnsRulesDep, as_at: AsAt = None,
    month: Annotated[str | None, Query(pattern=r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$",
                                       description="YYYY-MM (default: the newest month ended by as_at)")] = None,
    adviser_id: CaseloadOf = None,
) -> Response:
    """The monthly activity extract for the DfE return (NCCIS-like columns, docs/nccis-extract.md): one row per person
    known to the hub at the month end. It carries special category activity codes: each download is recorded."""
    day = _as_at(as_at, clock)
    chosen = month or extract.previous_month(day)
    content = extract.activity_extract(session=session, month=chosen, as_at=day, adviser=adviser_id,
                                       currency=rules.currency, downloaded_by=principal.sub, now=clock.now())
    return _csv(content, f"activity-extract-{chosen}.csv")
