"""The Department for Education's returns and the Youth Guarantee's indicators, derived from the activity record and
the guarantee clock as at any past date: the headline NEET and not known measure (the December-February average),
the EU indicator framework's figures and the September Guarantee table. Every figure is published under the
disclosure control, the town's and every caseload's together (as the guarantee summary is)."""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.errors import RuleViolation
from services.common.school_years import SeptemberCohort, academic_year_of, september_cohort
from services.events.activity import NEET_GROUPS, NOT_KNOWN, ActivityOn, CurrencyDays, PersonRecord, load_people
from services.events.config import EventsSettings
from services.events.disclosure import Key, Protection, Table, protect
from services.events.guarantee import ClockRules, days_between, in_time, stopped_at, waiting_on
from services.events.models import Episode, ErasedExit, ReferralMilestone
from services.events.schemas import (
    Figure,
    HeadlineRead,
    IndicatorsRead,
    RowFigures,
    SeptemberGuaranteeRead,
)
from services.messaging.vocabulary import (
    ACTIVITY_CURRENCY_DAYS,
    ACTIVITY_GROUPS,
    PRIORITY_GROUPS,
    SEPTEMBER_GUARANTEE_OUTCOMES,
    ActivityGroup,
)


@dataclass(frozen=True)
class ReturnsRules:
    clock: ClockRules = field(default_factory=ClockRules)
    currency: CurrencyDays = field(default_factory=lambda: dict(ACTIVITY_CURRENCY_DAYS))
    neet_population_estimate: int | None = None

    @classmethod
    def from_settings(cls, settings: EventsSettings) -> ReturnsRules:
        return cls(ClockRules.from_settings(settings), settings.activity_currency_days,
                   settings.neet_population_estimate)

    @property
    def threshold(self) -> int:
        return self.clock.suppression_threshold


# ---- Publishing a set of breakdowns under the disclosure control ----

Scope = str
TOWN: Scope = "town"
UNASSIGNED: Scope = "unassigned"
InScope = Callable[[str | None], bool]
# A table's rows for the people in scope; the whole town's with every breakdown, a caseload's with fewer (no priority
# group rows: too few people in each to show, and what makes protecting every caseload together affordable).
Builder = Callable[[InScope, bool], list["Breakdown"]]


def _scope(adviser: str | None) -> Scope:
    return TOWN if adviser is None else f"adviser:{adviser}"


@dataclass(frozen=True)
class Breakdown:
    """One row of a table: people split into categories that add up to its size; `combined` cells are sums of
    categories; `shares` are categories (or combined cells) published as shares of the size (only where both counts
    are shown); a row `within` another counts some of that row's people."""

    key: Key
    counts: Mapping[str, int]
    within: Key | None = None
    combined: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    shares: tuple[str, ...] = ()

    def cells(self) -> dict[str, int]:
        cells = {"size": sum(self.counts.values()), **self.counts}
        cells.update({name: sum(self.counts[part] for part in parts) for name, parts in self.combined.items()})
        return cells


@dataclass(frozen=True)
class Layout:
    """How a table's rows relate besides their own sums: `totals` rows are the sum of other rows, cell by cell;
    `same_size` rows count the same people."""

    totals: Sequence[tuple[Key, tuple[Key, ...]]] = ()
    same_size: Sequence[tuple[Key, Key]] = ()


