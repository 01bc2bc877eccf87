"""The Youth Guarantee clock: episodes derived from status history and offers, statuses as at a given time,
the adviser's urgency list and the suppressed summary figures."""

from __future__ import annotations

import datetime as dt
import statistics
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.errors import NotFound
from services.events.config import EventsSettings
from services.events.disclosure import Key, Protection, Share, Table, protect
from services.events.models import Episode as EpisodeRow
from services.events.models import ErasedOutcome, Person
from services.events.schemas import (
    EpisodeRead,
    EpisodeStatus,
    Figure,
    GroupFigures,
    GuaranteePage,
    GuaranteeRow,
    GuaranteeSummary,
    PersonClock,
)
from services.messaging.vocabulary import GUARANTEE_STATUSES, PRIORITY_GROUPS, GuaranteeStatus, PriorityGroup

NEET, NOT_KNOWN = "neet", "not_known"
URGENCY: dict[str, int] = {"overdue": 0, "at_risk": 1, "on_track": 2, "met_late": 3, "met": 4}
DAY_SECONDS = 86400.0


@dataclass(frozen=True)
class ClockRules:
    deadline_days: int = 120
    warning_share: float = 0.75
    suppression_threshold: int = 5

    @classmethod
    def from_settings(cls, settings: EventsSettings) -> ClockRules:
        return cls(settings.deadline_days, settings.warning_share, settings.suppression_threshold)

    @property
    def deadline(self) -> dt.timedelta:
        return dt.timedelta(days=self.deadline_days)

    @property
    def warning_days(self) -> float:
        return round(self.deadline_days * self.warning_share, 3)

    @property
    def warning(self) -> dt.timedelta:
        return dt.timedelta(days=self.deadline_days * self.warning_share)


@dataclass(frozen=True)
class Span:
    """One episode of the clock."""

    number: int
    started_at: dt.datetime
    ended_at: dt.datetime | None
    offer_at: dt.datetime | None = None
    offer_referral_id: uuid.UUID | None = None


def derive_episodes(
    history: Iterable[tuple[int, str, dt.datetime]],
    offers: Iterable[tuple[dt.datetime, uuid.UUID]],
    registered_at: dt.datetime | None,
) -> list[Span]:
    """Episodes from (version, status, at) rows in version order: one opens when the status becomes `neet`,
    ends when it leaves `neet` for education, employment or training (a NEET person whose activity turns not known
    is still waiting: the clock runs on), and is stopped by the first offer inside it. Before the earliest known
    version nothing is known, so that row counts from registration."""
    spans: list[Span] = []
    opened: dt.datetime | None = None
    for index, (_version, status, at) in enumerate(sorted(history, key=lambda row: row[0])):
        if index == 0 and registered_at is not None:
            at = registered_at
        if status == NEET and opened is None:
            opened = at
        elif status not in (NEET, NOT_KNOWN) and opened is not None:
            spans.append(Span(len(spans) + 1, opened, max(at, opened)))
            opened = None
    if opened is not None:
        spans.append(Span(len(spans) + 1, opened, None))
    ordered = sorted(offers)
    result = []
    for span in spans:
        first = next(
            (
                (at, referral_id)
                for at, referral_id in ordered
                if at >= span.started_at and (span.ended_at is None or at <= span.ended_at)
            ),
            None,
        )
        result.append(
            Span(span.number, span.started_at, span.ended_at, first[0] if first else None, first[1] if first else None)
        )
    return result


def waiting_on(*, started_at: dt.datetime, ended_at: dt.datetime | None, offer_at: dt.datetime | None,
               day: dt.date) -> bool:
    """Whether an episode's person was waiting for an offer at the end of `day`: the clock had started and was
    neither stopped by an offer nor ended."""
    return started_at.date() <= day and all(moment is None or moment.date() > day for moment in (ended_at, offer_at))


