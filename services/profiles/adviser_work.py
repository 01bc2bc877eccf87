"""An adviser's work with a young person: planned actions with a due day, appointments and their outcome, and moves
between advisers' caseloads with their history. Advisers only; none of it travels in events except the new adviser
a transfer gives the profile."""

from __future__ import annotations

import datetime as dt
import uuid

from fastapi import status
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.auth import Principal
from services.common.errors import NotFound, RuleViolation
from services.common.screening import ScreeningWarning, screen, special_category_warning
from services.profiles import service
from services.profiles.config import ProfilesSettings
from services.profiles.models import Adviser, Appointment, CaseloadTransfer, PlannedAction, Profile
from services.profiles.schemas import (
    AppointmentCreate,
    AppointmentList,
    AppointmentRead,
    DueAction,
    DueActions,
    PlannedActionCreate,
    PlannedActionList,
    PlannedActionRead,
    ProfileUpdate,
    TransferCreate,
    TransferHistory,
    TransferRead,
)

KEPT = "only advisers see it: it is not sent with events, nor shown to the young person or employers."


def _warnings(field: str, text: str) -> list[ScreeningWarning]:
    """A warning when the text an adviser wrote seems to say something private about the person (it is kept)."""
    found = screen(text, kind="prose")
    return [special_category_warning(field, found.categories, KEPT)] if text and found.flagged else []


def _profile(session: Session, profile_id: uuid.UUID) -> Profile:
    profile = session.get(Profile, profile_id)
    if profile is None:
        raise NotFound("profile", profile_id)
    return profile


def _action_read(action: PlannedAction, today: dt.date) -> PlannedActionRead:
    return PlannedActionRead(
        id=action.id, profile_id=action.profile_id, category=action.category,  # type: ignore[arg-type]
        description=action.description, due_on=action.due_on, status=action.status,  # type: ignore[arg-type]
        done_on=action.done_on, overdue=action.status == "open" and action.due_on < today,
        created_by=action.created_by, done_by=action.done_by)


def plan_action(*, session: Session, profile_id: uuid.UUID, data: PlannedActionCreate, principal: Principal,
                now: dt.datetime) -> PlannedActionRead:
    """A new open action, due on a day from today on."""
    _profile(session, profile_id)
    today = now.date()
    if data.due_on < today:
        raise RuleViolation("due_on", "not_in_past", "must be today or later")
    action = PlannedAction(profile_id=profile_id, category=data.category, description=data.description,
                           due_on=data.due_on, status="open", done_on=None, created_by=principal.sub,
                           created_at=now, done_by=None)
    session.add(action)
    session.commit()
    return _action_read(action, today).model_copy(update={"warnings": _warnings("description", data.description)})


def actions_of(*, session: Session, profile_id: uuid.UUID, today: dt.date) -> PlannedActionList:
    """A person's actions: the open ones by due day, then the done ones, latest done first."""
    _profile(session, profile_id)
    rows = session.scalars(select(PlannedAction).where(PlannedAction.profile_id == profile_id)).all()
    open_first = sorted((a for a in rows if a.status == "open"), key=lambda a: (a.due_on, a.created_at))
    done = sorted((a for a in rows if a.status == "done"), key=lambda a: (a.done_on or a.due_on, a.created_at),
                  reverse=True)
    items = [_action_read(action, today) for action in (*open_first, *done)]
    return PlannedActionList(items=items, count=len(items))


def mark_done(*, session: Session, profile_id: uuid.UUID, action_id: uuid.UUID, done_on: dt.date | None,
              principal: Principal, now: dt.datetime) -> PlannedActionRead:
    action = session.get(PlannedAction, action_id)
    if action is None or action.profile_id != profile_id:
        raise NotFound("action", action_id)
    today = now.date()
    if action.status == "done":
        raise RuleViolation("status", "already_done", f"was marked done on {action.done_on}",
                            status.HTTP_409_CONFLICT)
    day = done_on or today
    planned = action.created_at.date()
    if not planned <= day <= today:
        raise RuleViolation("done_on", "between_planned_and_today",
                            f"must be between the day it was planned ({planned.isoformat()}) and today")
    action.status, action.done_on, action.done_by = "done", day, principal.sub
    session.commit()
    return _action_read(action, today)


def due_actions(*, session: Session, today: dt.date, by: dt.date | None = None,
                adviser_id: str | None = None) -> DueActions:
    """Open actions due on or before `by` (today by default) for one adviser's caseload (everyone's without one),
    the longest overdue first."""
    query = (select(PlannedAction, Profile).join(Profile, Profile.id == PlannedAction.profile_id)
             .where(PlannedAction.status == "open", PlannedAction.due_on <= (by or today))
             .order_by(PlannedAction.due_on, PlannedAction.created_at, PlannedAction.id))
    if adviser_id:
        query = query.where(Profile.adviser_id == adviser_id)
    items = [DueAction(**_action_read(action, today).model_dump(), given_name=profile.given_name,
                       family_name=profile.family_name, adviser_id=profile.adviser_id)
             for action, profile in session.execute(query).tuples()]
    return DueActions(items=items, count=len(items))


