"""The background sweep that closes live opportunities whose closing date has passed."""

from __future__ import annotations

import threading

import structlog
from sqlalchemy.orm import Session, sessionmaker

from services.common.clock import Clock
from services.opportunities.lifecycle import expire_due_opportunities

log = structlog.get_logger("opportunities.expiry")


class ExpirySweeper:
    def __init__(self, *, session_factory: sessionmaker[Session], clock: Clock, interval_seconds: float):
        self.session_factory = session_factory
        self.clock = clock
        self.interval_seconds = interval_seconds

    def sweep(self) -> int:
        """One pass: close what is due now."""
        with self.session_factory() as session:
            return expire_due_opportunities(session=session, now=self.clock.now())

    def run(self, stop: threading.Event) -> None:
        """Sweep every interval until stopped; a failed pass is logged and retried next time."""
        while not stop.is_set():
            try:
                closed = self.sweep()
                if closed:
                    log.info("closed opportunities past their closing date", closed=closed)
            except Exception as exc:  # noqa: BLE001 - the next pass retries
                log.warning("expiry sweep failed", error=repr(exc)[:300])
            stop.wait(self.interval_seconds)