def _add_scope(table: Table, scope: Scope, rows: Sequence[Breakdown], layout: Layout, threshold: int) -> None:
    published = scope != UNASSIGNED
    for row in rows:
        name = (scope, *row.key)
        cells = row.cells()
        keys = {(*name, cell) for cell in cells}
        table.values.update({(*name, cell): value for cell, value in cells.items()})
        table.sums.append(((*name, "size"), tuple((*name, category) for category in row.counts)))
        table.sums += [((*name, cell), tuple((*name, part) for part in parts)) for cell, parts in row.combined.items()]
        if row.within is not None:
            table.at_most += [((*name, cell), (scope, *row.within, cell)) for cell in cells]
        if not published:
            table.unpublished.update(keys)
        elif cells["size"] < threshold:
            table.hidden_whole.update(keys)
            table.ranges.update(dict.fromkeys(keys, (0, threshold - 1)))
    cells_of = {row.key: list(row.cells()) for row in rows}
    for total, parts in layout.totals:
        if total not in cells_of or any(part not in cells_of for part in parts):
            continue
        table.sums += [((scope, *total, cell), tuple((scope, *part, cell) for part in parts))
                       for cell in cells_of[total]]
    table.sums += [((scope, *one, "size"), ((scope, *other, "size"),)) for one, other in layout.same_size
                   if one in cells_of and other in cells_of]


@dataclass(frozen=True)
class Published:
    """The figures of one scope (the town or a caseload) after the disclosure control."""

    scope: Scope
    rows: dict[Key, Breakdown]
    table: Table
    protection: Protection

    def figures(self, key: Key, label: str, scale: int = 1) -> RowFigures:
        """A row's counts (divided by `scale`, for a mean over months) and shares."""
        row = self.rows[key]
        name = (self.scope, *key)
        cells = row.cells()

        def count(cell: str) -> Figure:
            if not self.protection.shows((*name, cell)):
                return Figure(value=None, suppressed=True)
            value = cells[cell]
            return Figure(value=value if scale == 1 else round(value / scale, 1), suppressed=False)

        def share(cell: str) -> Figure:
            # Shown only with both its counts, so it says nothing they do not.
            if not (self.protection.shows((*name, cell)) and self.protection.shows((*name, "size"))):
                return Figure(value=None, suppressed=True)
            return Figure(value=round(cells[cell] / cells["size"], 3) if cells["size"] else None, suppressed=False)

        return RowFigures(
            label=label,
            too_small=(*name, "size") in self.table.hidden_whole and not self.protection.shows((*name, "size")),
            size=count("size"),
            counts={cell: count(cell) for cell in (*row.counts, *row.combined)},
            shares={cell: share(cell) for cell in row.shares},
        )


def publish(
    build: Builder, advisers: Iterable[str], threshold: int, layout: Layout = Layout()
) -> dict[str | None, Published]:
    """The town's rows, each caseload's and those of the people no adviser holds (never published), protected
    together: the town's cells are the sums of the others', so no hidden count follows from a difference."""
    holders = sorted(set(advisers))
    scoped: dict[Scope, list[Breakdown]] = {TOWN: build(lambda _adviser: True, True),
                                            UNASSIGNED: build(lambda a: a is None, False)}
    scoped |= {_scope(adviser): build(lambda a, adviser=adviser: a == adviser, False)  # type: ignore[misc]
               for adviser in holders}
    table = Table(values={})
    for scope, rows in scoped.items():
        _add_scope(table, scope, rows, layout, threshold)
    parts = [scope for scope in scoped if scope != TOWN]
    keys = {scope: {row.key for row in rows} for scope, rows in scoped.items()}
    for row in scoped[TOWN]:
        if any(row.key not in keys[part] for part in parts):
            continue
        for cell in row.cells():
            table.sums.append(((TOWN, *row.key, cell), tuple((part, *row.key, cell) for part in parts)))
    protection = protect(table, threshold)
    result: dict[str | None, Published] = {
        adviser: Published(_scope(adviser), {row.key: row for row in scoped[_scope(adviser)]}, table, protection)
        for adviser in holders
    }
    result[None] = Published(TOWN, {row.key: row for row in scoped[TOWN]}, table, protection)
    return result


def _chosen(published: dict[str | None, Published], adviser: str | None,
            build: Builder, threshold: int, layout: Layout) -> Published:
    """The scope asked for; a caseload nobody was on: zeros, which say nothing about anyone."""
    if adviser in published:
        return published[adviser]
    return publish(lambda _in_scope, _town: build(lambda _a: False, False), [], threshold, layout)[None]


