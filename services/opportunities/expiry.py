"""The background sweep: closes live opportunities whose closing date has passed, and holds back from matching
those a new rate in the dated minimum wage table leaves below it."""

from __future__ import annotations

import threading
from collections.abc import Callable

import structlog
from sqlalchemy.orm import Session, sessionmaker

from services.common.clock import Clock
from services.common.minimum_wage import WageTable
from services.opportunities.config import OpportunitiesSettings
from services.opportunities.lifecycle import expire_due_opportunities, hold_back_underpaid_opportunities

log = structlog.get_logger("opportunities.expiry")


class ExpirySweeper:
    def __init__(
        self,
        *,
        session_factory: sessionmaker[Session],
        clock: Clock,
        interval_seconds: float,
        settings: OpportunitiesSettings,
        rates: Callable[[], WageTable],
    ):
        self.session_factory = session_factory
        self.clock = clock
        self.interval_seconds = interval_seconds
        self.settings = settings
        self.rates = rates
        self._checked: WageTable | None = None

    def sweep(self) -> int:
        """One pass: close what is due now."""
        with self.session_factory() as session:
            return expire_due_opportunities(session=session, now=self.clock.now())

    def hold_back_underpaid(self) -> int:
        """Once for each wage table this service is given (at start, and when a new rate is added): hold back the
        live opportunities it leaves below the minimum. Publishing checks every later one against the same table."""
        rates = self.rates()
        if rates is self._checked:
            return 0
        with self.session_factory() as session:
            held = hold_back_underpaid_opportunities(
                session=session, now=self.clock.now(), settings=self.settings, rates=rates
            )
        self._checked = rates
        return held

    def run(self, stop: threading.Event) -> None:
        """Sweep every interval until stopped; a failed pass is logged and retried next time."""
        while not stop.is_set():
            try:
                closed = self.sweep()
                if closed:
                    log.info("closed opportunities past their closing date", closed=closed)
                held = self.hold_back_underpaid()
                if held:
                    log.info("held back opportunities below a new minimum wage rate", held=held)
            except Exception as exc:  # noqa: BLE001 - the next pass retries
                log.warning("expiry sweep failed", error=repr(exc)[:300])
            stop.wait(self.interval_seconds)