def _appointment_read(appointment: Appointment) -> AppointmentRead:
    return AppointmentRead(
        id=appointment.id, profile_id=appointment.profile_id, starts_at=appointment.starts_at,
        mode=appointment.mode, notes=appointment.notes, outcome=appointment.outcome,  # type: ignore[arg-type]
        outcome_recorded_by=appointment.outcome_recorded_by, created_by=appointment.created_by)


def book_appointment(*, session: Session, profile_id: uuid.UUID, data: AppointmentCreate, principal: Principal,
                     now: dt.datetime) -> AppointmentRead:
    _profile(session, profile_id)
    appointment = Appointment(profile_id=profile_id, starts_at=data.starts_at, mode=data.mode, notes=data.notes,
                              outcome=None, outcome_recorded_by=None, created_by=principal.sub, created_at=now)
    session.add(appointment)
    session.commit()
    return _appointment_read(appointment).model_copy(update={"warnings": _warnings("notes", data.notes)})


def appointments_of(*, session: Session, profile_id: uuid.UUID) -> AppointmentList:
    """A person's appointments, latest first."""
    _profile(session, profile_id)
    rows = session.scalars(select(Appointment).where(Appointment.profile_id == profile_id)
                           .order_by(Appointment.starts_at.desc(), Appointment.created_at.desc())).all()
    return AppointmentList(items=[_appointment_read(row) for row in rows], count=len(rows))


def record_outcome(*, session: Session, profile_id: uuid.UUID, appointment_id: uuid.UUID, outcome: str,
                   principal: Principal, now: dt.datetime) -> AppointmentRead:
    """What happened: attended or missed once its time has come; cancelled at any time. Recorded once."""
    appointment = session.get(Appointment, appointment_id)
    if appointment is None or appointment.profile_id != profile_id:
        raise NotFound("appointment", appointment_id)
    if appointment.outcome is not None:
        raise RuleViolation("outcome", "already_recorded", f"is already recorded as {appointment.outcome}",
                            status.HTTP_409_CONFLICT)
    if outcome != "cancelled" and appointment.starts_at > now:
        raise RuleViolation("outcome", "not_yet_due",
                            f"can be {outcome} only from the appointment's time ({appointment.starts_at.isoformat()}); "
                            "before then it can only be cancelled")
    appointment.outcome, appointment.outcome_recorded_by = outcome, principal.sub
    session.commit()
    return _appointment_read(appointment)


def _transfer_read(transfer: CaseloadTransfer) -> TransferRead:
    return TransferRead.model_validate(transfer, from_attributes=True)


def transfer(*, session: Session, profile_id: uuid.UUID, data: TransferCreate, principal: Principal,
             settings: ProfilesSettings, now: dt.datetime) -> TransferRead:
    """Move a person to another adviser's caseload and keep the move in their history."""
    profile = _profile(session, profile_id)
    if session.get(Adviser, data.to_adviser_id) is None:
        raise RuleViolation("to_adviser_id", "unknown_adviser",
                            f"must be an adviser the hub has a record of; there is none for {data.to_adviser_id}")
    if profile.adviser_id == data.to_adviser_id:
        raise RuleViolation("to_adviser_id", "same_adviser", "is already this person's adviser")
    row = CaseloadTransfer(profile_id=profile_id, from_adviser_id=profile.adviser_id,
                           to_adviser_id=data.to_adviser_id, reason=data.reason, transferred_at=now,
                           transferred_by=principal.sub)
    session.add(row)
    # The profile's change and its event go the one way every profile change goes; the history row commits with
    # them, in that one transaction.
    service.update_profile(session=session, profile_id=profile_id, data=ProfileUpdate(adviser_id=data.to_adviser_id),
                           principal=principal, settings=settings, now=now)
    return _transfer_read(row).model_copy(update={"warnings": _warnings("reason", data.reason)})


def transfers_of(*, session: Session, profile_id: uuid.UUID) -> TransferHistory:
    """A person's moves between caseloads, newest first."""
    _profile(session, profile_id)
    rows = session.scalars(select(CaseloadTransfer).where(CaseloadTransfer.profile_id == profile_id)
                           .order_by(CaseloadTransfer.transferred_at.desc(), CaseloadTransfer.id)).all()
    return TransferHistory(items=[_transfer_read(row) for row in rows], count=len(rows))