def _advisers(people: Iterable[PersonRecord]) -> set[str]:
    return {adviser for person in people for _, _, adviser in person.advisers if adviser}


EARLIEST = dt.date(2000, 1, 1)


def check_as_at(as_at: dt.date, today: dt.date) -> None:
    if as_at < EARLIEST:
        raise RuleViolation("as_at", "not_before_2000", "as_at must be on or after 2000-01-01", location="query")
    if as_at > today:
        raise RuleViolation("as_at", "not_in_future", f"as_at must be on or before today ({today.isoformat()})",
                            location="query")


# ---- The headline measure ----

HEADLINE_AGES = (16, 17)
HeadlineCategory = Literal["neet", "not_known", "participating"]
HEADLINE_CATEGORIES: tuple[HeadlineCategory, ...] = get_args(HeadlineCategory)
NEET_OR_NOT_KNOWN = "neet_or_not_known"
AVERAGE = "average"


def headline_category(activity: ActivityOn) -> HeadlineCategory:
    """NEET (available or not), not known (8xx, lapsed or nothing recorded), or in learning or work (re-engagement
    included, as the DfE counts it)."""
    if activity.group in NEET_GROUPS:
        return "neet"
    return "not_known" if activity.group == NOT_KNOWN else "participating"


def winter_month_ends(winter: int) -> list[dt.date]:
    """The last days of December of `winter` and of the January and February after it."""
    return [dt.date(winter, 12, 31), dt.date(winter + 1, 1, 31),
            dt.date(winter + 1, 2, calendar.monthrange(winter + 1, 2)[1])]


def latest_winter(as_at: dt.date) -> int:
    """The newest winter whose first month end (31 December) is on or before `as_at`."""
    return as_at.year if as_at >= dt.date(as_at.year, 12, 31) else as_at.year - 1


HEADLINE_NOTES = (
    "The cohort is the young people of academic age 16 and 17 (their age on the 31 August before the academic year) "
    "registered with the hub on or before each month end, and not erased.",
    "NEET is any activity in the NEET groups (available or not) on the month end; not known is an 8xx code, an "
    "activity whose currency had lapsed by then (not confirmed within its period) or no activity recorded for the "
    "day. The rest are in education, employment, training or re-engagement.",
    "The average is over the month ends reached by as_at (all three once complete): its counts are the mean per "
    "month end and its shares the months' counts over the months' cohorts, as the DfE's 3-month average.",
    "Priority groups are each person's current ones, for the town's figures (a caseload's are overall only); a "
    "caseload is the people an adviser held on each month end.",
    "A count with fewer than {threshold} people behind it is hidden (null, suppressed), as are further counts until "
    "no hidden one can be worked out from what is shown, across the town and every caseload; a row with fewer than "
    "{threshold} people is hidden whole (too_small).",
)


