"""Disclosure control, checked as an attacker would: each published table (the guarantee summary with its groups,
the outcome figures) is read as integer constraints (a size is the sum of its counts, a priority group's count is
at most the whole's, a shown share bounds met against met_late; hidden counts are at least 1 because zeros are
shown, at least 0 in a row hidden whole) and every feasible completion is enumerated here, independently of the
integer program the service uses. Every hidden cell must keep at least two possible values."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from services.events.guarantee import Caseloads, GroupTally, protect_caseloads, protect_summary
from services.events.schemas import GroupFigures
from services.events.stats import ADDITIVE_FLOWS, ALL_TIME, INTERESTS, protect_flows
from services.messaging.vocabulary import GUARANTEE_STATUSES, OPPORTUNITY_TYPES, PRIORITY_GROUPS
from tests.support.attacker import BIG, Reader, read_summary

pytestmark = pytest.mark.unit
THRESHOLD = 5
CAP = 60  # no generated table is larger; bounds a fully hidden row's cells


def tally(group: str, counts: dict[str, int], late_days: float = 130.0) -> GroupTally:
    full = {status: counts.get(status, 0) for status in GUARANTEE_STATUSES}
    days = [10.0 + i for i in range(full["met"])] + [late_days] * full["met_late"]
    return GroupTally(group, full, days, full["met"])  # type: ignore[arg-type]


def people_tallies(rng: random.Random) -> list[GroupTally]:
    """A random town: each person has a clock status and some priority groups."""
    people = []
    for _ in range(rng.randint(12, 45)):
        status = rng.choices(GUARANTEE_STATUSES, weights=[5, 2, 2, 4, 1])[0]
        groups = [group for group in PRIORITY_GROUPS if rng.random() < 0.25]
        people.append((status, groups))
    tallies = []
    for group in ("all", *PRIORITY_GROUPS):
        members = [status for status, groups in people if group == "all" or group in groups]
        tallies.append(tally(group, {status: members.count(status) for status in GUARANTEE_STATUSES}))
    return tallies


def _share_fits(met: int, late: int, share: float | None) -> bool:
    if share is None:
        return True
    return met + late > 0 and abs(met / (met + late) - share) <= 0.0005 + 1e-12


def _row_completions(row: GroupFigures, ceiling: dict[str, int] | None) -> Iterator[dict[str, int]]:
    """Every assignment of the row's hidden counts consistent with what the row shows (and, for a priority
    group, with the whole town's counts in `ceiling`)."""
    statuses = list(row.counts)
    # A row hidden whole has 0 to THRESHOLD - 1 people and its hidden counts may be 0; elsewhere zeros are shown.
    low, most = (0, THRESHOLD - 1) if row.too_small else (1, CAP)
    ranges = []
    for status in statuses:
        figure = row.counts[status]
        if not figure.suppressed:
            ranges.append([int(figure.value)])  # type: ignore[arg-type]
        else:
            top = min(most, ceiling[status]) if ceiling is not None else most
            ranges.append(list(range(low, top + 1)))
    size = None if row.size.suppressed else int(row.size.value)  # type: ignore[arg-type]
    share = None if row.share_offered_within_deadline.suppressed else row.share_offered_within_deadline.value
    for values in itertools.product(*ranges):
        total = sum(values)
        if size is not None and total != size:
            continue
        if ceiling is not None and total > ceiling["size"]:
            continue
        if row.too_small and not 0 <= total < THRESHOLD:
            continue
        counts = dict(zip(statuses, values, strict=True))
        if share is not None and not _share_fits(counts["met"], counts["met_late"], float(share)):
            continue
        yield {**counts, "size": total}


def possible_values(figures: Sequence[GroupFigures]) -> dict[tuple[str, str], set[int]]:
    """For each hidden cell of the summary, every value some full completion of all rows gives it."""
    overall, groups = figures[0], figures[1:]
    found: dict[tuple[str, str], set[int]] = {}
    for whole in _row_completions(overall, None):
        per_group = [list(_row_completions(group, whole)) for group in groups]
        if any(not options for options in per_group):
            continue
        for row, options in [(overall, [whole]), *zip(groups, per_group, strict=True)]:
            hidden = [s for s, f in row.counts.items() if f.suppressed] + (["size"] if row.size.suppressed else [])
            for option in options:
                for cell in hidden:
                    found.setdefault((row.group, cell), set()).add(option[cell])
    return found


def hidden_cells(figures: Sequence[GroupFigures]) -> set[tuple[str, str]]:
    cells = set()
    for row in figures:
        cells |= {(row.group, status) for status, figure in row.counts.items() if figure.suppressed}
        if row.size.suppressed:
            cells.add((row.group, "size"))
    return cells


