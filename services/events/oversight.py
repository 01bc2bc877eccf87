"""Human oversight, shown back: from the audit log, how many suggestion lists advisers were shown and how often
they went against them (dismissed a suggestion, referred outside the top suggestions or to one not suggested), with
the reasons they gave; for the town and each adviser, protected as one table (every adviser's figures and the
town's, which are their sums, read together)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.events.disclosure import Key, Protection, Table, protect
from services.events.models import StoredEvent
from services.events.schemas import Figure, OversightFigures, OversightSummary
from services.messaging.contract import EventType, OversightV1
from services.messaging.vocabulary import OVERSIGHT_NO_REASON, OVERSIGHT_SUMMARY_REASONS, OVERSIGHT_WORDS_ONLY

REASONS = OVERSIGHT_SUMMARY_REASONS
REFERRAL_KINDS = ("within_top", "outside_top", "not_suggested")
TOWN: Key = ("town",)
LISTS = (EventType.SUGGESTIONS_SERVED, EventType.CANDIDATES_SERVED)
DECISIONS = (EventType.SUGGESTION_DISMISSED, EventType.REFERRAL_CREATED)


@dataclass
class Tally:
    lists: int = 0
    candidate_lists: int = 0
    dismissed: Counter[str] = field(default_factory=Counter)
    referred: Counter[str] = field(default_factory=Counter)
    against: Counter[str] = field(default_factory=Counter)


def _reason(oversight: OversightV1) -> str:
    if oversight.reason is not None:
        return oversight.reason
    return OVERSIGHT_WORDS_ONLY if oversight.has_words else OVERSIGHT_NO_REASON


def _count_lists(session: Session, since: dt.datetime | None) -> tuple[dict[str, Tally], int]:
    """Lists served, counted by the database: to each adviser (by kind), and to young people themselves. Lists about
    people since erased (redacted) count no more."""
    viewer = StoredEvent.payload["viewer"].as_string()
    query = select(StoredEvent.event_type, viewer, func.count()).where(
        StoredEvent.event_type.in_([str(event_type) for event_type in LISTS]), StoredEvent.redacted_at.is_(None)
    )
    if since is not None:
        query = query.where(StoredEvent.occurred_at >= since)
    advisers: dict[str, Tally] = {}
    to_young_people = 0
    for event_type, seen_by, count in session.execute(query.group_by(StoredEvent.event_type, viewer)).tuples():
        if seen_by is None:
            to_young_people += count if event_type == EventType.SUGGESTIONS_SERVED else 0
        elif event_type == EventType.SUGGESTIONS_SERVED:
            advisers.setdefault(seen_by, Tally()).lists += count
        else:
            advisers.setdefault(seen_by, Tally()).candidate_lists += count
    return advisers, to_young_people


def _tally_decisions(advisers: dict[str, Tally], rows: Iterable[tuple[str, dict]]) -> None:
    """Each adviser's dismissals and referrals, with the reasons. Those about people since erased (redacted) count
    no more; referrals recorded before oversight (no `oversight`) are left out."""
    for event_type, payload in rows:
        if event_type == EventType.SUGGESTION_DISMISSED:
            oversight = OversightV1.model_validate(payload["oversight"])
            advisers.setdefault(payload["adviser_id"], Tally()).dismissed[_reason(oversight)] += 1
        elif payload.get("oversight") is not None and payload.get("adviser_id"):
            oversight = OversightV1.model_validate(payload["oversight"])
            tally = advisers.setdefault(payload["adviser_id"], Tally())
            kind = ("within_top" if oversight.within_top
                    else "not_suggested" if oversight.rank is None else "outside_top")
            tally.referred[kind] += 1
            if kind != "within_top":
                tally.against[_reason(oversight)] += 1


def _cells(scope: Key, tally: Tally) -> dict[Key, int]:
    cells: dict[Key, int] = {(*scope, "dismissed", reason): tally.dismissed[reason] for reason in REASONS}
    cells[(*scope, "dismissed", "all")] = sum(tally.dismissed.values())
    cells |= {(*scope, "referred", kind): tally.referred[kind] for kind in REFERRAL_KINDS}
    cells[(*scope, "referred", "all")] = sum(tally.referred.values())
    cells |= {(*scope, "against", reason): tally.against[reason] for reason in REASONS}
    cells[(*scope, "against", "all")] = sum(tally.against.values())
    return cells


def _relations(scope: Key) -> list[tuple[Key, tuple[Key, ...]]]:
    return [
        ((*scope, "dismissed", "all"), tuple((*scope, "dismissed", reason) for reason in REASONS)),
        ((*scope, "referred", "all"), tuple((*scope, "referred", kind) for kind in REFERRAL_KINDS)),
        ((*scope, "against", "all"), ((*scope, "referred", "outside_top"), (*scope, "referred", "not_suggested"))),
        ((*scope, "against", "all"), tuple((*scope, "against", reason) for reason in REASONS)),
    ]


def protected_table(advisers: dict[str, Tally], threshold: int) -> tuple[Table, Protection]:
    """The town's and every adviser's counts as one table: each town count is the sum of the advisers'."""
    town = Tally()
    for tally in advisers.values():
        town.dismissed.update(tally.dismissed)
        town.referred.update(tally.referred)
        town.against.update(tally.against)
    table = Table(values=_cells(TOWN, town), sums=_relations(TOWN))
    for adviser, tally in sorted(advisers.items()):
        scope = ("adviser", adviser)
        table.values |= _cells(scope, tally)
        table.sums += _relations(scope)
    for key in _cells(TOWN, town):
        table.sums.append((key, tuple((*("adviser", adviser), *key[1:]) for adviser in sorted(advisers))))
    return table, protect(table, threshold)


