"""Lists of opportunities: the public browse of live ones (text, filters, distance, sorting) and an employer's own."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from typing import Any

from fastapi import HTTPException
from sqlalchemy import Select, String, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from services.common.auth import Principal
from services.common.errors import RuleViolation
from services.common.postcodes import distance_km, locate
from services.opportunities.access import load_employer
from services.opportunities.lifecycle import opportunity_read
from services.opportunities.models import Employer, Opportunity
from services.opportunities.schemas import BrowseQuery, OpportunityPage

KM_PER_DEGREE_LATITUDE = 110.574


class QueryRuleViolation(RuleViolation):
    """A rule on a query parameter: the 422 names it under `query`."""

    def to_http(self) -> HTTPException:
        return HTTPException(
            self.status_code, detail=[{"loc": ["query", self.field], "msg": self.message, "type": self.rule}]
        )


def _text_filter(text: str) -> Any:
    clauses = []
    for word in text.lower().split():
        pattern = f"%{word}%"
        clauses.append(
            or_(
                func.lower(Opportunity.title).like(pattern),
                func.lower(Opportunity.description).like(pattern),
                func.lower(cast(Opportunity.skills, String)).like(pattern),
            )
        )
    return and_(*clauses)


_SORT_COLUMNS = {
    "wage": (Opportunity.wage_pence_per_hour.desc(), Opportunity.closing_date),
    "closing_date": (Opportunity.closing_date, Opportunity.wage_pence_per_hour.desc()),
    "newest": (Opportunity.published_at.desc(),),
}


def browse_opportunities(*, session: Session, today: dt.date, query: BrowseQuery) -> OpportunityPage:
    """Live opportunities still open for applications, filtered, sorted and paged; distances when `near` is given."""
    sort = query.sort or ("distance" if query.near else "newest")
    if sort == "distance" and not query.near:
        raise QueryRuleViolation("sort", "distance_needs_near", "sort=distance needs a `near` postcode")
    statement = (
        select(Opportunity, Employer)
        .join(Employer, Employer.id == Opportunity.employer_id)
        .where(Opportunity.status == "live", Opportunity.closing_date >= today, Opportunity.held_back_reason.is_(None))
    )
    if query.q and query.q.strip():
        statement = statement.where(_text_filter(query.q))
    if query.type:
        statement = statement.where(Opportunity.type == query.type)
    if query.sector:
        statement = statement.where(Opportunity.sector == query.sector)
    if query.level is not None:
        statement = statement.where(Opportunity.level == query.level)
    if not query.near:
        total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
        rows = session.execute(
            statement.order_by(*_SORT_COLUMNS[sort], Opportunity.id).limit(query.limit).offset(query.offset)
        ).all()
        items = [opportunity_read(opportunity, employer) for opportunity, employer in rows]
        return OpportunityPage(items=items, total=total, limit=query.limit, offset=query.offset)
    return _browse_near(session, statement, query, sort)


def _browse_near(session: Session, statement: Select[Any], query: BrowseQuery, sort: str) -> OpportunityPage:
    """Distance filtering and sorting in Python over the rows inside a bounding box (plus remote ones)."""
    origin = locate(query.near or "")
    if origin is None:
        raise QueryRuleViolation("near", "postcode_not_located", "`near` must be a postcode we can place on the map")
    lat_margin = query.radius_km / KM_PER_DEGREE_LATITUDE
    lon_margin = query.radius_km / (111.320 * max(math.cos(math.radians(origin.latitude)), 0.01))
    in_box = and_(
        Opportunity.latitude.between(origin.latitude - lat_margin, origin.latitude + lat_margin),
        Opportunity.longitude.between(origin.longitude - lon_margin, origin.longitude + lon_margin),
    )
    found: list[tuple[float, Opportunity, Employer]] = []
    for opportunity, employer in session.execute(statement.where(or_(in_box, Opportunity.remote))).all():
        distance = distance_km(origin.latitude, origin.longitude, opportunity.latitude, opportunity.longitude)
        if distance <= query.radius_km or opportunity.remote:
            found.append((distance, opportunity, employer))
    found.sort(key=_near_sort_key(sort))
    page = found[query.offset : query.offset + query.limit]
    return OpportunityPage(
        items=[opportunity_read(opportunity, employer, distance) for distance, opportunity, employer in page],
        total=len(found),
        limit=query.limit,
        offset=query.offset,
    )


def _near_sort_key(sort: str) -> Any:
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)

    def key(item: tuple[float, Opportunity, Employer]) -> tuple[Any, ...]:
        distance, opportunity, _ = item
        if sort == "wage":
            return (-opportunity.wage_pence_per_hour, distance, str(opportunity.id))
        if sort == "closing_date":
            return (opportunity.closing_date, distance, str(opportunity.id))
        if sort == "newest":
            published = opportunity.published_at or epoch
            return (-(published - epoch).total_seconds(), distance, str(opportunity.id))
        return (distance, str(opportunity.id))

    return key


def list_employer_opportunities(
    *,
    session: Session,
    employer_id: uuid.UUID,
    principal: Principal,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> OpportunityPage:
    """All of one employer's opportunities, drafts included, for that employer or an adviser."""
    employer = load_employer(session, employer_id, principal)
    query: Select[tuple[Opportunity]] = select(Opportunity).where(Opportunity.employer_id == employer_id)
    if status:
        query = query.where(Opportunity.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Opportunity.created_at.desc(), Opportunity.id).limit(limit).offset(offset)
    ).all()
    return OpportunityPage(
        items=[opportunity_read(row, employer) for row in rows], total=total, limit=limit, offset=offset
    )