def stopped_at(*, ended_at: dt.datetime | None, offer_at: dt.datetime | None) -> dt.datetime | None:
    """When the person stopped waiting: the offer that stopped the clock, or the end of the episode."""
    return offer_at or ended_at


def in_time(days: float, rules: ClockRules) -> bool:
    """Whether waiting this many days met the deadline."""
    return days <= rules.deadline_days


def days_between(start: dt.datetime, end: dt.datetime) -> float:
    return max(0.0, (end - start).total_seconds() / DAY_SECONDS)


def status_at(
    *, started_at: dt.datetime, offer_at: dt.datetime | None, now: dt.datetime, rules: ClockRules
) -> GuaranteeStatus:
    """Where a clock stands at `now`: an offer decides met/met_late for good; otherwise time does."""
    deadline_at = started_at + rules.deadline
    if offer_at is not None:
        return "met" if offer_at <= deadline_at else "met_late"
    if now > deadline_at:
        return "overdue"
    if now >= started_at + rules.warning:
        return "at_risk"
    return "on_track"


def groups_of(person: Person) -> list[PriorityGroup]:
    """The person's priority groups in a fixed order, SEND included (advisers may see it)."""
    shared = set(person.priority_groups or [])
    return [group for group in PRIORITY_GROUPS if group in shared or (group == "send" and person.send)]


def _row(person: Person, episode: EpisodeRow, now: dt.datetime, rules: ClockRules) -> GuaranteeRow:
    status = status_at(started_at=episode.started_at, offer_at=episode.offer_at, now=now, rules=rules)
    days = int(days_between(episode.started_at, episode.offer_at or now))
    assert person.registered_at is not None
    return GuaranteeRow(
        profile_id=person.profile_id,
        adviser_id=person.adviser_id,
        priority_groups=groups_of(person),
        registered_at=person.registered_at,
        episode=episode.number,
        clock_started_at=episode.started_at,
        days_waiting=days,
        deadline_at=episode.started_at + rules.deadline,
        days_left=None if episode.offer_at else rules.deadline_days - days,
        offer_at=episode.offer_at,
        status=status,
    )


def _current_rows(
    session: Session, *, now: dt.datetime, rules: ClockRules, adviser: str | None = None
) -> list[GuaranteeRow]:
    """Everyone whose current episode is running or ended with an offer."""
    query = (
        select(Person, EpisodeRow)
        .join(EpisodeRow, EpisodeRow.profile_id == Person.profile_id)
        .where(EpisodeRow.is_current, Person.registered_at.is_not(None))
    )
    if adviser is not None:
        query = query.where(Person.adviser_id == adviser)
    return [
        _row(person, episode, now, rules)
        for person, episode in session.execute(query).tuples()
        if not (episode.ended_at is not None and episode.offer_at is None)
    ]


def _urgency(row: GuaranteeRow) -> tuple[int, int, str]:
    return URGENCY[row.status], -row.days_waiting, str(row.profile_id)


def list_guarantee(
    *,
    session: Session,
    now: dt.datetime,
    rules: ClockRules,
    status: GuaranteeStatus | None = None,
    adviser: str | None = None,
    priority_group: PriorityGroup | None = None,
    limit: int = 100,
    offset: int = 0,
) -> GuaranteePage:
    """The adviser's list: each person's current clock, most urgent first (overdue longest first)."""
    rows = [
        row
        for row in _current_rows(session, now=now, rules=rules, adviser=adviser)
        if (status is None or row.status == status)
        and (priority_group is None or priority_group in row.priority_groups)
    ]
    rows.sort(key=_urgency)
    return GuaranteePage(
        as_at=now,
        deadline_days=rules.deadline_days,
        warning_days=rules.warning_days,
        items=rows[offset : offset + limit],
        total=len(rows),
        limit=limit,
        offset=offset,
    )