def assert_protected(tallies: list[GroupTally]) -> tuple[int, int]:
    figures = protect_summary(tallies, THRESHOLD)
    for row, source in zip(figures, tallies, strict=True):
        for status, figure in row.counts.items():
            assert figure.suppressed or not 0 < source.counts[status] < THRESHOLD  # every small count hidden
            assert figure.suppressed or figure.value == source.counts[status]
    hidden = hidden_cells(figures)
    values = possible_values(figures)
    for cell in hidden:
        row = next(r for r in tallies if r.group == cell[0])
        truth = row.size if cell[1] == "size" else row.counts[cell[1]]  # type: ignore[index]
        assert truth in values.get(cell, set()), (cell, "the enumeration must admit the true table")
        assert len(values[cell]) >= 2, (cell, values[cell], [f.model_dump() for f in figures])
    return len(hidden), min((len(values[cell]) for cell in hidden), default=0)


def test_the_caseload_in_the_issue_hides_at_risk_and_late_offers_for_good() -> None:
    """84 people: overdue 5, at risk 5, on track 46, met 24, met late 4. Before, at risk = 84 - 5 - 46 - 24 - 4
    and met late followed from the share shown."""
    town = tally("all", {"overdue": 5, "at_risk": 5, "on_track": 46, "met": 24, "met_late": 4})
    figures = protect_summary([town], THRESHOLD)[0]
    assert figures.counts["met_late"].suppressed and figures.share_offered_within_deadline.suppressed
    assert sum(f.suppressed for f in figures.counts.values()) >= 2
    hidden, least = assert_protected([town])
    print(f"\nissue's caseload: {hidden} hidden cells, each with at least {least} possible values")


def test_a_group_row_cannot_be_pinned_by_the_most_its_hidden_cells_could_hold() -> None:
    """A group whose hidden cells could only make up its size at their largest small value (4 + 4 = 8), and a
    town whose counts bound a group's from above."""
    town = tally("all", {"overdue": 9, "at_risk": 8, "on_track": 30, "met": 20, "met_late": 6})
    carers = tally("young_carer", {"overdue": 4, "at_risk": 4, "on_track": 12, "met": 6, "met_late": 0})
    leavers = tally("care_leaver", {"overdue": 9, "at_risk": 1, "on_track": 5, "met": 0, "met_late": 1})
    hidden, least = assert_protected([town, leavers, carers])
    print(f"\nbounded groups: {hidden} hidden cells, each with at least {least} possible values")


def test_random_towns_leave_every_hidden_cell_at_least_two_values() -> None:
    rng = random.Random(11)
    tables = hidden_total = 0
    least_seen = None
    for _ in range(40):
        hidden, least = assert_protected(people_tallies(rng))
        tables += 1
        hidden_total += hidden
        if hidden:
            least_seen = least if least_seen is None else min(least_seen, least)
    print(f"\nrandom towns: {tables} summaries (6 rows each), {hidden_total} hidden cells, every one with at "
          f"least {least_seen} possible values")
    assert hidden_total > 40


def _people(rng: random.Random, advisers: Sequence[str | None]) -> list[tuple[str, list[str], str | None]]:
    people = []
    for _ in range(rng.randint(25, 70)):
        status = rng.choices(GUARANTEE_STATUSES, weights=[5, 2, 2, 4, 1])[0]
        groups = [group for group in PRIORITY_GROUPS if rng.random() < 0.25]
        people.append((status, groups, rng.choice(advisers)))
    return people


def _tallies_of(people: Sequence[tuple[str, list[str], str | None]]) -> list[GroupTally]:
    rows = []
    for group in ("all", *PRIORITY_GROUPS):
        members = [status for status, groups, _ in people if group == "all" or group in groups]
        rows.append(tally(group, {status: members.count(status) for status in GUARANTEE_STATUSES}))
    return rows


def _summary_json(figures: Sequence[GroupFigures]) -> dict[str, Any]:
    rows = [row.model_dump(mode="json") for row in figures]
    return {"overall": rows[0], "groups": rows[1:]}


def test_the_town_and_every_caseload_together_pin_no_hidden_count() -> None:
    """Random towns of three advisers' caseloads and people no adviser holds. The reader has the town's summary and
    every caseload's and knows the town's counts are the caseloads' plus the unassigned people's."""
    rng = random.Random(23)
    towns = hidden_total = unassigned_small = 0
    least = None
    for _ in range(6):
        advisers = ["adviser-a", "adviser-b", "adviser-c"]
        people = _people(rng, [*advisers, None])
        loads = Caseloads(
            town=_tallies_of(people),
            advisers={a: _tallies_of([p for p in people if p[2] == a]) for a in advisers},
            unassigned=_tallies_of([p for p in people if p[2] is None]),
        )
        published = protect_caseloads(loads, THRESHOLD)
        reader = Reader()
        hidden = read_summary(reader, "town", _summary_json(published.town), THRESHOLD)
        for adviser in advisers:
            hidden += read_summary(reader, adviser, _summary_json(published.advisers[adviser]), THRESHOLD)
        truth = {}
        for group in loads.unassigned:
            for cell in ("size", *group.counts):
                name = f"unassigned/{group.group}/{cell}"
                reader.cell(name, None, 0)
                reader.equal_sum(f"town/{group.group}/{cell}", [*(f"{a}/{group.group}/{cell}" for a in advisers), name])
                if group.group != "all":
                    reader.at_most(name, f"unassigned/all/{cell}")
                truth[name] = group.size if cell == "size" else group.counts[cell]  # type: ignore[index]
            reader.equal_sum(f"unassigned/{group.group}/size",
                             [f"unassigned/{group.group}/{status}" for status in group.counts])
        small = [name for name, value in truth.items() if 0 < value < THRESHOLD]
        ranges = reader.ranges([*hidden, *small])
        for cell, (low, high) in ranges.items():
            assert low < high, (cell, low, high)
        towns += 1
        hidden_total += len(hidden)
        unassigned_small += len(small)
        least = min([least or BIG, *(high - low + 1 for low, high in ranges.values())])
    print(f"\ntown + 3 caseloads, read together: {towns} towns, {hidden_total} hidden cells and {unassigned_small} "
          f"small counts of unassigned people, each with at least {least} possible values")
    assert hidden_total > 100 and unassigned_small > 10