def headline(*, session: Session, as_at: dt.date, winter: int | None, adviser: str | None,
             rules: ReturnsRules) -> HeadlineRead:
    """NEET and not known as shares of the 16-17 year olds known to the hub on the last day of December, January and
    February, each month and averaged, overall and by priority group."""
    winter = latest_winter(as_at) if winter is None else winter
    ends = winter_month_ends(winter)
    reached = [end for end in ends if end <= as_at]
    if not reached:
        raise RuleViolation("winter", "reached_by_as_at",
                            f"the winter {winter} starts being counted on {ends[0].isoformat()}, after as_at",
                            location="query")
    people = load_people(session, known_on=as_at)
    groups = ("all", *PRIORITY_GROUPS)
    # Each person counted on each month end, once: (month end, their adviser then, category, their groups).
    cohort = [(end.isoformat(), person.adviser_on(end), headline_category(person.activity_on(end, rules.currency)),
               ("all", *person.groups))
              for end in reached for person in people
              if person.known_on(end) and person.academic_age_on(end) in HEADLINE_AGES]

    def build(in_scope: InScope, town: bool) -> list[Breakdown]:
        shown = groups if town else ("all",)
        counted: dict[tuple[str, str], dict[str, int]] = {
            (end.isoformat(), group): dict.fromkeys(HEADLINE_CATEGORIES, 0) for end in reached for group in groups}
        for end_day, holder, category, of_groups in cohort:
            if in_scope(holder):
                for group in of_groups:
                    counted[(end_day, group)][category] += 1
        rows = []
        for label in (*[end.isoformat() for end in reached], AVERAGE):
            for group in shown:
                counts = counted.get((label, group)) or {
                    category: sum(counted[(end.isoformat(), group)][category] for end in reached)
                    for category in HEADLINE_CATEGORIES
                }
                rows.append(Breakdown((label, group), counts, within=None if group == "all" else (label, "all"),
                                      combined={NEET_OR_NOT_KNOWN: ("neet", "not_known")},
                                      shares=("neet", "not_known", NEET_OR_NOT_KNOWN)))
        return rows

    layout = Layout(totals=[((AVERAGE, group), tuple((end.isoformat(), group) for end in reached))
                            for group in groups])
    published = _chosen(publish(build, _advisers(people), rules.threshold, layout), adviser, build,
                        rules.threshold, layout)
    return HeadlineRead(
        winter=winter,
        month_ends=ends,
        as_at=as_at,
        adviser=adviser,
        complete=len(reached) == len(ends),
        suppression_threshold=rules.threshold,
        average=[published.figures((AVERAGE, group), group, scale=len(reached)) for group in groups
                 if (AVERAGE, group) in published.rows],
        months={end: [published.figures((end.isoformat(), group), group) for group in groups
                      if (end.isoformat(), group) in published.rows] for end in reached},
        notes=[note.format(threshold=rules.threshold) for note in HEADLINE_NOTES],
    )


# ---- The Youth Guarantee indicators ----