def person_clock(*, session: Session, profile_id: uuid.UUID, now: dt.datetime, rules: ClockRules) -> PersonClock:
    """One person's clock with every episode so far."""
    person = session.get(Person, profile_id)
    if person is None or person.registered_at is None:
        raise NotFound("young person", profile_id)
    episodes = session.scalars(
        select(EpisodeRow).where(EpisodeRow.profile_id == profile_id).order_by(EpisodeRow.number)
    ).all()
    history = []
    current = None
    for episode in episodes:
        state: EpisodeStatus = status_at(
            started_at=episode.started_at, offer_at=episode.offer_at, now=episode.ended_at or now, rules=rules
        )
        if episode.ended_at is not None and episode.offer_at is None:
            state = "ended_without_offer"
        elif episode.is_current:
            current = _row(person, episode, now, rules)
        history.append(
            EpisodeRead(
                number=episode.number,
                started_at=episode.started_at,
                ended_at=episode.ended_at,
                deadline_at=episode.started_at + rules.deadline,
                offer_at=episode.offer_at,
                days_waiting=int(days_between(episode.started_at, episode.offer_at or episode.ended_at or now)),
                status=state,
            )
        )
    return PersonClock(
        profile_id=person.profile_id,
        adviser_id=person.adviser_id,
        priority_groups=groups_of(person),
        registered_at=person.registered_at,
        current=current,
        episodes=history,
    )


@dataclass(frozen=True)
class GroupTally:
    """Unsuppressed figures for one group: for metrics, and the input to suppression."""

    group: str
    counts: dict[GuaranteeStatus, int]
    days_to_offer: list[float]
    met_in_time: int

    @property
    def size(self) -> int:
        return sum(self.counts.values())

    @property
    def offered(self) -> int:
        return len(self.days_to_offer)

    @property
    def median_days_to_offer(self) -> float | None:
        return round(statistics.median(self.days_to_offer), 1) if self.days_to_offer else None

    @property
    def share_within_deadline(self) -> float | None:
        return round(self.met_in_time / self.offered, 3) if self.offered else None


def _tallies(
    rows: Sequence[GuaranteeRow], erased: Sequence[tuple[str, float]], rules: ClockRules
) -> list[GroupTally]:
    """The whole ('all') first, then each priority group."""
    result = []
    for group in ("all", *PRIORITY_GROUPS):
        members = [row for row in rows if group == "all" or group in row.priority_groups]
        counts: dict[GuaranteeStatus, int] = dict.fromkeys(GUARANTEE_STATUSES, 0)
        days: list[float] = []
        for row in members:
            counts[row.status] += 1
            if row.offer_at is not None:
                days.append(days_between(row.clock_started_at, row.offer_at))
        for erased_group, erased_days in erased:
            if erased_group == group:
                counts["met" if in_time(erased_days, rules) else "met_late"] += 1
                days.append(erased_days)
        result.append(GroupTally(group, counts, days, counts["met"]))
    return result


@dataclass(frozen=True)
class Caseloads:
    """The town's tallies and each adviser's; `unassigned` are the people no adviser holds (never published)."""

    town: list[GroupTally]
    advisers: dict[str, list[GroupTally]]
    unassigned: list[GroupTally]


def caseloads(*, session: Session, now: dt.datetime, rules: ClockRules) -> Caseloads:
    """Counts per status, days to offer and offers in time, overall and per priority group, for the town and for
    each caseload; people erased after an offer stay in as anonymous outcomes so the figures do not move when
    someone is erased."""
    rows = _current_rows(session, now=now, rules=rules)
    erased = session.execute(
        select(ErasedOutcome.adviser_id, ErasedOutcome.group, ErasedOutcome.days_to_offer)
    ).tuples().all()

    def of(adviser: str | None) -> list[GroupTally]:
        return _tallies([row for row in rows if row.adviser_id == adviser],
                        [(group, days) for holder, group, days in erased if holder == adviser], rules)

    holders = sorted({row.adviser_id for row in rows if row.adviser_id} | {a for a, _, _ in erased if a})
    return Caseloads(
        town=_tallies(rows, [(group, days) for _, group, days in erased], rules),
        advisers={adviser: of(adviser) for adviser in holders},
        unassigned=of(None),
    )


