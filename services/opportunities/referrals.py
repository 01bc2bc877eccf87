"""Referral use cases: an adviser refers a young person, the referral moves along its pipeline, and each principal
lists the referrals they may see (employers get a candidate's details only with consent)."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable, Mapping, Sequence

from fastapi import status as http_status
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from services.common.auth import Principal, Role
from services.common.errors import Forbidden, NotFound, RuleViolation
from services.common.screening import ScreeningWarning
from services.messaging.contract import EventType, RecordViewedV1
from services.messaging.vocabulary import BLOCKING_REFERRAL_STATUSES, TOP_SUGGESTIONS
from services.opportunities import oversight
from services.opportunities.access import employer_of, is_adviser, is_owner, load_opportunity, principal_uuid
from services.opportunities.directory import ProfileDirectory
from services.opportunities.events import emit_about_person, referral_snapshot, subject_for
from services.opportunities.held_back import HeldBack, held_back, hold_back, warning_for
from services.opportunities.lifecycle import open_for_applications, take_place
from services.opportunities.models import Employer, Interest, Opportunity, Referral, ReferralStatusChange
from services.opportunities.rules import NEEDS_A_PLACE, check_eligible, check_transition
from services.opportunities.schemas import (
    AdviserContact,
    OversightRead,
    ReferralCreate,
    ReferralPage,
    ReferralRead,
    ReferralUpdate,
    ReferredCandidate,
    StatusChangeRead,
    SuggestionChoice,
)


def candidate_pseudonym(referral_id: uuid.UUID) -> str:
    """How an employer's answers name the referred person: derived from the referral alone, so it says nothing the
    referral id does not and links no two referrals of the same person."""
    return "candidate-" + hashlib.sha256(b"yg-candidate:" + referral_id.bytes).hexdigest()[:12]


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
    employer: Employer,
    history: list[StatusChangeRead],
    principal: Principal,
    directory: ProfileDirectory,
    held: HeldBack,
    advisers: Mapping[str, AdviserContact | None],
    written: Sequence[ScreeningWarning] = (),
) -> ReferralRead:
    """The referral as the principal may see it: employers get the person's details and the note only with consent,
    and never text held back as special category data (only the warnings about what they just wrote)."""
    candidate: ReferredCandidate | None = None
    profile_id = referral.profile_id
    note: str | None = referral.note if referral.erased_at is None else None
    feedback = referral.feedback
    warnings = list(written)
    suggestion: OversightRead | None = None
    if principal.role is Role.EMPLOYER:
        profile_id = None
        view = directory.employer_view(referral.profile_id) if referral.profile_id is not None else None
        if view is not None:
            candidate = ReferredCandidate(pseudonym=candidate_pseudonym(referral.id),
                                          **view.model_dump(exclude={"id"}))
        if view is None or not view.consent_share_with_employers:
            note = None
    elif principal.role is not Role.EMPLOYER:
        kept = {field: row for (owner, field), row in held.items() if owner == referral.id}
        reason_words = kept.pop(oversight.WORDS, None)
        note = kept["note"].text if "note" in kept else note
        feedback = kept["feedback"].text if "feedback" in kept else feedback
        warnings = [warning_for(row) for row in kept.values()]
        if principal.role is Role.ADVISER:  # an adviser's reason against the suggestions is for advisers
            words = reason_words.text if reason_words else referral.oversight_words or ""
            warnings += [warning_for(reason_words)] if reason_words else []
            suggestion = oversight.oversight_read(list_id=referral.suggestion_list_id,
                                                  rank=referral.suggestion_rank, reason=referral.oversight_reason,
                                                  words=words)
    return ReferralRead(
        id=referral.id,
        profile_id=profile_id,
        opportunity_id=referral.opportunity_id,
        opportunity_title=opportunity.title,
        opportunity_type=opportunity.type,  # type: ignore[arg-type]
        employer_id=referral.employer_id,
        employer_name=employer.name,
        adviser_id=referral.adviser_id,
        adviser=advisers.get(referral.adviser_id) if referral.adviser_id else None,
        note=note,
        status=referral.status,  # type: ignore[arg-type]
        feedback=feedback,
        feedback_by=referral.feedback_by if feedback else None,  # type: ignore[arg-type]
        version=referral.version,
        created_at=referral.created_at,
        updated_at=referral.updated_at,
        erased_at=referral.erased_at,
        history=history,
        candidate=candidate,
        suggestion=suggestion,
        warnings=warnings,
    )


def _record_employer_views(
    session: Session,
    shown: Iterable[tuple[Referral, Opportunity]],
    principal: Principal,
    directory: ProfileDirectory,
    now: dt.datetime,
) -> None:
    """Each referral an employer reads goes to the audit log: a referral.viewed naming the employer, the referral
    and when (the person by their subject reference only), committed with nothing else."""
    if principal.role is not Role.EMPLOYER:
        return
    names: dict[uuid.UUID, str] = {}
    for referral, opportunity in shown:
        if referral.profile_id is None:
            continue
        if referral.employer_id not in names:
            employer = session.get(Employer, referral.employer_id)
            names[referral.employer_id] = employer.name if employer is not None else ""
        view_id = uuid.uuid4()
        viewed = RecordViewedV1(
            view_id=view_id, profile_id=referral.profile_id, viewer_role="employer", viewer=principal.sub,
            viewer_name=names[referral.employer_id] or None, record="referral", referral_id=referral.id,
            opportunity_title=opportunity.title, viewed_at=now,
        )
        subject = subject_for(session, directory, referral.profile_id)
        emit_about_person(session, EventType.REFERRAL_VIEWED, view_id, 1, viewed, now, subject)
    session.commit()


def _advisers(directory: ProfileDirectory, referrals: Iterable[Referral]) -> dict[str, AdviserContact | None]:
    """The referring advisers' contact details, each asked of the profiles service once."""
    adviser_ids = {referral.adviser_id for referral in referrals if referral.adviser_id}
    return {adviser_id: directory.adviser(adviser_id) for adviser_id in adviser_ids}


