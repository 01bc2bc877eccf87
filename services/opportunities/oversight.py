"""Human oversight of the matcher: an adviser's reason for going against its suggestions (a referral outside the
top suggestions or to one never suggested, a dismissed suggestion), checked once and recorded with the decision.
The reason code travels in the event for the audit log; words stay here (screened), like a referral's note."""

from __future__ import annotations

import datetime as dt
import uuid

from fastapi import status as http_status
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.errors import RuleViolation
from services.messaging.contract import EventType, OversightV1, SuggestionDismissedV1
from services.opportunities.access import employer_of, load_opportunity
from services.opportunities.directory import ProfileDirectory
from services.opportunities.events import emit_about_person, subject_for
from services.opportunities.held_back import HeldBack, held_back, hold_back, warning_for
from services.opportunities.models import Dismissal, Employer, Opportunity
from services.opportunities.schemas import (
    DismissalCreate,
    DismissalPage,
    DismissalRead,
    OversightRead,
    SuggestionChoice,
)

WORDS = "reason_words"  # the held-back text's field


def check_choice(choice: SuggestionChoice, *, within: str, reason_required: bool) -> None:
    """The rules of a reason: list and rank go together, "other" is said in words, and a dismissal needs a reason.
    `within` is where the choice sits in the body ("" at its top level)."""
    field = f"{within}." if within else ""
    if (choice.list_id is None) != (choice.rank is None):
        missing = "rank" if choice.rank is None else "list_id"
        raise RuleViolation(f"{field}{missing}", "list_and_rank_together",
                            "give the suggestion list and the rank together (neither when it was not suggested)")
    if choice.reason == "other" and not choice.words:
        raise RuleViolation(f"{field}words", "words_for_other", "say in words why, when the reason is 'other'")
    if reason_required and choice.reason is None and not choice.words:
        raise RuleViolation(f"{field}reason", "reason_required", "give a reason from the list, or in words")


def oversight_of(choice: SuggestionChoice | None, *, top: int) -> OversightV1:
    """What the audit log keeps of a decision (no words: only whether there are some)."""
    choice = choice or SuggestionChoice()
    return OversightV1(
        list_id=choice.list_id, rank=choice.rank, top=top,
        within_top=choice.rank is not None and choice.rank <= top,
        reason=choice.reason, has_words=bool(choice.words),
    )


def oversight_read(*, list_id: uuid.UUID | None, rank: int | None, reason: str | None, words: str) -> OversightRead:
    return OversightRead(list_id=list_id, rank=rank, reason=reason, words=words)  # type: ignore[arg-type]


def _dismissal_read(
    dismissal: Dismissal, opportunity: Opportunity, employer: Employer, held: HeldBack
) -> DismissalRead:
    kept = held.get((dismissal.id, WORDS))
    return DismissalRead(
        id=dismissal.id,
        profile_id=dismissal.profile_id,
        opportunity_id=dismissal.opportunity_id,
        opportunity_title=opportunity.title,
        employer_name=employer.name,
        adviser_id=dismissal.adviser_id,
        suggestion=oversight_read(list_id=dismissal.suggestion_list_id, rank=dismissal.suggestion_rank,
                                  reason=dismissal.reason, words=kept.text if kept else dismissal.words),
        created_at=dismissal.created_at,
        warnings=[warning_for(kept)] if kept else [],
    )


def _existing(session: Session, profile_id: uuid.UUID, opportunity_id: uuid.UUID) -> Dismissal | None:
    return session.scalar(
        select(Dismissal).where(Dismissal.profile_id == profile_id, Dismissal.opportunity_id == opportunity_id)
    )


def dismiss_suggestion(
    *,
    session: Session,
    profile_id: uuid.UUID,
    data: DismissalCreate,
    adviser_id: str,
    directory: ProfileDirectory,
    top: int,
    now: dt.datetime,
) -> tuple[DismissalRead, bool]:
    """An adviser dismisses a suggestion for a young person, with a reason: suggestion.dismissed, after which the
    matcher suggests that opportunity to them no more. Dismissing it again returns the first; the flag says new."""
    check_choice(data, within="", reason_required=True)
    opportunity = load_opportunity(session, data.opportunity_id)
    if opportunity.status == "draft":
        raise RuleViolation("opportunity_id", "opportunity_exists", f"there is no opportunity {data.opportunity_id}")
    employer = employer_of(session, opportunity)
    existing = _existing(session, profile_id, opportunity.id)
    if existing is not None:
        return _dismissal_read(existing, opportunity, employer, held_back(session, [existing.id])), False
    if directory.get_profile(profile_id) is None:
        raise RuleViolation("profile_id", "profile_exists", f"there is no young person {profile_id}",
                            http_status.HTTP_404_NOT_FOUND)
    subject = subject_for(session, directory, profile_id)
    dismissal_id = uuid.uuid4()
    warning = hold_back(session, owner_id=dismissal_id, profile_id=profile_id, field=WORDS, text=data.words)
    dismissal = Dismissal(
        id=dismissal_id, profile_id=profile_id, opportunity_id=opportunity.id, adviser_id=adviser_id,
        suggestion_list_id=data.list_id, suggestion_rank=data.rank, reason=data.reason,
        words="" if warning else data.words, created_at=now,
    )
    session.add(dismissal)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        again = _existing(session, profile_id, opportunity.id)
        if again is None:
            raise
        return _dismissal_read(again, opportunity, employer, held_back(session, [again.id])), False
    dismissed = SuggestionDismissedV1(
        dismissal_id=dismissal_id, profile_id=profile_id, opportunity_id=opportunity.id, adviser_id=adviser_id,
        oversight=oversight_of(data, top=top), dismissed_at=now,
    )
    emit_about_person(session, EventType.SUGGESTION_DISMISSED, dismissal_id, 1, dismissed, now, subject)
    session.commit()
    return _dismissal_read(dismissal, opportunity, employer, held_back(session, [dismissal.id])), True


def list_dismissals(
    *,
    session: Session,
    profile_id: uuid.UUID | None = None,
    adviser_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> DismissalPage:
    """Dismissed suggestions, newest first, for one person or one adviser's decisions (advisers only)."""
    query = (
        select(Dismissal, Opportunity, Employer)
        .join(Opportunity, Opportunity.id == Dismissal.opportunity_id)
        .join(Employer, Employer.id == Opportunity.employer_id)
    )
    if profile_id is not None:
        query = query.where(Dismissal.profile_id == profile_id)
    if adviser_id:
        query = query.where(Dismissal.adviser_id == adviser_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(Dismissal.created_at.desc(), Dismissal.id).limit(limit).offset(offset)).all()
    held = held_back(session, [dismissal.id for dismissal, _, _ in rows])
    return DismissalPage(
        items=[_dismissal_read(dismissal, opportunity, employer, held) for dismissal, opportunity, employer in rows],
        total=total, limit=limit, offset=offset,
    )
