"""Lists of opportunities: the public browse of live ones (search words, filters, distance, sorting) and an
employer's own."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from services.common.auth import Principal
from services.common.errors import RuleViolation
from services.common.postcodes import distance_km, locate
from services.opportunities.access import load_employer
from services.opportunities.config import OpportunitiesSettings
from services.opportunities.lifecycle import opportunity_read
from services.opportunities.models import Employer, Opportunity
from services.opportunities.schemas import (
    BrowsePage,
    BrowseQuery,
    OpportunityPage,
    OpportunityRead,
    SearchInfo,
    WiderArea,
)
from services.opportunities.search import by_score, fuse, ranked_text_matches, text_condition
from services.opportunities.semantic import SemanticHit, SemanticQuery, SemanticSearch

KM_PER_DEGREE_LATITUDE = 110.574


_SORT_COLUMNS = {
    "wage": (Opportunity.wage_pence_per_hour.desc(), Opportunity.closing_date),
    "closing_date": (Opportunity.closing_date, Opportunity.wage_pence_per_hour.desc()),
    "newest": (Opportunity.published_at.desc(),),
}
# How many full-text matches are ranked for fusion (at least one page more than asked for).
TEXT_POOL = 300
# Wider areas offered, in km, when nothing is found near a postcode.
WIDER_STEPS_KM = (5.0, 10.0, 20.0, 50.0, 100.0)
WIDER_OFFERED = 3
RELATED_SHOWN = 5


def _with_employers() -> Select[Any]:
    return select(Opportunity, Employer).join(Employer, Employer.id == Opportunity.employer_id)


def _listing(query: BrowseQuery, today: dt.date) -> Select[Any]:
    """Live opportunities still open for applications and offered to young people, with the query's filters."""
    statement = _with_employers().where(
        Opportunity.status == "live", Opportunity.closing_date >= today, Opportunity.held_back_reason.is_(None)
    )
    if query.type:
        statement = statement.where(Opportunity.type == query.type)
    if query.sector:
        statement = statement.where(Opportunity.sector == query.sector)
    if query.level is not None:
        statement = statement.where(Opportunity.level == query.level)
    return statement


def browse_opportunities(
    *,
    session: Session,
    today: dt.date,
    query: BrowseQuery,
    semantic: SemanticSearch | None = None,
    settings: OpportunitiesSettings | None = None,
) -> BrowsePage:
    """Live opportunities still open for applications, filtered, sorted and paged; distances when `near` is given.
    With search words: full-text matches fused with the matcher's semantic ones, best first unless another order is
    asked for; when nothing is found, wider areas and related results."""
    text = (query.q or "").strip()
    sort = query.sort or ("relevance" if text else "distance" if query.near else "newest")
    if sort == "distance" and not query.near:
        raise RuleViolation("sort", "distance_needs_near", "sort=distance needs a `near` postcode", location="query")
    if sort == "relevance" and not text:
        raise RuleViolation("sort", "relevance_needs_q", "sort=relevance needs search words in `q`", location="query")
    statement = _listing(query, today)
    if not text:
        return _listed(session, statement, query, sort, {})
    settings = settings or OpportunitiesSettings()
    hits = _semantic_hits(semantic, query, text, settings, near=query.near)
    strong = _admitted(session, statement, [hit.opportunity_id for hit in hits or [] if _strong(hit, settings)])
    matched = or_(text_condition(session, text), Opportunity.id.in_(strong))
    ranked = ranked_text_matches(session, statement, text, limit=max(TEXT_POOL, query.offset + query.limit))
    page = _listed(session, statement.where(matched), query, sort, fuse(ranked, strong))
    used = "off" if semantic is None else "unavailable" if hits is None else "used"
    page.search = SearchInfo(order=sort, semantic=used)
    if page.total == 0:
        weak = [
            hit.opportunity_id
            for hit in hits or []
            if not _strong(hit, settings) and hit.similarity >= settings.semantic_related_min_similarity
        ]
        weak = _admitted(session, statement, weak)
        page.related = _related(session, weak[:RELATED_SHOWN], query.near)
        if query.near:
            page.wider_areas = _wider_areas(session, statement, query, text, semantic, settings)
    return page


def _strong(hit: SemanticHit, settings: OpportunitiesSettings) -> bool:
    return hit.similarity >= settings.semantic_min_similarity


def _semantic_hits(
    semantic: SemanticSearch | None, query: BrowseQuery, text: str, settings: OpportunitiesSettings, *, near: str | None
) -> list[SemanticHit] | None:
    if semantic is None:
        return None
    asked = SemanticQuery(text=text, type=query.type, sector=query.sector, near=near,
                          radius_km=query.radius_km if near else None)
    hits = semantic.search(asked, k=settings.semantic_pool)
    # Ranked by meaning alone (the matcher's own order also weighs distance and skills, which browse has its own
    # filters and words for).
    return None if hits is None else sorted(hits, key=lambda hit: -hit.similarity)


