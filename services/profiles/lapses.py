"""The daily lapse run, and who has lapsed: from the configured hour each day the service writes down every activity
past its currency as not known (services.profiles.activity.apply_lapses), and tells the notifications service, by id
and day only, whose activity lapsed and is still not known, so their adviser can be told."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy.orm import Session, sessionmaker

from services.common.clock import Clock
from services.profiles.activity import apply_lapses, trace_queue
from services.profiles.config import ProfilesSettings
from services.profiles.schemas import LapsedItem, LapsedList

log = structlog.get_logger("profiles")


@dataclass
class DailyLapses:
    session_factory: sessionmaker[Session]
    settings: ProfilesSettings
    clock: Clock
    last_run_on: dt.date | None = None

    def tick(self) -> int | None:
        """Write down the lapses once a day, from the lapse hour (local time); returns how many lapsed, or None
        when it is not time."""
        now = self.clock.now()
        local = now.astimezone(ZoneInfo(self.settings.timezone))
        if local.hour < self.settings.lapse_hour or self.last_run_on == local.date():
            return None
        with self.session_factory() as session:
            lapsed = apply_lapses(session=session, settings=self.settings, now=now)
        self.last_run_on = local.date()
        log.info("daily lapses written", lapsed=lapsed, day=local.date().isoformat())
        return lapsed

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.tick()
            except Exception as exc:  # a database blip: tried again at the next check
                log.warning("daily lapse run failed", error=type(exc).__name__)
            stop.wait(self.settings.lapse_check_interval_seconds)

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run, args=(stop,), name="profiles-daily-lapses", daemon=True)
        thread.start()
        return thread


def lapsed_people(*, session: Session, today: dt.date, settings: ProfilesSettings, adviser_id: str) -> LapsedList:
    """An adviser's people whose confirmation lapsed and who are still not known today, by id and the day it
    lapsed: no names, no activity codes."""
    queue = trace_queue(session=session, today=today, settings=settings, adviser_id=adviser_id)
    items = [LapsedItem(profile_id=item.profile_id, since=item.since) for item in queue.items
             if item.lapsed_from is not None]
    return LapsedList(items=items, count=len(items))
