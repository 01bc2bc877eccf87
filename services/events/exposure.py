"""The exposure audit: for the candidate lists advisers see for each open opportunity (the matcher's top k young
people; rank r weighs 1/log2(r + 1)), each priority group's share of the exposure against its share of the
eligible candidates, overall and per opportunity type, under the disclosure control of every published figure.

The matcher gives lists and eligibility by profile id only; the groups (SEND included, from the restricted topic)
are joined here, so the matcher never holds special category data. A share is a ratio of weighted sums over
person-and-opportunity pairs whose totals are not published, and groups overlap (a person may be in several), so
shares of different groups say nothing of each other; within a group, its shares by type are shown only when every
one of its counts is (see _shares_hidden), and a share only ever beside a shown count of people."""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from services.common.errors import Unavailable
from services.events.candidates import CandidateLists, CandidateSource, MatcherUnavailable
from services.events.disclosure import Key, Protection, Table, protect
from services.events.guarantee import groups_of
from services.events.models import Person
from services.events.schemas import ExposureGroup, ExposureKind, ExposureRead, Figure
from services.messaging.vocabulary import OPPORTUNITY_TYPES, PRIORITY_GROUPS

log = logging.getLogger(__name__)

ALL = "all"
EVERYONE = "everyone"


def rank_weight(rank: int) -> float:
    """The exposure of the candidate at this place in a list (1 for the first): 1 / log2(rank + 1)."""
    return 1.0 / math.log2(rank + 1)


@dataclass
class Tallies:
    """Unprotected sums by (kind, group): kind is `all` or an opportunity type; group a priority group or
    `everyone`. `eligible` and `exposure` are over person-and-opportunity pairs; `people` counts each person once."""

    kinds: list[str] = field(default_factory=list)
    opportunities: dict[str, int] = field(default_factory=dict)
    people: dict[tuple[str, str], int] = field(default_factory=dict)
    eligible: dict[tuple[str, str], float] = field(default_factory=dict)
    exposure: dict[tuple[str, str], float] = field(default_factory=dict)


def tally(lists: CandidateLists, groups: Mapping[uuid.UUID, Sequence[str]]) -> Tallies:
    """Exposure and eligibility per group, overall and per type. `groups` holds every person this service knows
    (with no group or several); people it does not know (not read yet, or erased) count nowhere."""
    types = [kind for kind in OPPORTUNITY_TYPES if any(item.type == kind for item in lists.lists)]
    out = Tallies(kinds=[ALL, *types])
    names = (EVERYONE, *PRIORITY_GROUPS)
    for kind in out.kinds:
        out.opportunities[kind] = sum(1 for item in lists.lists if kind in (ALL, item.type))
        for name in names:
            out.people[(kind, name)] = 0
            out.eligible[(kind, name)] = 0.0
            out.exposure[(kind, name)] = 0.0

    def members(profile_id: uuid.UUID) -> tuple[str, ...] | None:
        known = groups.get(profile_id)
        return None if known is None else (EVERYONE, *known)

    for item in lists.lists:
        for rank, profile_id in enumerate(item.profile_ids, 1):
            for name in members(profile_id) or ():
                for kind in (ALL, item.type):
                    out.exposure[(kind, name)] += rank_weight(rank)
    for person in lists.eligible:
        in_groups = members(person.profile_id)
        if in_groups is None:
            continue
        by_type: dict[str, int] = {str(kind): count for kind, count in person.by_type.items()}
        for kind in out.kinds:
            count = sum(by_type.values()) if kind == ALL else by_type.get(kind, 0)
            if count <= 0:
                continue
            for name in in_groups:
                out.people[(kind, name)] += 1
                out.eligible[(kind, name)] += count
    return out