def _may_see_referral(referral: Referral, principal: Principal) -> None:
    """Advisers and services see every referral, an employer its own, a young person theirs; others get 404."""
    if principal.role is Role.EMPLOYER and principal.sub != str(referral.employer_id):
        raise NotFound("referral", referral.id)
    if principal.role is Role.YOUNG_PERSON and principal.sub != str(referral.profile_id):
        raise NotFound("referral", referral.id)


def record_status_change(
    session: Session, referral: Referral, previous: str | None, *, by_role: Role, now: dt.datetime
) -> None:
    """Add a step to the referral's timeline: from `previous` to its current status."""
    session.add(
        ReferralStatusChange(
            referral_id=referral.id,
            from_status=previous,
            to_status=referral.status,
            changed_by_role=str(by_role),
            changed_at=now,
        )
    )


def create_referral(
    *,
    session: Session,
    data: ReferralCreate,
    principal: Principal,
    directory: ProfileDirectory,
    now: dt.datetime,
    top: int = TOP_SUGGESTIONS,
) -> ReferralRead:
    """An adviser refers a young person to an open opportunity they are eligible for; emits referral.created, with
    how the referral stands to the suggestions (list, rank, within the `top`, the reason's code)."""
    person = directory.get_profile(data.profile_id)
    opportunity = session.get(Opportunity, data.opportunity_id, with_for_update=True)
    if opportunity is None or opportunity.status == "draft":
        raise RuleViolation("opportunity_id", "opportunity_exists", f"there is no opportunity {data.opportunity_id}")
    if not open_for_applications(opportunity, now.date()):
        raise RuleViolation(
            "opportunity_id",
            "opportunity_not_open",
            f"this opportunity is {opportunity.status} and takes no referrals"
            if opportunity.status != "live"
            else "this opportunity is held back until its employer raises the pay to the new minimum wage"
            if opportunity.held_back_reason is not None
            else "this opportunity's closing date has passed",
            http_status.HTTP_409_CONFLICT,
        )
    if person is None:
        raise RuleViolation("profile_id", "profile_exists", f"there is no young person {data.profile_id}")
    duplicate = session.scalar(
        select(Referral.id).where(
            Referral.opportunity_id == opportunity.id,
            Referral.profile_id == person.id,
            Referral.status.in_(BLOCKING_REFERRAL_STATUSES),
        )
    )
    if duplicate is not None:
        raise RuleViolation(
            "profile_id",
            "duplicate_referral",
            f"this young person already has an open referral ({duplicate}) to this opportunity",
            http_status.HTTP_409_CONFLICT,
        )
    choice = data.suggestion or SuggestionChoice()
    oversight.check_choice(choice, within="suggestion", reason_required=False)
    check_eligible(opportunity, date_of_birth=person.date_of_birth, on_universal_credit=person.on_universal_credit)
    subject = subject_for(session, directory, person.id)
    referral_id = uuid.uuid4()
    note_warning = hold_back(session, owner_id=referral_id, profile_id=person.id, field="note", text=data.note)
    words_warning = hold_back(session, owner_id=referral_id, profile_id=person.id, field=oversight.WORDS,
                              text=choice.words)
    referral = Referral(
        id=referral_id,
        profile_id=person.id,
        opportunity_id=opportunity.id,
        employer_id=opportunity.employer_id,
        adviser_id=principal.sub if principal.role is Role.ADVISER else person.adviser_id,
        note="" if note_warning else data.note,
        status="referred",
        version=1,
        created_at=now,
        updated_at=now,
        suggestion_list_id=choice.list_id,
        suggestion_rank=choice.rank,
        oversight_reason=choice.reason,
        oversight_words=None if words_warning or not choice.words else choice.words,
    )
    session.add(referral)
    session.flush()
    record_status_change(session, referral, None, by_role=principal.role, now=now)
    for interest in session.scalars(
        select(Interest).where(
            Interest.opportunity_id == opportunity.id, Interest.profile_id == person.id, Interest.referral_id.is_(None)
        )
    ):
        interest.referral_id = referral.id
    emit_about_person(
        session,
        EventType.REFERRAL_CREATED,
        referral.id,
        referral.version,
        referral_snapshot(referral, opportunity, None, now).model_copy(
            update={"oversight": oversight.oversight_of(choice, top=top)}
        ),
        now,
        subject,
    )
    session.commit()
    written = [warning for warning in (note_warning, words_warning) if warning]
    return _read_one(session, referral, opportunity, principal, directory, written)