def _admitted(session: Session, statement: Select[Any], ids: list[uuid.UUID]) -> list[uuid.UUID]:
    """The ids (in their order) that this service's own filters admit: the matcher's view may lag behind."""
    if not ids:
        return []
    known = set(session.scalars(statement.with_only_columns(Opportunity.id).where(Opportunity.id.in_(ids))))
    return [key for key in ids if key in known]


def _listed(
    session: Session, statement: Select[Any], query: BrowseQuery, sort: str, scores: dict[uuid.UUID, float]
) -> BrowsePage:
    """One page of what `statement` selects, in the order asked for (relevance: by fused score)."""
    if query.near:
        return _browse_near(session, statement, query, sort, scores)
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    if sort == "relevance":
        wanted = by_score(scores)[query.offset : query.offset + query.limit]
        loaded = {o.id: (o, e) for o, e in session.execute(statement.where(Opportunity.id.in_(wanted))).all()}
        rows = [loaded[key] for key in wanted if key in loaded]
    else:
        ordered = statement.order_by(*_SORT_COLUMNS[sort], Opportunity.id).limit(query.limit).offset(query.offset)
        rows = [(opportunity, employer) for opportunity, employer in session.execute(ordered).all()]
    items = [opportunity_read(opportunity, employer) for opportunity, employer in rows]
    return BrowsePage(items=items, total=total, limit=query.limit, offset=query.offset)


def _origin(near: str) -> Any:
    origin = locate(near)
    if origin is None:
        raise RuleViolation("near", "postcode_not_located", "`near` must be a postcode we can place on the map",
                            location="query")
    return origin


def _browse_near(
    session: Session, statement: Select[Any], query: BrowseQuery, sort: str, scores: dict[uuid.UUID, float]
) -> BrowsePage:
    """Distance filtering and sorting in Python over the rows inside a bounding box (plus remote ones)."""
    origin = _origin(query.near or "")
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
    found.sort(key=_near_sort_key(sort, scores))
    page = found[query.offset : query.offset + query.limit]
    return BrowsePage(
        items=[opportunity_read(opportunity, employer, distance) for distance, opportunity, employer in page],
        total=len(found),
        limit=query.limit,
        offset=query.offset,
    )


def _near_sort_key(sort: str, scores: dict[uuid.UUID, float]) -> Any:
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)

    def key(item: tuple[float, Opportunity, Employer]) -> tuple[Any, ...]:
        distance, opportunity, _ = item
        if sort == "relevance":
            return (-scores.get(opportunity.id, 0.0), distance, str(opportunity.id))
        if sort == "wage":
            return (-opportunity.wage_pence_per_hour, distance, str(opportunity.id))
        if sort == "closing_date":
            return (opportunity.closing_date, distance, str(opportunity.id))
        if sort == "newest":
            published = opportunity.published_at or epoch
            return (-(published - epoch).total_seconds(), distance, str(opportunity.id))
        return (distance, str(opportunity.id))

    return key


def _wider_areas(
    session: Session,
    statement: Select[Any],
    query: BrowseQuery,
    text: str,
    semantic: SemanticSearch | None,
    settings: OpportunitiesSettings,
) -> list[WiderArea]:
    """How many the same search finds within a few wider circles, and anywhere."""
    origin = _origin(query.near or "")
    hits = _semantic_hits(semantic, query, text, settings, near=None)
    strong = _admitted(session, statement, [hit.opportunity_id for hit in hits or [] if _strong(hit, settings)])
    where = statement.where(or_(text_condition(session, text), Opportunity.id.in_(strong)))
    places = session.execute(
        where.with_only_columns(Opportunity.latitude, Opportunity.longitude, Opportunity.remote)
    ).all()
    distances = [
        0.0 if remote else distance_km(origin.latitude, origin.longitude, latitude, longitude)
        for latitude, longitude, remote in places
    ]
    wider: list[WiderArea] = []
    for step in (step for step in WIDER_STEPS_KM if step > query.radius_km):
        total = sum(1 for distance in distances if distance <= step)
        if total and (not wider or total > wider[-1].total) and len(wider) < WIDER_OFFERED:
            wider.append(WiderArea(radius_km=step, total=total))
    if distances and (not wider or len(distances) > wider[-1].total):
        wider.append(WiderArea(radius_km=None, total=len(distances)))
    return wider


def _related(session: Session, ids: list[uuid.UUID], near: str | None) -> list[OpportunityRead]:
    """Opportunities near in meaning to the words (none of them a match), in the matcher's order."""
    if not ids:
        return []
    rows = {o.id: (o, e) for o, e in session.execute(_with_employers().where(Opportunity.id.in_(ids))).all()}
    origin = locate(near) if near else None
    related = []
    for key in ids:
        opportunity, employer = rows[key]
        distance = (
            None
            if origin is None
            else distance_km(origin.latitude, origin.longitude, opportunity.latitude, opportunity.longitude)
        )
        related.append(opportunity_read(opportunity, employer, distance))
    return related


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
