"""Who may see or change what: the principal's own ids, and records loaded under those rules."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from services.common.auth import Principal, Role
from services.common.errors import Forbidden, NotFound
from services.opportunities.models import Employer, Opportunity


def principal_uuid(principal: Principal, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(principal.sub)
    except ValueError as exc:
        raise Forbidden(f"a {principal.role} token must name its {what} id") from exc


def is_owner(principal: Principal | None, employer_id: uuid.UUID) -> bool:
    return principal is not None and principal.role is Role.EMPLOYER and principal.sub == str(employer_id)


def is_adviser(principal: Principal | None) -> bool:
    return principal is not None and principal.role is Role.ADVISER


def load_employer(session: Session, employer_id: uuid.UUID, principal: Principal) -> Employer:
    """An employer record for an adviser, or for that employer itself; others get 404."""
    if principal.role is Role.EMPLOYER and principal.sub != str(employer_id):
        raise NotFound("employer", employer_id)
    employer = session.get(Employer, employer_id)
    if employer is None:
        raise NotFound("employer", employer_id)
    return employer


def load_opportunity(session: Session, opportunity_id: uuid.UUID, *, lock: bool = False) -> Opportunity:
    opportunity = session.get(Opportunity, opportunity_id, with_for_update=lock or None)
    if opportunity is None:
        raise NotFound("opportunity", opportunity_id)
    return opportunity


def employer_of(session: Session, opportunity: Opportunity) -> Employer:
    employer = session.get(Employer, opportunity.employer_id)
    assert employer is not None, "opportunities reference their employer"
    return employer


def may_see(opportunity: Opportunity, principal: Principal | None) -> None:
    """Drafts are seen only by advisers and their employer; everything else is public."""
    if opportunity.status == "draft" and not (is_adviser(principal) or is_owner(principal, opportunity.employer_id)):
        raise NotFound("opportunity", opportunity.id)


def _may_change(opportunity: Opportunity, principal: Principal) -> None:
    """Advisers and the owning employer change an opportunity; another employer gets 404 (403 if it is public)."""
    if is_adviser(principal) or is_owner(principal, opportunity.employer_id):
        return
    may_see(opportunity, principal)
    raise Forbidden("only the employer who posted this opportunity, or an adviser, may change it")


def load_for_change(session: Session, opportunity_id: uuid.UUID, principal: Principal) -> Opportunity:
    opportunity = load_opportunity(session, opportunity_id, lock=True)
    _may_change(opportunity, principal)
    return opportunity