def _months(rng: random.Random) -> dict[str, dict[str, int]]:
    months = {}
    for month in range(1, rng.randint(4, 9)):
        by_type = {kind: rng.choice([0, 0, 1, 2, 3, 6, 9]) for kind in OPPORTUNITY_TYPES}
        figures = {name: rng.choice([0, 1, 2, 3, 4, 5, 8, 13, 21]) for name in ADDITIVE_FLOWS}
        figures["starts"] = sum(by_type.values())
        figures[INTERESTS] = rng.choice([0, 1, 3, 7, 12])
        months[f"2030-{month:02d}"] = {**figures, **{f"starts_by_type.{kind}": n for kind, n in by_type.items()}}
    return months


def test_every_month_and_all_time_together_pin_no_hidden_count() -> None:
    """The reader asks /stats for every month and for all time: all time is the sum of the months (distinct people
    interested at most the sum, at least each month's), starts the sum of starts by type in each."""
    rng = random.Random(7)
    runs = hidden_total = 0
    least = None
    for _ in range(8):
        months = _months(rng)
        interested = max(m[INTERESTS] for m in months.values()) + rng.randint(0, 3)
        published = protect_flows(months, interested, neet_now=rng.choice([2, 40]), threshold=THRESHOLD)
        reader = Reader()
        hidden = []
        reader.cell("neet_now", published.neet_now)
        if published.neet_now is None:
            hidden.append("neet_now")
        for period, figures in published.periods.items():
            for name, value in figures.items():
                reader.cell(f"{period}/{name}", value)
                if value is None:
                    hidden.append(f"{period}/{name}")
            reader.equal_sum(f"{period}/starts", [f"{period}/starts_by_type.{kind}" for kind in OPPORTUNITY_TYPES])
        for name in published.periods[ALL_TIME]:
            parts = [f"{month}/{name}" for month in months]
            if name == INTERESTS:
                reader.at_most_sum(f"all/{name}", parts)
                for part in parts:
                    reader.at_most(part, f"all/{name}")
            else:
                reader.equal_sum(f"all/{name}", parts)
        ranges = reader.ranges(hidden)
        for cell, (low, high) in ranges.items():
            assert low < high, (cell, low, high, published)
        for month, figures in months.items():  # every small count is hidden
            assert all(published.periods[month][name] is None for name, value in figures.items() if 0 < value < 5)
        runs += 1
        hidden_total += len(hidden)
        least = min([least or BIG, *(high - low + 1 for low, high in ranges.values())])
    print(f"\nevery month and all time, read together: {runs} towns, {hidden_total} hidden figures, each with at "
          f"least {least} possible values")
    assert hidden_total > 100


def test_a_combined_count_hidden_to_protect_another_is_not_left_to_be_worked_out_as_the_size_less_the_rest() -> None:
    """NEET 2 and not known 3 are hidden; "NEET or not known" (5) is hidden too, to protect a count of 1 it makes up a
    total with. With the size (20) and participating (15) shown, 20 - 15 = 5 would still give it away, and so the 1:
    one of those is hidden as well, though neither shares a sum with it directly."""
    from services.events.disclosure import Table, exposed_cells, protect

    values = {"size": 20, "neet": 2, "not_known": 3, "participating": 15, "neet_or_not_known": 5, "other": 1,
              "total": 6}
    table = Table(values={(cell,): value for cell, value in values.items()},
                  sums=[(("size",), (("neet",), ("not_known",), ("participating",))),
                        (("neet_or_not_known",), (("neet",), ("not_known",))),
                        (("total",), (("neet_or_not_known",), ("other",)))])
    protection = protect(table, 5)
    assert protection.exposed == frozenset()
    assert {("neet",), ("not_known",), ("other",), ("neet_or_not_known",)} <= protection.hidden
    assert ("participating",) in protection.hidden or ("size",) in protection.hidden
    assert exposed_cells(table, set(protection.hidden), []) == set()