def _table(tallies: Tallies, threshold: int) -> Table:
    """The counts of people as one table: a group is at most everyone of its kind, a type's group at most the
    group overall, and the group overall at most the sum over types (a person may be eligible for several).
    A row with fewer people than the threshold, none included, is hidden whole, as in the guarantee summary."""
    table = Table(values={})
    types = [kind for kind in tallies.kinds if kind != ALL]
    for (kind, name), count in tallies.people.items():
        cell: Key = (kind, name)
        table.values[cell] = count
        if count < threshold:
            table.hidden_whole.add(cell)
            table.ranges[cell] = (0, threshold - 1)
        if name != EVERYONE:
            table.at_most.append((cell, (kind, EVERYONE)))
        if kind != ALL:
            table.at_most.append((cell, (ALL, name)))
    if types:
        for name in (EVERYONE, *PRIORITY_GROUPS):
            table.sums_at_most.append(((ALL, name), tuple((kind, name) for kind in types)))
    return table


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _figure(value: float | None, hide: bool, digits: int) -> Figure:
    if hide:
        return Figure(value=None, suppressed=True)
    return Figure(value=None if value is None else round(value, digits), suppressed=False)


def _shares_hidden(protection: Protection, kinds: Sequence[str]) -> set[tuple[str, str]]:
    """The rows whose shares and ratio are withheld. A group's overall share is a weighted mean of its shares by
    type, with weights a reader can estimate from groups shown in full (everyone's exposure by type is about the
    number of lists times the weight of a full list), so one hidden type row could be worked out from the overall
    row and the other types. A group's shares are therefore shown by type only when every one of its counts is
    shown, and overall only when its overall count is."""
    hidden: set[tuple[str, str]] = set()
    for name in PRIORITY_GROUPS:
        cells = [(kind, name) for kind in kinds]
        every_count_shown = all(protection.shows(cell) for cell in cells)
        for kind, cell in zip(kinds, cells, strict=True):
            if not protection.shows(cell) or (kind != ALL and not every_count_shown):
                hidden.add(cell)
    return hidden


def protect_exposure(tallies: Tallies, threshold: int) -> list[ExposureKind]:
    """Every kind's figures, protected together: counts from 1 to threshold - 1 hidden, small rows hidden whole,
    and more hidden until no hidden count can be worked out; a hidden count hides its row's shares and ratio, and
    a group's shares by type go too when one of its counts is hidden (see _shares_hidden)."""
    table = _table(tallies, threshold)
    protection: Protection = protect(table, threshold)
    withheld = _shares_hidden(protection, tallies.kinds)
    kinds = []
    for kind in tallies.kinds:
        whole_exposure = tallies.exposure[(kind, EVERYONE)]
        whole_eligible = tallies.eligible[(kind, EVERYONE)]
        rows = []
        for name in PRIORITY_GROUPS:
            cell = (kind, name)
            hide = not protection.shows(cell)
            exposure_share = _share(tallies.exposure[cell], whole_exposure)
            eligible_share = _share(tallies.eligible[cell], whole_eligible)
            ratio = (exposure_share / eligible_share
                     if exposure_share is not None and eligible_share else None)
            rows.append(ExposureGroup(
                group=name,
                too_small=hide and cell in table.hidden_whole,
                people=_figure(tallies.people[cell], hide, 0),
                eligible_share=_figure(eligible_share, cell in withheld, 3),
                exposure_share=_figure(exposure_share, cell in withheld, 3),
                ratio=_figure(ratio, cell in withheld, 2),
            ))
        everyone = (kind, EVERYONE)
        kinds.append(ExposureKind(
            type=kind,  # type: ignore[arg-type]
            opportunities=tallies.opportunities[kind],
            people=_figure(tallies.people[everyone], not protection.shows(everyone), 0),
            groups=rows,
        ))
    return kinds


