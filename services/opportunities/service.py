"""Opportunity use cases: each one transaction, committed once, with its outbox rows."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from fastapi import HTTPException
from fastapi import status as http_status
from sqlalchemy import Select, String, and_, cast, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.auth import Principal, Role
from services.common.errors import Conflict, Forbidden, NotFound, RuleViolation
from services.common.postcodes import distance_km, locate, outward_code
from services.events.contract import (
    EmployerSnapshotV1,
    EventType,
    InterestV1,
    OpportunitySnapshotV1,
    PayloadModel,
    ReferralV1,
)
from services.events.outbox import redact_aggregate, stage_event
from services.opportunities.config import OpportunitiesSettings
from services.opportunities.directory import ProfileDirectory
from services.opportunities.models import (
    Employer,
    Interest,
    Opportunity,
    OutboxRecord,
    Referral,
    ReferralStatusChange,
)
from services.opportunities.rules import (
    NEEDS_A_PLACE,
    OPEN_STATUSES,
    check_eligible,
    check_postcode,
    check_publishable,
    check_shape,
    check_transition,
    hourly_pence_from_annual,
    pence,
    raise_all,
)
from services.opportunities.schemas import (
    BrowseQuery,
    CandidateView,
    EmployerCreate,
    EmployerPage,
    EmployerRead,
    EmployerUpdate,
    InterestCreate,
    InterestPage,
    InterestRead,
    OpportunityCreate,
    OpportunityPage,
    OpportunityRead,
    OpportunityUpdate,
    ReferralCreate,
    ReferralPage,
    ReferralRead,
    ReferralUpdate,
    StatusChangeRead,
)

PRODUCER = "opportunities"
KM_PER_DEGREE_LATITUDE = 110.574
EXPIRED_REASON = "expired"
FILLED_REASON = "filled"


class QueryRuleViolation(RuleViolation):
    """A rule on a query parameter: the 422 names it under `query`."""

    def to_http(self) -> HTTPException:
        return HTTPException(
            self.status_code, detail=[{"loc": ["query", self.field], "msg": self.message, "type": self.rule}]
        )


def _emit(
    session: Session,
    event_type: EventType,
    aggregate_id: uuid.UUID,
    version: int,
    payload: PayloadModel,
    at: dt.datetime,
) -> None:
    stage_event(session, OutboxRecord, event_type, producer=PRODUCER, aggregate_id=aggregate_id, version=version,
                payload=payload, at=at)


def _principal_uuid(principal: Principal, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(principal.sub)
    except ValueError as exc:
        raise Forbidden(f"a {principal.role} token must name its {what} id") from exc


def _is_owner(principal: Principal | None, employer_id: uuid.UUID) -> bool:
    return principal is not None and principal.role is Role.EMPLOYER and principal.sub == str(employer_id)


def _is_adviser(principal: Principal | None) -> bool:
    return principal is not None and principal.role is Role.ADVISER


# Employers


def _employer_read(employer: Employer) -> EmployerRead:
    return EmployerRead.model_validate(employer, from_attributes=True)


def _employer_snapshot(employer: Employer) -> EmployerSnapshotV1:
    return EmployerSnapshotV1(
        employer_id=employer.id,
        name=employer.name,
        sector=employer.sector,
        postcode_district=outward_code(employer.postcode),
        disability_confident=employer.disability_confident,
        living_wage_employer=employer.living_wage_employer,
        good_employment_charter=employer.good_employment_charter,
    )


def _load_employer(session: Session, employer_id: uuid.UUID, principal: Principal) -> Employer:
    """An employer record for an adviser, or for that employer itself; others get 404."""
    if principal.role is Role.EMPLOYER and principal.sub != str(employer_id):
        raise NotFound("employer", employer_id)
    employer = session.get(Employer, employer_id)
    if employer is None:
        raise NotFound("employer", employer_id)
    return employer


def register_employer(
    *, session: Session, data: EmployerCreate, principal: Principal, now: dt.datetime
) -> EmployerRead:
    """Register an employer (by an adviser, or the employer itself) and emit employer.registered."""
    if principal.role is Role.EMPLOYER:
        employer_id = _principal_uuid(principal, "employer")
        if session.get(Employer, employer_id) is not None:
            raise Conflict(f"employer {employer_id} is already registered")
    else:
        employer_id = uuid.uuid4()
    employer = Employer(
        id=employer_id,
        registered_by=str(principal.role),
        version=1,
        created_at=now,
        updated_at=now,
        **data.model_dump(),
    )
    session.add(employer)
    session.flush()
    _emit(session, EventType.EMPLOYER_REGISTERED, employer.id, employer.version, _employer_snapshot(employer), now)
    session.commit()
    return _employer_read(employer)


def get_employer(*, session: Session, employer_id: uuid.UUID, principal: Principal) -> EmployerRead:
    """One employer, for an adviser or the employer itself."""
    return _employer_read(_load_employer(session, employer_id, principal))


def update_employer(
    *, session: Session, employer_id: uuid.UUID, data: EmployerUpdate, principal: Principal, now: dt.datetime
) -> EmployerRead:
    """Change the fields sent and emit employer.updated when anything changed."""
    employer = _load_employer(session, employer_id, principal)
    changed = {k: v for k, v in data.model_dump(exclude_unset=True).items() if getattr(employer, k) != v}
    if not changed:
        return _employer_read(employer)
    for key, value in changed.items():
        setattr(employer, key, value)
    employer.version += 1
    employer.updated_at = now
    _emit(session, EventType.EMPLOYER_UPDATED, employer.id, employer.version, _employer_snapshot(employer), now)
    session.commit()
    return _employer_read(employer)


def list_employers(
    *, session: Session, sector: str | None = None, text: str | None = None, limit: int = 50, offset: int = 0
) -> EmployerPage:
    """A page of employers for advisers."""
    query: Select[tuple[Employer]] = select(Employer)
    if sector:
        query = query.where(Employer.sector == sector)
    if text:
        query = query.where(func.lower(Employer.name).like(f"%{text.lower()}%"))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Employer.name, Employer.id).limit(limit).offset(offset)).all()
    return EmployerPage(items=[_employer_read(row) for row in rows], total=total, limit=limit, offset=offset)


# Opportunities


def _opportunity_read(opportunity: Opportunity, employer: Employer, distance: float | None = None) -> OpportunityRead:
    return OpportunityRead(
        **{column: getattr(opportunity, column) for column in _READ_COLUMNS},
        employer_name=employer.name,
        employer_disability_confident=employer.disability_confident,
        employer_living_wage_employer=employer.living_wage_employer,
        employer_good_employment_charter=employer.good_employment_charter,
        wage_per_hour=opportunity.wage_pence_per_hour / 100,
        annual_wage=None if opportunity.annual_wage_pence is None else opportunity.annual_wage_pence / 100,
        distance_km=None if distance is None else round(distance, 2),
    )


_READ_COLUMNS = tuple(
    name
    for name in OpportunityRead.model_fields
    if name in Opportunity.__table__.columns and name not in {"wage_per_hour", "annual_wage"}
)


def _opportunity_snapshot(opportunity: Opportunity) -> OpportunitySnapshotV1:
    return OpportunitySnapshotV1(
        opportunity_id=opportunity.id,
        employer_id=opportunity.employer_id,
        type=opportunity.type,  # type: ignore[arg-type]
        status=opportunity.status,  # type: ignore[arg-type]
        title=opportunity.title,
        description=opportunity.description,
        skills=list(opportunity.skills),
        sector=opportunity.sector,
        level=opportunity.level,
        postcode_district=outward_code(opportunity.postcode),
        latitude=opportunity.latitude,
        longitude=opportunity.longitude,
        remote=opportunity.remote,
        hours_per_week=opportunity.hours_per_week,
        wage_per_hour=opportunity.wage_pence_per_hour / 100,
        duration_months=opportunity.duration_months,
        positions=opportunity.positions,
        positions_filled=opportunity.positions_filled,
        start_date=opportunity.start_date,
        closing_date=opportunity.closing_date,
        min_age=opportunity.min_age,
        max_age=opportunity.max_age,
        requires_universal_credit=opportunity.requires_universal_credit,
        closed_reason=opportunity.closed_reason,
        published_at=opportunity.published_at,
    )


def _emit_opportunity(session: Session, event_type: EventType, opportunity: Opportunity, now: dt.datetime) -> None:
    _emit(session, event_type, opportunity.id, opportunity.version, _opportunity_snapshot(opportunity), now)


def _wage_fields(hourly: Decimal | None, annual: Decimal | None, hours_per_week: float) -> tuple[int, int | None]:
    """(pence per hour, annual pence or None) from exactly one of the two ways to give a wage."""
    if hourly is not None and annual is not None:
        raise RuleViolation("annual_wage", "one_wage_only", "give wage_per_hour or annual_wage, not both")
    if annual is not None:
        return hourly_pence_from_annual(annual, hours_per_week), pence(annual)
    if hourly is None:
        raise RuleViolation("wage_per_hour", "wage_required", "give wage_per_hour or annual_wage")
    return pence(hourly), None


def _employer_for_posting(session: Session, employer_id: uuid.UUID, principal: Principal) -> Employer:
    if principal.role is Role.EMPLOYER and principal.sub != str(employer_id):
        raise Forbidden("an employer may only post its own opportunities")
    employer = session.get(Employer, employer_id)
    if employer is None:
        raise RuleViolation("employer_id", "employer_exists", f"there is no employer {employer_id}")
    return employer


def create_opportunity(
    *, session: Session, data: OpportunityCreate, principal: Principal, now: dt.datetime
) -> OpportunityRead:
    """Save a draft opportunity for an employer (nothing is published yet)."""
    employer = _employer_for_posting(session, data.employer_id, principal)
    latitude, longitude = check_postcode(data.postcode)
    wage_pence, annual_pence = _wage_fields(data.wage_per_hour, data.annual_wage, data.hours_per_week)
    opportunity = Opportunity(
        id=uuid.uuid4(),
        status="draft",
        latitude=latitude,
        longitude=longitude,
        wage_pence_per_hour=wage_pence,
        annual_wage_pence=annual_pence,
        positions_filled=0,
        version=1,
        created_at=now,
        updated_at=now,
        **data.model_dump(exclude={"wage_per_hour", "annual_wage"}),
    )
    raise_all(check_shape(opportunity))
    session.add(opportunity)
    session.commit()
    return _opportunity_read(opportunity, employer)


def _load_opportunity(session: Session, opportunity_id: uuid.UUID, *, lock: bool = False) -> Opportunity:
    opportunity = session.get(Opportunity, opportunity_id, with_for_update=lock or None)
    if opportunity is None:
        raise NotFound("opportunity", opportunity_id)
    return opportunity


def _may_see(opportunity: Opportunity, principal: Principal | None) -> None:
    """Drafts are seen only by advisers and their employer; everything else is public."""
    if opportunity.status == "draft" and not (_is_adviser(principal) or _is_owner(principal, opportunity.employer_id)):
        raise NotFound("opportunity", opportunity.id)


def _may_change(opportunity: Opportunity, principal: Principal) -> None:
    """Advisers and the owning employer change an opportunity; another employer gets 404 (403 if it is public)."""
    if _is_adviser(principal) or _is_owner(principal, opportunity.employer_id):
        return
    _may_see(opportunity, principal)
    raise Forbidden("only the employer who posted this opportunity, or an adviser, may change it")


def _load_for_change(session: Session, opportunity_id: uuid.UUID, principal: Principal) -> Opportunity:
    opportunity = _load_opportunity(session, opportunity_id, lock=True)
    _may_change(opportunity, principal)
    return opportunity


def _employer_of(session: Session, opportunity: Opportunity) -> Employer:
    employer = session.get(Employer, opportunity.employer_id)
    assert employer is not None, "opportunities reference their employer"
    return employer


def get_opportunity(*, session: Session, opportunity_id: uuid.UUID, principal: Principal | None) -> OpportunityRead:
    """One opportunity: public once published; a draft only for its employer and advisers."""
    opportunity = _load_opportunity(session, opportunity_id)
    _may_see(opportunity, principal)
    return _opportunity_read(opportunity, _employer_of(session, opportunity))


def update_opportunity(
    *, session: Session, opportunity_id: uuid.UUID, data: OpportunityUpdate, principal: Principal, now: dt.datetime
) -> OpportunityRead:
    """Edit a draft; once live only extend its closing date (emitting opportunity.updated)."""
    opportunity = _load_for_change(session, opportunity_id, principal)
    changes = data.model_dump(exclude_unset=True)
    if opportunity.status == "live":
        _extend_live(opportunity, changes, today=now.date())
    elif opportunity.status != "draft":
        field = next(iter(changes), "status")
        raise RuleViolation(
            field, "not_editable", f"a {opportunity.status} opportunity cannot change", http_status.HTTP_409_CONFLICT
        )
    else:
        _edit_draft(session, opportunity, changes)
    if not session.is_modified(opportunity):
        return _opportunity_read(opportunity, _employer_of(session, opportunity))
    opportunity.version += 1
    opportunity.updated_at = now
    if opportunity.status == "live":
        _emit_opportunity(session, EventType.OPPORTUNITY_UPDATED, opportunity, now)
    session.commit()
    return _opportunity_read(opportunity, _employer_of(session, opportunity))


def _extend_live(opportunity: Opportunity, changes: dict[str, Any], *, today: dt.date) -> None:
    locked = sorted(set(changes) - {"closing_date"})
    if locked:
        raise RuleViolation(
            locked[0],
            "locked_when_live",
            "once live, only closing_date may change (to a later day)",
            http_status.HTTP_409_CONFLICT,
        )
    new = changes.get("closing_date")
    if new is None or new == opportunity.closing_date:
        return
    if opportunity.closing_date < today:
        raise RuleViolation(
            "closing_date",
            "already_expired",
            "this opportunity's closing date has passed; it is being closed, post a new one instead",
            http_status.HTTP_409_CONFLICT,
        )
    if new < opportunity.closing_date:
        raise RuleViolation(
            "closing_date",
            "extend_only",
            f"a live opportunity's closing date can only move later than {opportunity.closing_date}",
        )
    if new >= opportunity.start_date:
        raise RuleViolation("closing_date", "closing_date_before_start", "closing_date must be before start_date")
    if new <= today:
        raise RuleViolation("closing_date", "closing_date_after_today", "closing_date must be after today")
    opportunity.closing_date = new


def _edit_draft(session: Session, opportunity: Opportunity, changes: dict[str, Any]) -> None:
    hourly, annual = changes.pop("wage_per_hour", None), changes.pop("annual_wage", None)
    if hourly is not None and annual is not None:
        raise RuleViolation("annual_wage", "one_wage_only", "give wage_per_hour or annual_wage, not both")
    if "postcode" in changes:
        opportunity.latitude, opportunity.longitude = check_postcode(changes["postcode"])
    for key, value in changes.items():
        if getattr(opportunity, key) != value:
            setattr(opportunity, key, value)
    if hourly is not None:
        opportunity.wage_pence_per_hour, opportunity.annual_wage_pence = pence(hourly), None
    elif annual is not None:
        opportunity.annual_wage_pence = pence(annual)
    if opportunity.annual_wage_pence is not None and (annual is not None or "hours_per_week" in changes):
        opportunity.wage_pence_per_hour = hourly_pence_from_annual(
            Decimal(opportunity.annual_wage_pence) / 100, opportunity.hours_per_week
        )
    problems = check_shape(opportunity)
    if problems:
        session.rollback()
        raise_all(problems)


def publish_opportunity(
    *,
    session: Session,
    opportunity_id: uuid.UUID,
    principal: Principal,
    settings: OpportunitiesSettings,
    now: dt.datetime,
) -> OpportunityRead:
    """Check every publishing rule, make the draft live and emit opportunity.published."""
    opportunity = _load_for_change(session, opportunity_id, principal)
    if opportunity.status != "draft":
        raise RuleViolation(
            "status",
            "not_draft",
            f"only a draft can be published; this one is {opportunity.status}",
            http_status.HTTP_409_CONFLICT,
        )
    check_publishable(opportunity, today=now.date(), settings=settings)
    opportunity.status = "live"
    opportunity.published_at = now
    opportunity.version += 1
    opportunity.updated_at = now
    _emit_opportunity(session, EventType.OPPORTUNITY_PUBLISHED, opportunity, now)
    session.commit()
    return _opportunity_read(opportunity, _employer_of(session, opportunity))


def _close(session: Session, opportunity: Opportunity, *, status: str, reason: str, now: dt.datetime) -> None:
    opportunity.status = status
    opportunity.closed_reason = reason
    opportunity.closed_at = now
    opportunity.version += 1
    opportunity.updated_at = now
    if opportunity.published_at is not None:
        _emit_opportunity(session, EventType.OPPORTUNITY_CLOSED, opportunity, now)


def close_opportunity(
    *, session: Session, opportunity_id: uuid.UUID, reason: str, principal: Principal, now: dt.datetime
) -> OpportunityRead:
    """Close a draft or live opportunity with a reason; emit opportunity.closed if it had been published."""
    opportunity = _load_for_change(session, opportunity_id, principal)
    if opportunity.status not in ("draft", "live"):
        raise RuleViolation(
            "status",
            "already_closed",
            f"this opportunity is already {opportunity.status}",
            http_status.HTTP_409_CONFLICT,
        )
    _close(session, opportunity, status="closed", reason=reason, now=now)
    session.commit()
    return _opportunity_read(opportunity, _employer_of(session, opportunity))


def expire_due_opportunities(*, session: Session, now: dt.datetime) -> int:
    """Close every live opportunity whose closing date has passed, each with opportunity.closed; returns how many."""
    query = (
        select(Opportunity)
        .where(Opportunity.status == "live", Opportunity.closing_date < now.date())
        .order_by(Opportunity.closing_date, Opportunity.id)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    due = session.scalars(query).all()
    for opportunity in due:
        _close(session, opportunity, status="closed", reason=EXPIRED_REASON, now=now)
    session.commit()
    return len(due)


def _open_for_applications(opportunity: Opportunity, today: dt.date) -> bool:
    return opportunity.status == "live" and opportunity.closing_date >= today


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
        .where(Opportunity.status == "live", Opportunity.closing_date >= today)
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
        items = [_opportunity_read(opportunity, employer) for opportunity, employer in rows]
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
        items=[_opportunity_read(opportunity, employer, distance) for distance, opportunity, employer in page],
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
    employer = _load_employer(session, employer_id, principal)
    query: Select[tuple[Opportunity]] = select(Opportunity).where(Opportunity.employer_id == employer_id)
    if status:
        query = query.where(Opportunity.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Opportunity.created_at.desc(), Opportunity.id).limit(limit).offset(offset)
    ).all()
    return OpportunityPage(
        items=[_opportunity_read(row, employer) for row in rows], total=total, limit=limit, offset=offset
    )


# Referrals


def _referral_snapshot(
    referral: Referral, opportunity: Opportunity, previous: str | None, at: dt.datetime
) -> ReferralV1:
    assert referral.profile_id is not None, "an erased person's referral emits no events"
    return ReferralV1(
        referral_id=referral.id,
        profile_id=referral.profile_id,
        opportunity_id=referral.opportunity_id,
        employer_id=referral.employer_id,
        opportunity_type=opportunity.type,  # type: ignore[arg-type]
        adviser_id=referral.adviser_id,
        status=referral.status,  # type: ignore[arg-type]
        previous_status=previous,  # type: ignore[arg-type]
        changed_at=at,
    )


def _histories(session: Session, referral_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[StatusChangeRead]]:
    ids = list(referral_ids)
    histories: dict[uuid.UUID, list[StatusChangeRead]] = {referral_id: [] for referral_id in ids}
    if not ids:
        return histories
    rows = session.scalars(
        select(ReferralStatusChange)
        .where(ReferralStatusChange.referral_id.in_(ids))
        .order_by(ReferralStatusChange.changed_at, ReferralStatusChange.id)
    )
    for row in rows:
        histories[row.referral_id].append(StatusChangeRead.model_validate(row, from_attributes=True))
    return histories


def _referral_read(
    referral: Referral,
    opportunity: Opportunity,
    history: list[StatusChangeRead],
    principal: Principal,
    directory: ProfileDirectory,
) -> ReferralRead:
    """The referral as the principal may see it: employers get the person's details and the note only with consent."""
    candidate: CandidateView | None = None
    note: str | None = referral.note if referral.erased_at is None else None
    if principal.role is Role.EMPLOYER and referral.profile_id is not None:
        candidate = directory.employer_view(referral.profile_id)
        if candidate is None or not candidate.consent_share_with_employers:
            note = None
    return ReferralRead(
        id=referral.id,
        profile_id=referral.profile_id,
        opportunity_id=referral.opportunity_id,
        opportunity_title=opportunity.title,
        opportunity_type=opportunity.type,  # type: ignore[arg-type]
        employer_id=referral.employer_id,
        adviser_id=referral.adviser_id,
        note=note,
        status=referral.status,  # type: ignore[arg-type]
        feedback=referral.feedback,
        version=referral.version,
        created_at=referral.created_at,
        updated_at=referral.updated_at,
        erased_at=referral.erased_at,
        history=history,
        candidate=candidate,
    )