ExitType = Literal["offer_accepted", "offer_made", "activity_change", "not_known"]
EXIT_TYPES: tuple[ExitType, ...] = get_args(ExitType)
POSITIVE_GROUPS: frozenset[ActivityGroup] = frozenset({"education", "apprenticeship", "employment"})
TRAINEESHIP = 410
FOLLOW_UP_MONTHS = (6, 12, 18)
UNKNOWN, NOT_YET_DUE = "unknown", "not_yet_due"
SITUATIONS: tuple[str, ...] = (*[group for group in ACTIVITY_GROUPS if group != NOT_KNOWN], UNKNOWN)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months later (the month's last day when it is shorter)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def is_positive(activity: ActivityOn) -> bool:
    """Employment, an apprenticeship, education or a traineeship."""
    return activity.group in POSITIVE_GROUPS or activity.code == TRAINEESHIP


@dataclass(frozen=True)
class Exit:
    """A person who stopped waiting for an offer: when, after how many days, how, into which activity group, on whose
    caseload; `person` is None once they are erased (an anonymous tally: their later situation is unknown)."""

    on: dt.date
    waited_days: float
    type: ExitType
    destination: ActivityGroup
    positive: bool
    adviser: str | None
    person: PersonRecord | None


def destination_of(person: PersonRecord, day: dt.date, as_at: dt.date, currency: CurrencyDays) -> ActivityOn:
    """The activity entered on leaving: the one on the exit day, or if that is still NEET (an offer not started
    yet) or not known (a NEET activity left unconfirmed) the first known activity outside NEET that started after
    it, by as_at."""
    on_exit = person.activity_on(day, currency)
    if on_exit.group not in (*NEET_GROUPS, NOT_KNOWN):
        return on_exit
    starts = sorted(spell.started_on for spell in person.spells
                    if day < spell.started_on <= as_at and person.activity_on(spell.started_on, currency).group
                    not in (*NEET_GROUPS, NOT_KNOWN))
    return person.activity_on(starts[0], currency) if starts else on_exit


def person_exits(session: Session, people: Sequence[PersonRecord], *, as_at: dt.date,
                 currency: CurrencyDays) -> list[Exit]:
    """Every stop of these people's guarantee clocks by `as_at`, with its type and destination."""
    by_id = {person.profile_id: person for person in people}
    accepted = dict(session.execute(
        select(ReferralMilestone.referral_id, ReferralMilestone.at).where(ReferralMilestone.status == "accepted")
    ).tuples().all())
    query = select(Episode)
    if len(by_id) == 1:
        query = query.where(Episode.profile_id == next(iter(by_id)))
    found = []
    for episode in session.scalars(query):
        person = by_id.get(episode.profile_id)
        stop = stopped_at(ended_at=episode.ended_at, offer_at=episode.offer_at)
        if person is None or stop is None or stop.date() > as_at:
            continue
        destination = destination_of(person, stop.date(), as_at, currency)
        kind: ExitType
        if episode.offer_at is not None:
            taken = accepted.get(episode.offer_referral_id) if episode.offer_referral_id else None
            kind = "offer_accepted" if taken is not None and taken.date() <= as_at else "offer_made"
        else:
            kind = "not_known" if destination.group == NOT_KNOWN else "activity_change"
        found.append(Exit(stop.date(), days_between(episode.started_at, stop), kind, destination.group,
                          is_positive(destination), person.adviser_on(stop.date()), person))
    return found


def erased_exits(session: Session) -> list[Exit]:
    return [Exit(row.stopped_on, row.waited_days, row.type, row.destination, row.positive,  # type: ignore[arg-type]
                 row.adviser_id, None) for row in session.scalars(select(ErasedExit))]


def keep_exits_of_erased(session: Session, profile_id: uuid.UUID, erased_on: dt.date) -> None:
    """Before a person is erased, their exits as anonymous tallies (as at the erasure, by the vocabulary's currency
    periods), so the exit figures do not move when someone is erased."""
    for one in person_exits(session, load_people(session, only=profile_id), as_at=erased_on,
                            currency=ACTIVITY_CURRENCY_DAYS):
        session.add(ErasedExit(stopped_on=one.on, waited_days=one.waited_days, type=one.type,
                               destination=one.destination, positive=one.positive, adviser_id=one.adviser))


def situation_after(exit_: Exit, months: int, as_at: dt.date, currency: CurrencyDays) -> str:
    """Where an exiter was `months` after leaving: their activity group, `unknown` when not known, lapsed, not
    recorded or erased, `not_yet_due` when that day is after as_at."""
    day = add_months(exit_.on, months)
    if day > as_at:
        return NOT_YET_DUE
    if exit_.person is None:
        return UNKNOWN
    group = exit_.person.activity_on(day, currency).group
    return UNKNOWN if group == NOT_KNOWN else group


INDICATOR_NOTES = (
    "Waiting: people whose guarantee clock was running on as_at (NEET, or NEET turned not known, with no offer yet). "
    "Coverage is their number over the hub's estimate of the young people NEET in its area "
    "(EVENTS_NEET_POPULATION_ESTIMATE); with no estimate set it is not worked out.",
    "Exits: clocks stopped from since to as_at: by an offer the person accepted (offer_accepted), an offer not "
    "accepted by as_at (offer_made), leaving NEET for a known activity (activity_change) or for one not known "
    "(not_known). The destination is the activity group entered (for an offer not started yet, the first activity "
    "outside NEET that started after it, by as_at). Timely: within the deadline of the clock's start. Positive: "
    "employment, an apprenticeship, education or a traineeship (410).",
    "Follow-up: each exiter's activity group 6, 12 and 18 months after leaving; an activity not known, lapsed or not "
    "recorded counts as unknown; not_yet_due where that day is after as_at.",
    "A person erased leaves the count of people waiting; an exit of theirs stays in as an anonymous tally (its type "
    "and destination as at the erasure), and their situation after it counts as unknown.",
    "A count with fewer than {threshold} people behind it is hidden, as are further counts until no hidden one can "
    "be worked out from what is shown, across the town and every caseload.",
)


def indicators(*, session: Session, as_at: dt.date, since: dt.date | None, adviser: str | None,
               rules: ReturnsRules) -> IndicatorsRead:
    """The Youth Guarantee indicators as at a date, exits over the period from `since` (default: a year before)."""
    since = add_months(as_at, -12) + dt.timedelta(days=1) if since is None else since
    if since > as_at:
        raise RuleViolation("since", "on_or_before_as_at", "since must be on or before as_at", location="query")
    people = load_people(session, known_on=as_at)
    by_id = {person.profile_id: person for person in people}
    waiting = [(by_id[episode.profile_id], episode) for episode in session.scalars(select(Episode))
               if episode.profile_id in by_id and waiting_on(started_at=episode.started_at, ended_at=episode.ended_at,
                                                             offer_at=episode.offer_at, day=as_at)]
    left = [one for one in (*person_exits(session, people, as_at=as_at, currency=rules.currency),
                            *erased_exits(session)) if since <= one.on <= as_at]
    deadline = rules.clock.deadline_days
    # Where each exiter was 6, 12 and 18 months on, once (not again for every caseload).
    after = [{months: situation_after(one, months, as_at, rules.currency) for months in FOLLOW_UP_MONTHS}
             for one in left]

    def build(in_scope: InScope, _town: bool) -> list[Breakdown]:
        waits = [episode for person, episode in waiting if in_scope(person.adviser_on(as_at))]
        beyond = sum((as_at - episode.started_at.date()).days > deadline for episode in waits)
        mine = [one for one in left if in_scope(one.adviser)]
        mine_after = [situations for one, situations in zip(left, after, strict=True) if in_scope(one.adviser)]
        timeliness = {f"{'timely' if timely else 'late'}_{'positive' if positive else 'other'}": 0
                      for timely in (True, False) for positive in (True, False)}
        for one in mine:
            timely = in_time(one.waited_days, rules.clock)
            timeliness[f"{'timely' if timely else 'late'}_{'positive' if one.positive else 'other'}"] += 1
        rows = [
            Breakdown(("waiting",), {"within_deadline": len(waits) - beyond, "beyond_deadline": beyond},
                      shares=("beyond_deadline",)),
            Breakdown(("exits", "type"), {kind: sum(one.type == kind for one in mine) for kind in EXIT_TYPES}),
            Breakdown(("exits", "destination"),
                      {group: sum(one.destination == group for one in mine) for group in ACTIVITY_GROUPS}),
            Breakdown(("exits", "timeliness"), timeliness,
                      combined={"timely": ("timely_positive", "timely_other"),
                                "positive": ("timely_positive", "late_positive")},
                      shares=("timely", "positive", "timely_positive")),
        ]
        for months in FOLLOW_UP_MONTHS:
            counts = dict.fromkeys((*SITUATIONS, NOT_YET_DUE), 0)
            for situations in mine_after:
                counts[situations[months]] += 1
            rows.append(Breakdown(("after", str(months)), counts,
                                  combined={"due": SITUATIONS}))
        return rows

    layout = Layout(same_size=[(("exits", name), ("exits", "type")) for name in ("destination", "timeliness")]
                    + [(("after", str(months)), ("exits", "type")) for months in FOLLOW_UP_MONTHS])
    published = _chosen(publish(build, _advisers(people), rules.threshold, layout), adviser, build,
                        rules.threshold, layout)
    waiting_figures = published.figures(("waiting",), "waiting")
    estimate = rules.neet_population_estimate
    size = waiting_figures.size
    if estimate is None:
        coverage = Figure(value=None, suppressed=False)
    elif size.suppressed or size.value is None:
        coverage = Figure(value=None, suppressed=True)
    else:
        coverage = Figure(value=round(size.value / estimate, 3), suppressed=False)
    return IndicatorsRead(
        as_at=as_at,
        since=since,
        adviser=adviser,
        deadline_days=deadline,
        suppression_threshold=rules.threshold,
        neet_population_estimate=estimate,
        coverage=coverage,
        waiting=waiting_figures,
        exits_by_type=published.figures(("exits", "type"), "exits_by_type"),
        exits_by_destination=published.figures(("exits", "destination"), "exits_by_destination"),
        exits_by_timeliness=published.figures(("exits", "timeliness"), "exits_by_timeliness"),
        follow_up={months: published.figures(("after", str(months)), f"{months}_months_after_exit")
                   for months in FOLLOW_UP_MONTHS},
        notes=[*(["No NEET population estimate is set (EVENTS_NEET_POPULATION_ESTIMATE): coverage is not worked "
                  "out."] if estimate is None else []),
               *[note.format(threshold=rules.threshold) for note in INDICATOR_NOTES]],
    )


# ---- The September Guarantee ----

NOT_RECORDED = "not_recorded"
SEPTEMBER_CATEGORIES: tuple[str, ...] = (*SEPTEMBER_GUARANTEE_OUTCOMES, NOT_RECORDED)
SEPTEMBER_COHORTS: tuple[SeptemberCohort, ...] = get_args(SeptemberCohort)

SEPTEMBER_NOTES = (
    "A cohort is the young people known to the hub by as_at whose age on 31 August of the year puts them leaving "
    "Year 11 (16) or Year 12 (17); their outcome is the one recorded for that year by as_at, else not_recorded.",
    "A caseload is the people an adviser held on as_at. Counts below {threshold} are hidden as for every figure.",
)


def september_guarantee(*, session: Session, as_at: dt.date, year: int | None, adviser: str | None,
                        rules: ReturnsRules) -> SeptemberGuaranteeRead:
    """For the Year 11 and Year 12 leavers of a year: how many, and the shares with an offer made, no offer, an
    offer not appropriate, and nothing recorded."""
    newest = academic_year_of(as_at)
    year = newest if year is None else year
    if year > newest:
        raise RuleViolation("year", "reached_by_as_at", f"year must be {newest} or earlier as at {as_at.isoformat()}",
                            location="query")
    people = [person for person in load_people(session, known_on=as_at)
              if person.known_on(as_at) and person.date_of_birth]

    def build(in_scope: InScope, _town: bool) -> list[Breakdown]:
        counts = {cohort: dict.fromkeys(SEPTEMBER_CATEGORIES, 0) for cohort in SEPTEMBER_COHORTS}
        for person in people:
            assert person.date_of_birth is not None
            cohort = september_cohort(person.date_of_birth, year)
            if cohort is None or not in_scope(person.adviser_on(as_at)):
                continue
            outcome = person.september.get(year)
            counts[cohort][outcome[0] if outcome and outcome[1] <= as_at else NOT_RECORDED] += 1
        total = {category: sum(counts[cohort][category] for cohort in SEPTEMBER_COHORTS)
                 for category in SEPTEMBER_CATEGORIES}
        return [Breakdown((cohort,), counts[cohort], within=("all",), shares=SEPTEMBER_CATEGORIES)
                for cohort in SEPTEMBER_COHORTS] + [Breakdown(("all",), total, shares=SEPTEMBER_CATEGORIES)]

    layout = Layout(totals=[(("all",), tuple((cohort,) for cohort in SEPTEMBER_COHORTS))])
    published = _chosen(publish(build, _advisers(people), rules.threshold, layout), adviser, build,
                        rules.threshold, layout)
    return SeptemberGuaranteeRead(
        year=year,
        as_at=as_at,
        adviser=adviser,
        suppression_threshold=rules.threshold,
        cohorts=[published.figures((cohort,), cohort) for cohort in (*SEPTEMBER_COHORTS, "all")],
        notes=[note.format(threshold=rules.threshold) for note in SEPTEMBER_NOTES],
    )