NOTES = (
    "For each open opportunity, the candidate list an adviser sees: the matcher's top {k} young people. The place "
    "r in a list carries exposure 1/log2(r + 1) (1 for the first, 0.63 for the second, 0.29 for the tenth).",
    "Share of exposure: the group's exposure over everyone's. Share of eligible: the group's eligible candidacies "
    "(one per person and opportunity they are eligible for) over everyone's. Ratio: the first over the second; "
    "1 means the group is shown as often as its share of eligible candidates, below 1 less often.",
    "A count with fewer than {threshold} people behind it is hidden, and a group with fewer people, none "
    "included, is hidden whole (too_small); further counts are hidden until no hidden count can be worked out from "
    "the shown ones. A hidden count hides its shares and ratio too, and a group's shares by type are shown only "
    "when all its counts are (else its overall share could give a hidden one away).",
    "Priority groups are never inputs of the ranking: the matcher never receives them, nor SEND or any other "
    "special category data. They are joined here, in the events service, with the lists the matcher gives by "
    "profile id. People the events service does not know yet count nowhere.",
)


def audit(*, session: Session, lists: CandidateLists, threshold: int, as_at: dt.datetime) -> ExposureRead:
    """The protected exposure table for these lists, with the groups this service holds."""
    groups = {person.profile_id: groups_of(person)
              for person in session.scalars(select(Person).where(Person.registered_at.is_not(None)))}
    tallies = tally(lists, groups)
    return ExposureRead(
        as_at=as_at,
        list_length=lists.k,
        suppression_threshold=threshold,
        kinds=protect_exposure(tallies, threshold),
        notes=[note.format(k=lists.k, threshold=threshold) for note in NOTES],
    )


class AuditInProgress(Unavailable):
    """No audit is kept yet and the one being made took longer than a request waits."""


class ExposureAudit:
    """The latest audit, made again when older than `max_age` (or by `refresh`, from a background thread). One is
    made at a time, in a thread of its own: a request waits at most `wait` for it and otherwise gets the previous
    audit with its own time (or, with none kept, a 503 to try again), so a large index or a hung matcher holds no
    request for minutes and no request starts a second ranking of every list. If the matcher does not answer, the
    previous audit is kept and served with its own time."""

    def __init__(self, *, source: CandidateSource, session_factory: sessionmaker[Session], threshold: int, k: int,
                 max_age: dt.timedelta, now: Callable[[], dt.datetime], wait: float) -> None:
        self.source = source
        self.session_factory = session_factory
        self.threshold = threshold
        self.k = k
        self.max_age = max_age
        self.now = now
        self.wait = wait
        self._latest: ExposureRead | None = None
        self._failure: Unavailable | None = None
        self._making: threading.Thread | None = None
        self._lock = threading.Lock()

    def current(self) -> ExposureRead:
        """The audit, at most `max_age` old when the matcher answers in time; with none kept, raises
        AuditInProgress while one is being made and Unavailable (MatcherUnavailable: the matcher is away) when
        making one failed."""
        latest = self._latest
        if latest is not None and self.now() - latest.as_at <= self.max_age:
            return latest
        making = self._making_one()
        making.join(self.wait)
        fresh = self._latest
        if fresh is not None and fresh is not latest:
            return fresh
        if latest is not None:
            log.warning("exposure audit: serving the audit of %s while a new one is made or the matcher is away",
                        latest.as_at)
            return latest
        if making.is_alive():
            raise AuditInProgress("the exposure audit is being made (the matcher ranks every open opportunity's "
                                  "list); try again in a minute")
        raise self._failure or MatcherUnavailable("the exposure audit could not be made")

    def refresh(self) -> None:
        """Makes a new audit and waits for it (the background refresh)."""
        self._making_one().join()
        if self._failure is not None:
            log.warning("exposure audit not refreshed: %s", self._failure)

    def _making_one(self) -> threading.Thread:
        with self._lock:
            if self._making is None or not self._making.is_alive():
                self._making = threading.Thread(target=self._make, name="exposure-audit-making", daemon=True)
                self._making.start()
            return self._making

    def _make(self) -> None:
        as_at = self.now()
        try:
            lists = self.source.candidate_lists(self.k)
            with self.session_factory() as session:
                self._latest = audit(session=session, lists=lists, threshold=self.threshold, as_at=as_at)
        except Unavailable as exc:
            self._failure = exc
            return
        except Exception as exc:
            log.exception("exposure audit: making it failed")
            self._failure = Unavailable(f"the exposure audit could not be made ({type(exc).__name__})")
            return
        self._failure = None