def _may_see_referral(referral: Referral, principal: Principal) -> None:
    """Advisers and services see every referral, an employer its own, a young person theirs; others get 404."""
    if principal.role is Role.EMPLOYER and principal.sub != str(referral.employer_id):
        raise NotFound("referral", referral.id)
    if principal.role is Role.YOUNG_PERSON and principal.sub != str(referral.profile_id):
        raise NotFound("referral", referral.id)


def _record_change(
    session: Session, referral: Referral, previous: str | None, principal: Principal, now: dt.datetime
) -> None:
    session.add(
        ReferralStatusChange(
            referral_id=referral.id,
            from_status=previous,
            to_status=referral.status,
            changed_by_role=str(principal.role),
            changed_at=now,
        )
    )


def create_referral(
    *, session: Session, data: ReferralCreate, principal: Principal, directory: ProfileDirectory, now: dt.datetime
) -> ReferralRead:
    """An adviser refers a young person to an open opportunity they are eligible for; emits referral.created."""
    person = directory.get_profile(data.profile_id)
    opportunity = session.get(Opportunity, data.opportunity_id, with_for_update=True)
    if opportunity is None or opportunity.status == "draft":
        raise RuleViolation("opportunity_id", "opportunity_exists", f"there is no opportunity {data.opportunity_id}")
    if not _open_for_applications(opportunity, now.date()):
        raise RuleViolation(
            "opportunity_id",
            "opportunity_not_open",
            f"this opportunity is {opportunity.status} and takes no referrals"
            if opportunity.status != "live"
            else "this opportunity's closing date has passed",
            http_status.HTTP_409_CONFLICT,
        )
    if person is None:
        raise RuleViolation("profile_id", "profile_exists", f"there is no young person {data.profile_id}")
    duplicate = session.scalar(
        select(Referral.id).where(
            Referral.opportunity_id == opportunity.id,
            Referral.profile_id == person.id,
            Referral.status.in_(OPEN_STATUSES | {"accepted"}),
        )
    )
    if duplicate is not None:
        raise RuleViolation(
            "profile_id",
            "duplicate_referral",
            f"this young person already has an open referral ({duplicate}) to this opportunity",
            http_status.HTTP_409_CONFLICT,
        )
    check_eligible(opportunity, date_of_birth=person.date_of_birth, on_universal_credit=person.on_universal_credit)
    referral = Referral(
        id=uuid.uuid4(),
        profile_id=person.id,
        opportunity_id=opportunity.id,
        employer_id=opportunity.employer_id,
        adviser_id=principal.sub if principal.role is Role.ADVISER else person.adviser_id,
        note=data.note,
        status="referred",
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(referral)
    session.flush()
    _record_change(session, referral, None, principal, now)
    for interest in session.scalars(
        select(Interest).where(
            Interest.opportunity_id == opportunity.id, Interest.profile_id == person.id, Interest.referral_id.is_(None)
        )
    ):
        interest.referral_id = referral.id
    _emit(
        session,
        EventType.REFERRAL_CREATED,
        referral.id,
        referral.version,
        _referral_snapshot(referral, opportunity, None, now),
        now,
    )
    session.commit()
    return _referral_read(referral, opportunity, _histories(session, [referral.id])[referral.id], principal, directory)


def change_referral_status(
    *,
    session: Session,
    referral_id: uuid.UUID,
    data: ReferralUpdate,
    principal: Principal,
    directory: ProfileDirectory,
    now: dt.datetime,
) -> ReferralRead:
    """Move a referral along the pipeline (adviser or owning employer); emits referral.status_changed, and an
    accepted offer takes a place (filling the opportunity when none are left)."""
    referral = session.get(Referral, referral_id)
    if referral is None:
        raise NotFound("referral", referral_id)
    _may_see_referral(referral, principal)
    opportunity = _load_opportunity(session, referral.opportunity_id, lock=True)
    session.refresh(referral, with_for_update=True)
    if referral.profile_id is None:
        raise RuleViolation(
            "status",
            "person_erased",
            "the young person was erased; this referral stays only as an anonymous outcome",
            http_status.HTTP_409_CONFLICT,
        )
    check_transition(referral.status, data.status, by_adviser=principal.role is Role.ADVISER)
    if data.status == "unsuccessful" and not data.feedback:
        raise RuleViolation(
            "feedback", "feedback_required", "say why it was unsuccessful: the feedback goes to the young person"
        )
    if data.status in NEEDS_A_PLACE and opportunity.positions_filled >= opportunity.positions:
        raise RuleViolation(
            "status", "no_places_left", "every place on this opportunity has been taken", http_status.HTTP_409_CONFLICT
        )
    previous = referral.status
    referral.status = data.status
    if data.feedback is not None:
        referral.feedback = data.feedback
    referral.version += 1
    referral.updated_at = now
    _record_change(session, referral, previous, principal, now)
    _emit(
        session,
        EventType.REFERRAL_STATUS_CHANGED,
        referral.id,
        referral.version,
        _referral_snapshot(referral, opportunity, previous, now),
        now,
    )
    if data.status == "accepted":
        _take_place(session, opportunity, now)
    session.commit()
    return _referral_read(referral, opportunity, _histories(session, [referral.id])[referral.id], principal, directory)


def _take_place(session: Session, opportunity: Opportunity, now: dt.datetime) -> None:
    opportunity.positions_filled += 1
    if opportunity.status == "live" and opportunity.positions_filled >= opportunity.positions:
        _close(session, opportunity, status="filled", reason=FILLED_REASON, now=now)
        return
    opportunity.version += 1
    opportunity.updated_at = now
    _emit_opportunity(session, EventType.OPPORTUNITY_UPDATED, opportunity, now)


def get_referral(
    *, session: Session, referral_id: uuid.UUID, principal: Principal, directory: ProfileDirectory
) -> ReferralRead:
    """One referral, as the principal may see it."""
    referral = session.get(Referral, referral_id)
    if referral is None:
        raise NotFound("referral", referral_id)
    _may_see_referral(referral, principal)
    opportunity = _load_opportunity(session, referral.opportunity_id)
    return _referral_read(referral, opportunity, _histories(session, [referral.id])[referral.id], principal, directory)


def _referral_page(
    session: Session,
    query: Select[tuple[Referral]],
    principal: Principal,
    directory: ProfileDirectory,
    limit: int,
    offset: int,
) -> ReferralPage:
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows: Sequence[Referral] = session.scalars(
        query.order_by(Referral.created_at.desc(), Referral.id).limit(limit).offset(offset)
    ).all()
    opportunities = {
        row.id: row
        for row in session.scalars(select(Opportunity).where(Opportunity.id.in_({r.opportunity_id for r in rows})))
    }
    histories = _histories(session, [row.id for row in rows])
    items = [
        _referral_read(row, opportunities[row.opportunity_id], histories[row.id], principal, directory) for row in rows
    ]
    return ReferralPage(items=items, total=total, limit=limit, offset=offset)


def list_referrals(
    *,
    session: Session,
    principal: Principal,
    directory: ProfileDirectory,
    profile_id: uuid.UUID | None = None,
    opportunity_id: uuid.UUID | None = None,
    status: str | None = None,
    adviser_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> ReferralPage:
    """Referrals the principal may see: all for advisers, an employer's own, a young person's own."""
    query: Select[tuple[Referral]] = select(Referral)
    if principal.role is Role.YOUNG_PERSON:
        if profile_id is not None and str(profile_id) != principal.sub:
            raise Forbidden("a young person may only see their own referrals")
        query = query.where(Referral.profile_id == _principal_uuid(principal, "profile"))
    if principal.role is Role.EMPLOYER:
        query = query.where(Referral.employer_id == _principal_uuid(principal, "employer"))
    if profile_id is not None:
        query = query.where(Referral.profile_id == profile_id)
    if opportunity_id is not None:
        query = query.where(Referral.opportunity_id == opportunity_id)
    if status:
        query = query.where(Referral.status == status)
    if adviser_id:
        query = query.where(Referral.adviser_id == adviser_id)
    return _referral_page(session, query, principal, directory, limit, offset)


def list_opportunity_referrals(
    *,
    session: Session,
    opportunity_id: uuid.UUID,
    principal: Principal,
    directory: ProfileDirectory,
    limit: int = 100,
    offset: int = 0,
) -> ReferralPage:
    """The referrals to one opportunity, for its employer (consent applied) or an adviser; others get 404."""
    opportunity = _load_opportunity(session, opportunity_id)
    if not (_is_adviser(principal) or _is_owner(principal, opportunity.employer_id)):
        raise NotFound("opportunity", opportunity_id)
    query = select(Referral).where(Referral.opportunity_id == opportunity_id)
    return _referral_page(session, query, principal, directory, limit, offset)


# Interests


def _interest_read(interest: Interest, opportunity: Opportunity, employer: Employer) -> InterestRead:
    return InterestRead(
        id=interest.id,
        profile_id=interest.profile_id,
        opportunity_id=interest.opportunity_id,
        opportunity_title=opportunity.title,
        opportunity_type=opportunity.type,  # type: ignore[arg-type]
        employer_name=employer.name,
        adviser_id=interest.adviser_id,
        message=interest.message,
        referral_id=interest.referral_id,
        created_at=interest.created_at,
    )


def express_interest(
    *,
    session: Session,
    opportunity_id: uuid.UUID,
    data: InterestCreate,
    principal: Principal,
    directory: ProfileDirectory,
    now: dt.datetime,
) -> tuple[InterestRead, bool]:
    """A young person says they are interested: a referral request for their adviser (interest.expressed).
    Saying it twice returns the first one; the flag tells whether it is new."""
    profile_id = _principal_uuid(principal, "profile")
    opportunity = _load_opportunity(session, opportunity_id)
    _may_see(opportunity, principal)
    employer = _employer_of(session, opportunity)
    existing = session.scalar(
        select(Interest).where(Interest.opportunity_id == opportunity_id, Interest.profile_id == profile_id)
    )
    if existing is not None:
        return _interest_read(existing, opportunity, employer), False
    if not _open_for_applications(opportunity, now.date()):
        raise RuleViolation(
            "opportunity_id",
            "opportunity_not_open",
            "this opportunity is no longer open",
            http_status.HTTP_409_CONFLICT,
        )
    person = directory.get_profile(profile_id)
    if person is None:
        raise RuleViolation("profile_id", "profile_exists", "register your profile before saying you are interested")
    check_eligible(opportunity, date_of_birth=person.date_of_birth, on_universal_credit=person.on_universal_credit)
    interest = Interest(
        id=uuid.uuid4(),
        profile_id=profile_id,
        opportunity_id=opportunity_id,
        adviser_id=person.adviser_id,
        message=data.message,
        created_at=now,
    )
    session.add(interest)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        again = session.scalar(
            select(Interest).where(Interest.opportunity_id == opportunity_id, Interest.profile_id == profile_id)
        )
        if again is None:
            raise
        return _interest_read(again, opportunity, employer), False
    _emit(
        session,
        EventType.INTEREST_EXPRESSED,
        interest.id,
        1,
        InterestV1(interest_id=interest.id, profile_id=profile_id, opportunity_id=opportunity_id, expressed_at=now),
        now,
    )
    session.commit()
    return _interest_read(interest, opportunity, employer), True


def list_interests(
    *,
    session: Session,
    principal: Principal,
    profile_id: uuid.UUID | None = None,
    adviser_id: str | None = None,
    opportunity_id: uuid.UUID | None = None,
    open_only: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> InterestPage:
    """Referral requests: advisers see all (filter by their caseload), a young person their own."""
    query = (
        select(Interest, Opportunity, Employer)
        .join(Opportunity, Opportunity.id == Interest.opportunity_id)
        .join(Employer, Employer.id == Opportunity.employer_id)
    )
    if principal.role is Role.YOUNG_PERSON:
        if profile_id is not None and str(profile_id) != principal.sub:
            raise Forbidden("a young person may only see their own interests")
        query = query.where(Interest.profile_id == _principal_uuid(principal, "profile"))
    if profile_id is not None:
        query = query.where(Interest.profile_id == profile_id)
    if adviser_id:
        query = query.where(Interest.adviser_id == adviser_id)
    if opportunity_id is not None:
        query = query.where(Interest.opportunity_id == opportunity_id)
    if open_only:
        query = query.where(Interest.referral_id.is_(None))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(Interest.created_at.desc(), Interest.id).limit(limit).offset(offset)).all()
    return InterestPage(
        items=[_interest_read(interest, opportunity, employer) for interest, opportunity, employer in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


# Erasure


def forget_person(*, session: Session, profile_id: uuid.UUID, now: dt.datetime) -> int:
    """Remove what this service holds of an erased person, in the caller's transaction; returns records touched.
    Their interests go. Their referrals stay as anonymous outcomes, so places taken and filled opportunities do not
    move: no person link, no note or feedback, open ones withdrawn. Outbox events of both keep no personal data."""
    referrals = session.scalars(
        select(Referral).where(Referral.profile_id == profile_id).order_by(Referral.id).with_for_update()
    ).all()
    for referral in referrals:
        if referral.status in OPEN_STATUSES:
            previous, referral.status = referral.status, "withdrawn"
            referral.version += 1
            session.add(
                ReferralStatusChange(
                    referral_id=referral.id,
                    from_status=previous,
                    to_status=referral.status,
                    changed_by_role=str(Role.SERVICE),
                    changed_at=now,
                )
            )
        referral.profile_id = None
        referral.note = ""
        referral.feedback = None
        referral.erased_at = now
        referral.updated_at = now
        redact_aggregate(session, OutboxRecord, str(referral.id))
    interests = session.scalars(select(Interest).where(Interest.profile_id == profile_id)).all()
    for interest in interests:
        redact_aggregate(session, OutboxRecord, str(interest.id))
        session.delete(interest)
    session.flush()
    return len(referrals) + len(interests)
