"""The rules of when and whether: quiet hours, working days, digest times, the under-18 default and whether a
saved search fits an opportunity. Pure functions of their arguments."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo

from services.notifications.config import NotificationsSettings

Frequency = Literal["instant", "daily", "weekly"]
FREQUENCIES: tuple[Frequency, ...] = ("instant", "daily", "weekly")
WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Timing:
    zone: ZoneInfo
    quiet_start: int
    quiet_end: int
    digest_hour: int
    weekly_weekday: int

    @classmethod
    def from_settings(cls, settings: NotificationsSettings) -> Timing:
        return cls(ZoneInfo(settings.timezone), settings.quiet_hours_start, settings.quiet_hours_end,
                   settings.digest_hour, settings.weekly_digest_weekday)

    def in_quiet_hours(self, moment: dt.datetime) -> bool:
        hour = moment.astimezone(self.zone).hour
        if self.quiet_start == self.quiet_end:
            return False
        if self.quiet_start < self.quiet_end:
            return self.quiet_start <= hour < self.quiet_end
        return hour >= self.quiet_start or hour < self.quiet_end

    def after_quiet_hours(self, moment: dt.datetime) -> dt.datetime:
        """`moment` itself, or the end of the quiet hours it falls in."""
        if not self.in_quiet_hours(moment):
            return moment
        local = moment.astimezone(self.zone)
        end = local.replace(hour=self.quiet_end, minute=0, second=0, microsecond=0)
        if end <= local:
            end = (local + dt.timedelta(days=1)).replace(hour=self.quiet_end, minute=0, second=0, microsecond=0)
        return end.astimezone(dt.UTC)

    def digest_due(self, moment: dt.datetime, frequency: Frequency) -> dt.datetime:
        """When a digest collecting a match found at `moment` goes: the next digest hour (daily), or the next
        digest hour on the weekly digest's day (weekly)."""
        local = moment.astimezone(self.zone)
        due = local.replace(hour=self.digest_hour, minute=0, second=0, microsecond=0)
        if due <= local:
            due += dt.timedelta(days=1)
        if frequency == "weekly":
            due += dt.timedelta(days=(self.weekly_weekday - due.weekday()) % 7)
        return due.astimezone(dt.UTC)


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """`start` moved on by `days` working days (Monday to Friday; bank holidays are not known here)."""
    moment = start
    left = days
    while left > 0:
        moment += dt.timedelta(days=1)
        if moment.weekday() < 5:
            left -= 1
    return moment


def age_on(date_of_birth: dt.date, day: dt.date) -> int:
    return day.year - date_of_birth.year - ((day.month, day.day) < (date_of_birth.month, date_of_birth.day))


def default_frequency(date_of_birth: dt.date | None, today: dt.date, under_age: int) -> Frequency:
    """Under-18s get a weekly digest unless they choose otherwise; everyone else daily."""
    if date_of_birth is not None and age_on(date_of_birth, today) < under_age:
        return "weekly"
    return "daily"


def words(text: str) -> set[str]:
    return set(WORD.findall(text.lower()))


def fits(filters: dict[str, Any], text: str, opportunity: dict[str, Any],
         similarity: Callable[[], float] | None = None, threshold: float = 0.0) -> bool:
    """Whether a live opportunity fits a saved search: every filter set holds, and its text fits the search's
    words: the matcher's similarity of the two is at or above the threshold (asked only once the filters hold), or
    without a matcher, every word of the search is in the opportunity's title, description or skills."""
    if filters.get("types") and opportunity["type"] not in filters["types"]:
        return False
    if filters.get("sectors") and opportunity["sector"] not in filters["sectors"]:
        return False
    districts = filters.get("postcode_districts")
    if districts and opportunity["postcode_district"].upper() not in {d.upper() for d in districts}:
        return False
    minimum = filters.get("min_wage_per_hour")
    if minimum is not None and opportunity["wage_per_hour"] < minimum:
        return False
    if not words(text):
        return True
    if similarity is None:
        return words(text) <= words(opportunity["text"])
    return similarity() >= threshold