def _figure(table: Table, protection: Protection, key: Key) -> Figure:
    if not protection.shows(key):
        return Figure(value=None, suppressed=True)
    return Figure(value=table.values.get(key, 0), suppressed=False)


def summary(*, session: Session, threshold: int, adviser: str | None = None,
            since: dt.datetime | None = None) -> OversightSummary:
    """The town's oversight figures, or one adviser's (protected together with everyone's)."""
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=dt.UTC)
    advisers, to_young_people = _count_lists(session, since)
    query = select(StoredEvent.event_type, StoredEvent.payload).where(
        StoredEvent.event_type.in_([str(event_type) for event_type in DECISIONS]), StoredEvent.redacted_at.is_(None)
    )
    if since is not None:
        query = query.where(StoredEvent.occurred_at >= since)
    _tally_decisions(advisers, session.execute(query).tuples())
    table, protection = protected_table(advisers, threshold)
    scope = TOWN if adviser is None else ("adviser", adviser)
    tally = advisers.get(adviser, Tally()) if adviser is not None else None
    lists = sum(t.lists for t in advisers.values()) if tally is None else tally.lists
    candidate_lists = sum(t.candidate_lists for t in advisers.values()) if tally is None else tally.candidate_lists

    def figure(*key: str) -> Figure:
        return _figure(table, protection, (*scope, *key))

    figures = OversightFigures(
        lists_served=lists,
        candidate_lists_served=candidate_lists,
        dismissed=figure("dismissed", "all"),
        dismissed_by_reason={reason: figure("dismissed", reason) for reason in REASONS},
        referred=figure("referred", "all"),
        referred_within_top=figure("referred", "within_top"),
        referred_outside_top=figure("referred", "outside_top"),
        referred_not_suggested=figure("referred", "not_suggested"),
        referred_against_suggestions=figure("against", "all"),
        against_by_reason={reason: figure("against", reason) for reason in REASONS},
    )
    return OversightSummary(adviser=adviser, since=since, suppression_threshold=threshold,
                            lists_to_young_people=to_young_people if adviser is None else None, figures=figures)
