"""Sending what is due: each message in its own transaction, to an address looked up when it is sent, only with
consent, outside quiet hours; a failure is tried again with exponential backoff, then dead-lettered. Logs name
messages by id and kind, never by address or name."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import structlog
from prometheus_client import Counter, Histogram
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from services.common.clock import Clock
from services.notifications import queue
from services.notifications.channels import Channel, Outgoing, SendFailed
from services.notifications.config import NotificationsSettings
from services.notifications.contacts import Contacts, ContactsUnavailable
from services.notifications.ingest import employer_name
from services.notifications.models import DeadLetter, Message, Opportunity, Preference, SavedSearch
from services.notifications.rules import Timing
from services.notifications.sweep import Deadlines, sweep
from services.notifications.templates import Context, render

log = structlog.get_logger("notifications")
SENT = Counter("yg_notifications_sent_total", "Emails sent", ["kind"])
NOT_SENT = Counter("yg_notifications_not_sent_total", "Emails not sent, by reason", ["kind", "outcome"])
QUEUE_TO_SEND = Histogram("yg_notifications_queue_seconds", "Seconds from queued to sent",
                          buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 60, 600, 3600, 86400))
BATCH = 50


@dataclass(frozen=True)
class Recipient:
    address: str | None
    greeting_name: str | None
    # Why nothing goes (None: send).
    refused: str | None = None


@dataclass
class Delivery:
    session_factory: sessionmaker[Session]
    channel: Channel
    contacts: Contacts
    settings: NotificationsSettings
    clock: Clock

    @property
    def timing(self) -> Timing:
        return Timing.from_settings(self.settings)

    def _recipient(self, message: Message, preference: Preference) -> Recipient:
        role, _, key = message.recipient.partition(":")
        if not preference.email:
            reason = "no consent to email" if role == "young_person" and preference.email_consented_at is None \
                else "email turned off"
            return Recipient(None, None, reason)
        if role == "young_person":
            person = self.contacts.person(uuid.UUID(key))
            if person is None or not person.email:
                return Recipient(None, None, "no email address")
            return Recipient(person.email, person.given_name)
        if role == "adviser":
            adviser = self.contacts.adviser(key)
            return Recipient(adviser.email, adviser.name) if adviser else Recipient(None, None, "unknown adviser")
        employer = self.contacts.employer(uuid.UUID(key))
        return Recipient(employer.contact_email, None) if employer else Recipient(None, None, "unknown employer")

    def _params(self, session: Session, message: Message) -> dict[str, Any]:
        """The message's parameters with the opportunity's title and employer as they are now."""
        params = {**message.params, "ui_url": self.settings.ui_url.rstrip("/")}
        if "opportunity_id" in params and "title" not in params:
            opportunity = session.get(Opportunity, uuid.UUID(params["opportunity_id"]))
            params["title"] = opportunity.title if opportunity else "an opportunity"
            params["employer"] = employer_name(session, opportunity.employer_id) if opportunity else "the employer"
        return params

    def _unsubscribe_token(self, session: Session, message: Message, preference: Preference) -> str:
        search_id = message.params.get("search_id")
        search = session.get(SavedSearch, uuid.UUID(search_id)) if search_id else None
        return search.unsubscribe_token if search is not None else preference.unsubscribe_token

    def _fail(self, message: Message, error: str, now: dt.datetime) -> None:
        message.attempts += 1
        message.reason = error[:200]
        if message.attempts >= self.settings.max_attempts:
            message.status = "dead"
            NOT_SENT.labels(message.kind, "dead").inc()
            log.warning("message dead-lettered", message=str(message.id), kind=message.kind,
                        attempts=message.attempts, error=error)
            return
        delay = min(self.settings.backoff_seconds * 2 ** (message.attempts - 1), self.settings.backoff_max_seconds)
        message.next_attempt_at = now + dt.timedelta(seconds=delay)
        log.info("message send failed, will retry", message=str(message.id), kind=message.kind,
                 attempts=message.attempts, retry_in=delay, error=error)

    def deliver_one(self, message_id: uuid.UUID) -> str:
        """Send one due message (or settle why not); returns its status afterwards."""
        with self.session_factory() as session, session.begin():
            message = session.get(Message, message_id, with_for_update=True)
            now = self.clock.now()
            if message is None or message.status != "queued":
                return message.status if message else "gone"
            preference = queue.preference(session, message.recipient, now=now)
            if preference.quiet_hours and self.timing.in_quiet_hours(now):
                message.next_attempt_at = self.timing.after_quiet_hours(now)
                return "held"
            try:
                recipient = self._recipient(message, preference)
            except ContactsUnavailable as exc:
                # The address book is away, not the message at fault: wait for it without using up attempts.
                message.reason = f"waiting for contact details: {exc}"[:200]
                message.next_attempt_at = now + dt.timedelta(seconds=self.settings.dependency_retry_seconds)
                log.info("message waits for contact details", message=str(message.id), kind=message.kind)
                return "waiting"
            if recipient.refused is not None or recipient.address is None:
                message.status, message.reason = "suppressed", recipient.refused
                NOT_SENT.labels(message.kind, "suppressed").inc()
                log.info("message not sent", message=str(message.id), kind=message.kind, reason=recipient.refused)
                return message.status
            adviser_id = message.params.get("adviser_id")
            base = self.settings.public_url.rstrip("/")
            context = Context(
                greeting_name=recipient.greeting_name,
                adviser=self._adviser(adviser_id) if adviser_id and message.kind != "adviser_escalation" else None,
                unsubscribe_url=f"{base}/unsubscribe?token={self._unsubscribe_token(session, message, preference)}",
                preferences_url=self.settings.preferences_url,
            )
            rendered = render(message.kind, self._params(session, message), context)
            try:
                self.channel.send(Outgoing(str(message.id), recipient.address, rendered.subject, rendered.body,
                                           context.unsubscribe_url))
            except SendFailed as exc:
                self._fail(message, str(exc), now)
                self._dead_letter(session, message, now)
                return message.status
            message.status, message.sent_at, message.subject = "sent", self.clock.now(), rendered.subject
            message.attempts += 1
            SENT.labels(message.kind).inc()
            QUEUE_TO_SEND.observe(max((message.sent_at - message.created_at).total_seconds(), 0.0))
            log.info("message sent", message=str(message.id), kind=message.kind, attempts=message.attempts)
            return message.status

    def _adviser(self, adviser_id: str) -> Any:
        try:
            return self.contacts.adviser(adviser_id)
        except ContactsUnavailable:
            return None

    def _dead_letter(self, session: Session, message: Message, now: dt.datetime) -> None:
        if message.status == "dead" and session.get(DeadLetter, message.id) is None:
            session.add(DeadLetter(message_id=message.id, kind=message.kind, attempts=message.attempts,
                                   error=message.reason or "", dead_at=now))

    def due(self) -> list[uuid.UUID]:
        with self.session_factory() as session:
            return list(session.scalars(
                select(Message.id).where(Message.status == "queued", Message.next_attempt_at <= self.clock.now())
                .order_by(Message.next_attempt_at).limit(BATCH)
            ))

    def deliver_due(self) -> dict[str, int]:
        """Send every message due now; returns how many ended in each status."""
        outcomes: dict[str, int] = {}
        for message_id in self.due():
            status = self.deliver_one(message_id)
            outcomes[status] = outcomes.get(status, 0) + 1
        return outcomes

    def sweep(self) -> int:
        """Queue the reminders, escalations and digests that have come due."""
        deadlines = Deadlines(self.settings.employer_reminder_working_days,
                              self.settings.adviser_escalation_working_days)
        now = self.clock.now()
        local = now.astimezone(self.timing.zone)
        with self.session_factory() as session, session.begin():
            return sweep(session, now=now, deadlines=deadlines, today=local.date(), clocks=self.contacts.clocks,
                         lapsed=self.contacts.lapsed,
                         digest_hour_reached=local.hour >= self.settings.digest_hour)

    def run(self, stop: threading.Event) -> None:
        """The worker: sweep every sweep interval, deliver every deliver interval, until stopped."""
        last_sweep = float("-inf")
        while not stop.is_set():
            try:
                monotonic = time.monotonic()
                if monotonic - last_sweep >= self.settings.sweep_interval_seconds:
                    self.sweep()
                    last_sweep = monotonic
                self.deliver_due()
            except Exception as exc:  # a database blip: log and go on
                log.warning("delivery loop error", error=type(exc).__name__)
            stop.wait(self.settings.deliver_interval_seconds)

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run, args=(stop,), name="notifications-delivery", daemon=True)
        thread.start()
        return thread