def _read_one(
    session: Session,
    referral: Referral,
    opportunity: Opportunity,
    principal: Principal,
    directory: ProfileDirectory,
    written: Sequence[ScreeningWarning] = (),
) -> ReferralRead:
    history = _histories(session, [referral.id])[referral.id]
    return _referral_read(
        referral,
        opportunity,
        employer_of(session, opportunity),
        history,
        principal,
        directory,
        held_back(session, [referral.id]),
        _advisers(directory, [referral]),
        written,
    )


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
    opportunity = load_opportunity(session, referral.opportunity_id, lock=True)
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
    subject = subject_for(session, directory, referral.profile_id)
    previous = referral.status
    referral.status = data.status
    written: list[ScreeningWarning] = []
    if data.feedback is not None:
        warning = hold_back(
            session, owner_id=referral.id, profile_id=referral.profile_id, field="feedback", text=data.feedback
        )
        written += [warning] if warning else []
        referral.feedback = None if warning else data.feedback
        referral.feedback_by = str(principal.role)
    referral.version += 1
    referral.updated_at = now
    record_status_change(session, referral, previous, by_role=principal.role, now=now)
    emit_about_person(
        session,
        EventType.REFERRAL_STATUS_CHANGED,
        referral.id,
        referral.version,
        referral_snapshot(referral, opportunity, previous, now),
        now,
        subject,
    )
    if data.status == "accepted":
        take_place(session, opportunity, now)
    session.commit()
    read = _read_one(session, referral, opportunity, principal, directory, written)
    _record_employer_views(session, [(referral, opportunity)], principal, directory, now)
    return read