def tally(
    *, session: Session, now: dt.datetime, rules: ClockRules, adviser: str | None = None
) -> dict[str, GroupTally]:
    """The unsuppressed tallies of the town or of one caseload, by group."""
    loads = caseloads(session=session, now=now, rules=rules)
    chosen = loads.town if adviser is None else loads.advisers.get(adviser, _tallies([], [], rules))
    return {group.group: group for group in chosen}


def _figure(value: float | None, hide: bool) -> Figure:
    return Figure(value=None, suppressed=True) if hide else Figure(value=value, suppressed=False)


def _add_rows(table: Table, scope: Key, tallies: Sequence[GroupTally], threshold: int, *, published: bool) -> None:
    """One caseload's (or the town's) rows: each group's size is the sum of its counts; a priority group's count is
    at most the whole's; a shown share bounds met against met_late."""
    whole = next((tally for tally in tallies if tally.group == "all"), None)
    for group in tallies:
        name = (*scope, group.group)
        cells = tuple((*name, status) for status in group.counts)
        table.values[(*name, "size")] = group.size
        table.values.update({(*name, status): count for status, count in group.counts.items()})
        table.sums.append(((*name, "size"), cells))
        if whole is not None and group is not whole:
            table.at_most += [((*name, key), (*scope, "all", key)) for key in ("size", *group.counts)]
        if not published:
            table.unpublished.update({(*name, "size"), *cells})
        elif group.size < threshold:  # nobody too: else each hidden row would be known to hold at least one
            table.hidden_whole.update({(*name, "size"), *cells})
            table.ranges.update({cell: (0, threshold - 1) for cell in ((*name, "size"), *cells)})
        elif group.offered >= threshold and group.share_within_deadline is not None:
            table.shares.append(Share((*name, "share"), (*name, "met"), (*name, "met_late"),
                                      group.share_within_deadline))


def _figures(
    table: Table, protection: Protection, scope: Key, tallies: Sequence[GroupTally], threshold: int
) -> list[GroupFigures]:
    figures = []
    for group in tallies:
        name = (*scope, group.group)
        whole_row = (*name, "size") in table.hidden_whole and not protection.shows((*name, "size"))
        few_offers = whole_row or 0 < group.offered < threshold
        figures.append(GroupFigures(
            group=group.group,  # type: ignore[arg-type]
            too_small=whole_row,
            size=_figure(group.size, not protection.shows((*name, "size"))),
            counts={status: _figure(count, not protection.shows((*name, status)))
                    for status, count in group.counts.items()},
            median_days_to_offer=_figure(group.median_days_to_offer, few_offers),
            share_offered_within_deadline=_figure(
                group.share_within_deadline, few_offers or (*name, "share") in protection.withdrawn_shares
            ),
        ))
    return figures


def protect_summary(tallies: Sequence[GroupTally], threshold: int) -> list[GroupFigures]:
    """One table's figures (its groups protected together), as if nothing else were published."""
    table = Table(values={})
    _add_rows(table, (), tallies, threshold, published=True)
    return _figures(table, protect(table, threshold), (), tallies, threshold)


TOWN: Key = ("town",)
UNASSIGNED: Key = ("unassigned",)


def _caseload(adviser: str) -> Key:
    return ("adviser", adviser)


@dataclass(frozen=True)
class ProtectedCaseloads:
    town: list[GroupFigures]
    advisers: dict[str, list[GroupFigures]]


