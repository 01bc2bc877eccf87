"""What time brings due: employer response reminders, the adviser being told (of referrals unanswered, clocks at
risk or overdue, activities lapsed to not known), and digests."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.messaging.consumer import DependencyUnavailable
from services.notifications import queue
from services.notifications.contacts import ClockRow, LapsedRow
from services.notifications.ingest import employer_name, opportunity_item
from services.notifications.models import (
    ClockSeen,
    DigestItem,
    Interest,
    LapseSeen,
    Message,
    Opportunity,
    Person,
    Referral,
    SavedSearch,
)
from services.notifications.rules import add_working_days


@dataclass(frozen=True)
class Deadlines:
    reminder_working_days: int
    escalation_working_days: int


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def employer_deadlines(session: Session, *, now: dt.datetime, deadlines: Deadlines) -> int:
    """Referrals still waiting for the employer: remind the employer after the first period, tell the referring
    adviser after the second. Returns how many messages were queued."""
    queued = 0
    waiting = session.scalars(
        select(Referral).where(Referral.status == "referred", Referral.employer_responded_at.is_(None),
                               Referral.profile_id.is_not(None))
    )
    for referral in waiting:
        referred_at = _utc(referral.referred_at)
        reminder_at = add_working_days(referred_at, deadlines.reminder_working_days)
        if now < reminder_at:
            continue
        opportunity = session.get(Opportunity, referral.opportunity_id)
        params: dict[str, Any] = {
            "referral_id": str(referral.referral_id), "opportunity_id": str(referral.opportunity_id),
            "referred_on": referred_at.date().isoformat(), "adviser_id": referral.adviser_id,
            "title": opportunity.title if opportunity else "an opportunity",
            "employer": employer_name(session, referral.employer_id),
            "working_days": deadlines.reminder_working_days,
        }
        if queue.enqueue(session, cause=f"referral:{referral.referral_id}:employer_reminder",
                         kind="employer_reminder", recipient=queue.employer(referral.employer_id), params=params,
                         now=now):
            queued += 1
        if referral.adviser_id and now >= add_working_days(referred_at, deadlines.escalation_working_days):
            escalation = {**params, "working_days": deadlines.escalation_working_days,
                          "reminder_days": deadlines.reminder_working_days}
            if queue.enqueue(session, cause=f"referral:{referral.referral_id}:adviser_escalation",
                             kind="adviser_escalation", recipient=queue.adviser(referral.adviser_id),
                             params=escalation, now=now):
                queued += 1
    return queued


def digests(session: Session, *, now: dt.datetime) -> int:
    """One digest per recipient and due time, batching every match waiting for it. Returns digests queued."""
    waiting = session.scalars(
        select(DigestItem).where(DigestItem.batched_in.is_(None), DigestItem.due_at <= now)
    ).all()
    groups: dict[tuple[str, dt.datetime], list[DigestItem]] = defaultdict(list)
    for item in waiting:
        groups[(item.recipient, _utc(item.due_at))].append(item)
    queued = 0
    for (recipient, due_at), items in groups.items():
        searches = {s.id: s for s in session.scalars(
            select(SavedSearch).where(SavedSearch.id.in_({i.search_id for i in items}), SavedSearch.active))}
        listed: dict[uuid.UUID, dict[str, Any]] = {}
        for item in items:
            opportunity = session.get(Opportunity, item.opportunity_id)
            if opportunity is not None and opportunity.status == "live" and item.search_id in searches:
                listed.setdefault(item.opportunity_id,
                                  opportunity_item(opportunity, employer_name(session, opportunity.employer_id)))
        frequency = next(iter(searches.values())).frequency if searches else "daily"
        message = None
        if listed:
            message = queue.enqueue(
                session, cause=f"digest:{recipient}:{due_at.isoformat()}", kind="search_digest", recipient=recipient,
                profile_id=items[0].profile_id, now=now,
                params={"items": list(listed.values()), "frequency": frequency,
                        "searches": sorted({searches[i.search_id].name for i in items if i.search_id in searches})},
            )
        batch = message.id if message is not None else uuid.UUID(int=0)
        for item in items:
            item.batched_in = batch
        queued += message is not None
    return queued


# Reminders this many days before an opportunity closes; only the nearest one not yet passed is sent.
CLOSING_REMINDER_DAYS = (7, 2)


def closing_reminders(session: Session, *, today: dt.date, now: dt.datetime) -> int:
    """Remind people of an opportunity closing within a week (and again two days before) that they said they were
    interested in and were not put forward for, or were put forward for and the employer has not answered."""
    queued = 0
    closing = session.scalars(select(Opportunity).where(
        Opportunity.status == "live", Opportunity.closing_date >= today,
        Opportunity.closing_date <= today + dt.timedelta(days=max(CLOSING_REMINDER_DAYS))))
    for opportunity in closing:
        days_left = (opportunity.closing_date - today).days
        threshold = min(days for days in CLOSING_REMINDER_DAYS if days_left <= days)
        referred = {r.profile_id: r for r in session.scalars(select(Referral).where(
            Referral.opportunity_id == opportunity.opportunity_id, Referral.profile_id.is_not(None)))
            if r.profile_id is not None}
        waiting: dict[uuid.UUID, str] = {pid: "referred" for pid, r in referred.items() if r.status == "referred"}
        for interest in session.scalars(select(Interest).where(
                Interest.opportunity_id == opportunity.opportunity_id, Interest.profile_id.is_not(None))):
            if interest.profile_id is not None and interest.profile_id not in referred:
                waiting[interest.profile_id] = "interested"
        for profile_id, why in waiting.items():
            person = session.get(Person, profile_id)
            if queue.enqueue(session, cause=f"closing:{opportunity.opportunity_id}:{profile_id}:{threshold}",
                             kind="closing_reminder", recipient=queue.young_person(profile_id),
                             profile_id=profile_id, now=now,
                             params={"opportunity_id": str(opportunity.opportunity_id), "why": why,
                                     "closing_date": opportunity.closing_date.isoformat(), "days_left": days_left,
                                     "adviser_id": person.adviser_id if person else None}):
                queued += 1
    return queued


CLOCK_STATUSES = ("at_risk", "overdue")
ClockReader = Callable[[str, str], list[ClockRow]]
LapsedReader = Callable[[str], list[LapsedRow]]
Row = ClockRow | LapsedRow
Seen = TypeVar("Seen", ClockSeen, LapseSeen)


def _tell_advisers(session: Session, *, now: dt.datetime, today: dt.date, cause: str, kind: str,
                   read: Callable[[str], Sequence[Row]], seen: type[Seen], mark: str) -> int:
    """Once a day, each adviser gets one digest (`kind`) of the people `read` lists for them whose `mark` (a clock's
    status, the day an activity lapsed) changed since they were last told (`seen` keeps what they were told). An
    adviser whose list cannot be read is tried again at the next sweep."""
    queued = 0
    advisers = sorted({a for a in session.scalars(select(Person.adviser_id).distinct()) if a})
    for adviser_id in advisers:
        today_cause = f"{cause}:{adviser_id}:{today.isoformat()}"
        if session.scalar(select(Message.id).where(Message.cause == today_cause)) is not None:
            continue
        try:
            rows = read(adviser_id)
        except DependencyUnavailable:
            continue
        told = {s.profile_id: s for s in session.scalars(select(seen).where(seen.adviser_id == adviser_id))}
        turned = [row for row in rows
                  if row.profile_id not in told or getattr(told[row.profile_id], mark) != getattr(row, mark)]
        current = {row.profile_id for row in rows}
        for profile_id, was in told.items():
            if profile_id not in current:
                session.delete(was)  # off the list: told again if they come back on it
        for row in turned:
            # A person moved from another adviser's caseload may still be marked as told to them.
            found = told.get(row.profile_id) or session.get(seen, row.profile_id)
            if found is None:
                session.add(seen(profile_id=row.profile_id, adviser_id=adviser_id, **{mark: getattr(row, mark)}))
            else:
                found.adviser_id = adviser_id
                setattr(found, mark, getattr(row, mark))
        if turned:
            queue.enqueue(session, cause=today_cause, kind=kind, recipient=queue.adviser(adviser_id), now=now,
                          params={"items": [row.model_dump(mode="json") for row in turned]})
            queued += 1
    return queued


def adviser_clock_digests(session: Session, *, now: dt.datetime, today: dt.date, clocks: ClockReader) -> int:
    """Once a day, each adviser whose people turned "at risk" or "overdue" since they were last told gets one
    digest of them. An adviser the events service does not answer for is tried again at the next sweep."""
    return _tell_advisers(session, now=now, today=today, cause="clocks", kind="adviser_clock_digest",
                          read=lambda adviser: [row for status in CLOCK_STATUSES for row in clocks(adviser, status)],
                          seen=ClockSeen, mark="status")


def adviser_lapse_digests(session: Session, *, now: dt.datetime, today: dt.date, lapsed: LapsedReader) -> int:
    """Once a day, each adviser whose people's activity lapsed to "not known" since they were last told gets one
    digest of them. An adviser the profiles service does not answer for is tried again at the next sweep."""
    return _tell_advisers(session, now=now, today=today, cause="lapses", kind="adviser_lapse_digest", read=lapsed,
                          seen=LapseSeen, mark="since")


def sweep(session: Session, *, now: dt.datetime, deadlines: Deadlines, today: dt.date | None = None,
          clocks: ClockReader | None = None, lapsed: LapsedReader | None = None,
          digest_hour_reached: bool = False) -> int:
    """Everything due at `now` (`today` is the local date), in the caller's transaction."""
    today = today or now.date()
    queued = (employer_deadlines(session, now=now, deadlines=deadlines) + digests(session, now=now)
              + closing_reminders(session, today=today, now=now))
    if clocks is not None and digest_hour_reached:
        queued += adviser_clock_digests(session, now=now, today=today, clocks=clocks)
    if lapsed is not None and digest_hour_reached:
        queued += adviser_lapse_digests(session, now=now, today=today, lapsed=lapsed)
    return queued