def get_referral(
    *, session: Session, referral_id: uuid.UUID, principal: Principal, directory: ProfileDirectory, now: dt.datetime
) -> ReferralRead:
    """One referral, as the principal may see it (an employer's read goes to the audit log)."""
    referral = session.get(Referral, referral_id)
    if referral is None:
        raise NotFound("referral", referral_id)
    _may_see_referral(referral, principal)
    opportunity = load_opportunity(session, referral.opportunity_id)
    read = _read_one(session, referral, opportunity, principal, directory)
    _record_employer_views(session, [(referral, opportunity)], principal, directory, now)
    return read


def _referral_page(
    session: Session,
    query: Select[tuple[Referral]],
    principal: Principal,
    directory: ProfileDirectory,
    limit: int,
    offset: int,
    now: dt.datetime,
) -> ReferralPage:
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows: Sequence[Referral] = session.scalars(
        query.order_by(Referral.created_at.desc(), Referral.id).limit(limit).offset(offset)
    ).all()
    opportunities = {
        row.id: row
        for row in session.scalars(select(Opportunity).where(Opportunity.id.in_({r.opportunity_id for r in rows})))
    }
    employers = {
        row.id: row
        for row in session.scalars(
            select(Employer).where(Employer.id.in_({o.employer_id for o in opportunities.values()}))
        )
    }
    histories = _histories(session, [row.id for row in rows])
    held = held_back(session, [row.id for row in rows])
    advisers = _advisers(directory, rows)
    items = [
        _referral_read(
            row,
            opportunities[row.opportunity_id],
            employers[opportunities[row.opportunity_id].employer_id],
            histories[row.id],
            principal,
            directory,
            held,
            advisers,
        )
        for row in rows
    ]
    _record_employer_views(session, [(row, opportunities[row.opportunity_id]) for row in rows], principal, directory,
                           now)
    return ReferralPage(items=items, total=total, limit=limit, offset=offset)


def list_referrals(
    *,
    session: Session,
    principal: Principal,
    directory: ProfileDirectory,
    now: dt.datetime,
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
        query = query.where(Referral.profile_id == principal_uuid(principal, "profile"))
    if principal.role is Role.EMPLOYER:
        query = query.where(Referral.employer_id == principal_uuid(principal, "employer"))
    if profile_id is not None:
        query = query.where(Referral.profile_id == profile_id)
    if opportunity_id is not None:
        query = query.where(Referral.opportunity_id == opportunity_id)
    if status:
        query = query.where(Referral.status == status)
    if adviser_id:
        query = query.where(Referral.adviser_id == adviser_id)
    return _referral_page(session, query, principal, directory, limit, offset, now)


def list_opportunity_referrals(
    *,
    session: Session,
    opportunity_id: uuid.UUID,
    principal: Principal,
    directory: ProfileDirectory,
    now: dt.datetime,
    limit: int = 100,
    offset: int = 0,
) -> ReferralPage:
    """The referrals to one opportunity, for its employer (consent applied) or an adviser; others get 404."""
    opportunity = load_opportunity(session, opportunity_id)
    if not (is_adviser(principal) or is_owner(principal, opportunity.employer_id)):
        raise NotFound("opportunity", opportunity_id)
    query = select(Referral).where(Referral.opportunity_id == opportunity_id)
    return _referral_page(session, query, principal, directory, limit, offset, now)
