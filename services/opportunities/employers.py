"""Employer use cases: register, read, update and list employers; each change commits once with its outbox row."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from services.common.auth import Principal, Role
from services.common.errors import Conflict
from services.messaging.contract import EventType
from services.opportunities.access import load_employer, principal_uuid
from services.opportunities.events import emit, employer_snapshot
from services.opportunities.models import Employer
from services.opportunities.schemas import EmployerCreate, EmployerPage, EmployerRead, EmployerUpdate


def _employer_read(employer: Employer) -> EmployerRead:
    return EmployerRead.model_validate(employer, from_attributes=True)


def register_employer(
    *, session: Session, data: EmployerCreate, principal: Principal, now: dt.datetime
) -> EmployerRead:
    """Register an employer (by an adviser, or the employer itself) and emit employer.registered."""
    if principal.role is Role.EMPLOYER:
        employer_id = principal_uuid(principal, "employer")
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
    emit(session, EventType.EMPLOYER_REGISTERED, employer.id, employer.version, employer_snapshot(employer), now)
    session.commit()
    return _employer_read(employer)


def get_employer(*, session: Session, employer_id: uuid.UUID, principal: Principal) -> EmployerRead:
    """One employer, for an adviser or the employer itself."""
    return _employer_read(load_employer(session, employer_id, principal))


def update_employer(
    *, session: Session, employer_id: uuid.UUID, data: EmployerUpdate, principal: Principal, now: dt.datetime
) -> EmployerRead:
    """Change the fields sent and emit employer.updated when anything changed."""
    employer = load_employer(session, employer_id, principal)
    changed = {k: v for k, v in data.model_dump(exclude_unset=True).items() if getattr(employer, k) != v}
    if not changed:
        return _employer_read(employer)
    for key, value in changed.items():
        setattr(employer, key, value)
    employer.version += 1
    employer.updated_at = now
    emit(session, EventType.EMPLOYER_UPDATED, employer.id, employer.version, employer_snapshot(employer), now)
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