def protect_caseloads(loads: Caseloads, threshold: int) -> ProtectedCaseloads:
    """The town's summary and every caseload's, protected as one table: each town figure is the sum of the
    caseloads' and the unassigned people's, so no combination of the published summaries (the town less every
    other caseload, say) pins a hidden count, nor a small count of the people no adviser holds."""
    table = Table(values={})
    _add_rows(table, TOWN, loads.town, threshold, published=True)
    for adviser, tallies in loads.advisers.items():
        _add_rows(table, _caseload(adviser), tallies, threshold, published=True)
    _add_rows(table, UNASSIGNED, loads.unassigned, threshold, published=False)
    parts = [_caseload(adviser) for adviser in loads.advisers] + [UNASSIGNED]
    for group in loads.town:
        for cell in ("size", *group.counts):
            table.sums.append(((*TOWN, group.group, cell), tuple((*part, group.group, cell) for part in parts)))
    protection = protect(table, threshold)
    return ProtectedCaseloads(
        town=_figures(table, protection, TOWN, loads.town, threshold),
        advisers={adviser: _figures(table, protection, _caseload(adviser), tallies, threshold)
                  for adviser, tallies in loads.advisers.items()},
    )


def suppress(group: GroupTally, threshold: int) -> GroupFigures:
    """One group's figures on their own, protected as in the summary."""
    return protect_summary([group], threshold)[0]


SUMMARY_NOTES = (
    "A figure with fewer than {threshold} people behind it is null with suppressed=true; when a group has "
    "fewer than {threshold} people (none included), all its figures are suppressed (too_small). Further counts "
    "(and the share within the deadline) are hidden until no hidden count can be worked out from the shown ones: "
    "from a group's size, from the whole town's counts, from a share, or from the other summaries (the town's is "
    "the sum of every caseload's and of the people no adviser holds; all are protected together). Other zero "
    "counts are shown.",
    "Counts are of people by their current clock. People who left NEET without an offer are not counted.",
    "Median days to offer and the share within the deadline are over people whose current clock ended in an "
    "offer (met or met_late).",
    "A person who is erased leaves every list; if they had an offer it stays in these figures as an anonymous "
    "outcome, so the counts do not move; a clock still running when erased leaves the figures.",
)


def summary(
    *, session: Session, now: dt.datetime, rules: ClockRules, adviser: str | None = None
) -> GuaranteeSummary:
    """Counts, median days to offer and share in time, overall and per priority group, small figures hidden, for
    the town or one adviser's caseload."""
    threshold = rules.suppression_threshold
    loads = caseloads(session=session, now=now, rules=rules)
    protected = protect_caseloads(loads, threshold)
    if adviser is None:
        figures = protected.town
    else:
        # A caseload with nobody in it: zeros, which say nothing about anyone.
        figures = protected.advisers.get(adviser) or protect_summary(_tallies([], [], rules), threshold)
    return GuaranteeSummary(
        as_at=now,
        adviser=adviser,
        deadline_days=rules.deadline_days,
        warning_days=rules.warning_days,
        suppression_threshold=threshold,
        overall=figures[0],
        groups=figures[1:],
        notes=[note.format(threshold=threshold) for note in SUMMARY_NOTES],
    )


def rebuild_episodes(
    session: Session,
    profile_id: uuid.UUID,
    history: Sequence[tuple[int, str, dt.datetime]],
    offers: Sequence[tuple[dt.datetime, uuid.UUID]],
    registered_at: dt.datetime | None,
) -> None:
    """Replace a person's stored episodes with those derived from the facts known now."""
    spans = derive_episodes(history, offers, registered_at)
    existing = {
        row.number: row
        for row in session.scalars(select(EpisodeRow).where(EpisodeRow.profile_id == profile_id))
    }
    for span in spans:
        row = existing.pop(span.number, None)
        if row is None:
            row = EpisodeRow(profile_id=profile_id, number=span.number)
            session.add(row)
        row.started_at = span.started_at
        row.ended_at = span.ended_at
        row.offer_at = span.offer_at
        row.offer_referral_id = span.offer_referral_id
        row.is_current = span.number == len(spans)
    for stale in existing.values():
        session.delete(stale)
