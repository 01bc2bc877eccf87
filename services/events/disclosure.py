"""Statistical disclosure control for every figure this service publishes (the guarantee summary, town-wide and
per caseload, the outcome figures and the metrics): small counts are hidden, and further cells are hidden until no
hidden count can be worked out from what is shown.

A table is a set of counts with the relations a reader knows: totals equal the sum of their parts, a subgroup's
count is at most the whole's, a published share bounds the ratio of two counts. The audit treats every hidden
count as an unknown integer (at least 1, since zeros are shown; at least 0 in a row hidden whole) under all those
relations, and finds its least and greatest possible value with a small integer program; a cell whose two agree
is exposed, and the smallest shown count it shares a relation with is hidden too (a share is withdrawn first)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

Key = tuple[str, ...]
# Far above any count here; a hidden cell's only upper limits are the relations.
_UNBOUNDED = 10**7


@dataclass(frozen=True)
class Share:
    """A published share numerator / (numerator + other), rounded to `digits` decimals."""

    name: Key
    numerator: Key
    other: Key
    value: float
    digits: int = 3


@dataclass
class Table:
    values: dict[Key, int]
    sums: list[tuple[Key, tuple[Key, ...]]] = field(default_factory=list)
    # A total at most the sum of its parts (a count of distinct people over months that each count them once).
    sums_at_most: list[tuple[Key, tuple[Key, ...]]] = field(default_factory=list)
    at_most: list[tuple[Key, Key]] = field(default_factory=list)
    shares: list[Share] = field(default_factory=list)
    # Cells hidden whatever their value (a row too small to show anything), zeros included.
    hidden_whole: set[Key] = field(default_factory=set)
    # What a reader knows of a cell besides the relations, e.g. a row hidden whole has 0 to threshold - 1 people.
    ranges: dict[Key, tuple[int, int]] = field(default_factory=dict)
    # Cells never published that a reader could still work out from the rest (the people no adviser holds, the
    # town less every caseload): unknowns like hidden cells, which must not be pinned while 0 < value < threshold.
    unpublished: set[Key] = field(default_factory=set)


@dataclass(frozen=True)
class Protection:
    hidden: frozenset[Key]
    withdrawn_shares: frozenset[Key]
    exposed: frozenset[Key]  # empty unless nothing more could be hidden (never expected)

    def shows(self, key: Key) -> bool:
        return key not in self.hidden


def _rows(table: Table) -> list[tuple[dict[Key, float], float, str]]:
    """Every relation as (coefficients, right-hand side, '=' or '<=')."""
    rows: list[tuple[dict[Key, float], float, str]] = []
    for relations, kind in ((table.sums, "="), (table.sums_at_most, "<=")):
        for total, parts in relations:
            coefficients: dict[Key, float] = {total: 1.0}
            for part in parts:
                coefficients[part] = coefficients.get(part, 0.0) - 1.0
            rows.append((coefficients, 0.0, kind))
    for small, large in table.at_most:
        rows.append(({small: 1.0, large: -1.0}, 0.0, "<="))
    return rows


def _share_rows(shares: Iterable[Share]) -> list[tuple[dict[Key, float], float, str]]:
    rows = []
    for share in shares:
        half = 0.5 * 10 ** -share.digits
        low, high = share.value - half, share.value + half
        # low <= n / (n + o) <= high, multiplied out: (1 - low) n - low o >= 0 and (1 - high) n - high o <= 0.
        rows.append(({share.numerator: -(1 - low), share.other: low}, 0.0, "<="))
        rows.append(({share.numerator: 1 - high, share.other: -high}, 0.0, "<="))
    return rows


def exposed_cells(
    table: Table, hidden: set[Key], shares: list[Share], varying: set[Key] | None = None
) -> set[Key]:
    """Hidden cells whose value is the only one consistent with everything shown. Cells in `varying` are known to
    have two values already and are not checked; those found to have two are added to it. (Hiding more cells or
    withdrawing a share only admits more tables, so a cell once seen to vary keeps varying.)"""
    varying = set() if varying is None else varying
    unknowns = sorted(hidden)
    pending = [key for key in unknowns if key not in varying]
    if not pending:
        return set()
    index = {key: i for i, key in enumerate(unknowns)}
    matrix, lower, upper = [], [], []
    for coefficients, rhs, kind in _rows(table) + _share_rows(shares):
        row = np.zeros(len(unknowns))
        constant = 0.0
        for key, coefficient in coefficients.items():
            if key in index:
                row[index[key]] += coefficient
            else:
                constant += coefficient * table.values[key]
        if not row.any():
            continue
        matrix.append(row)
        lower.append(rhs - constant if kind == "=" else -np.inf)
        upper.append(rhs - constant)
    ranges = [
        table.ranges.get(key, (0 if key in table.hidden_whole | table.unpublished else 1, _UNBOUNDED))
        for key in unknowns
    ]
    bounds = Bounds([low for low, _ in ranges], [high for _, high in ranges])
    constraints = [LinearConstraint(np.array(matrix), lower, upper)] if matrix else []
    integrality = np.ones(len(unknowns))

    def solve(objective: np.ndarray) -> np.ndarray | None:
        result = milp(objective, constraints=constraints, integrality=integrality, bounds=bounds)
        return np.rint(result.x) if result.status == 0 else None

    # The true table is one solution; any other that differs in a cell proves it has two values, so a few programs
    # over all pending cells at once settle most of them.
    truth = np.array([table.values[key] for key in unknowns], dtype=float)
    pending_index = np.array([index[key] for key in pending])
    rng = np.random.default_rng(0)  # fixed, so answers do not flicker
    directions = [np.ones(len(pending)), -np.ones(len(pending)), *rng.uniform(-1, 1, (4, len(pending)))]
    solutions = []
    for direction in directions:
        objective = np.zeros(len(unknowns))
        objective[pending_index] = direction
        found = solve(objective)
        if found is not None:
            solutions.append(found)
    exposed = set()
    for key in pending:
        i = index[key]
        if any(solution[i] != truth[i] for solution in solutions):
            varying.add(key)
            continue
        for sign in (-1.0, 1.0):  # the greatest value, then the least
            objective = np.zeros(len(unknowns))
            objective[i] = sign
            found = solve(objective)
            if found is not None and found[i] != truth[i]:
                solutions.append(found)
                varying.add(key)
                break
        else:
            exposed.add(key)
    return exposed


def _neighbours(table: Table, key: Key, *, bounds: bool = True) -> set[Key]:
    """The cells sharing a relation with `key`: its sums, and with `bounds` the relations that only bound it."""
    related: set[Key] = set()
    for total, parts in (*table.sums, *(table.sums_at_most if bounds else ())):
        if key == total or key in parts:
            related.update((total, *parts))
    for small, large in table.at_most if bounds else ():
        if key in (small, large):
            related.update((small, large))
    related.discard(key)
    return related


def _nearest_shown(table: Table, key: Key, hidden: set[Key]) -> set[Key]:
    """The shown non-zero counts sharing a sum with `key`, or, when all it shares one with are hidden already, with
    those (and so on: a total worked out as the difference of two shown counts, size less the rest, is protected by
    hiding one of them); only when no sum leads to one, the same through the bounds."""
    for bounds in (False, True):  # a sum pins a cell; a bound alone rarely does, so sums are looked at first
        seen, layer = {key}, {key}
        while layer:
            layer = {other for cell in layer for other in _neighbours(table, cell, bounds=bounds)} - seen
            seen |= layer
            shown = {other for other in layer if other not in hidden and table.values[other] > 0}
            if shown:
                return shown
    return set()


def protect(table: Table, threshold: int) -> Protection:
    """Which cells (and shares) to hide: every count from 1 to threshold - 1, every cell hidden whole, and as few
    more as keep each hidden one from being worked out. A zero of a row hidden whole that follows from what is
    shown (the town has none either) is shown: hiding it would only pretend."""
    return _protect_cached(_Frozen(table), threshold)


class _Frozen:
    """A table as a cache key: the same figures give the same answer, so repeated reads and scrapes are free."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.key = (
            tuple(sorted(table.values.items())), tuple(table.sums), tuple(table.sums_at_most),
            tuple(table.at_most), tuple(table.shares), tuple(sorted(table.hidden_whole)),
            tuple(sorted(table.ranges.items())), tuple(sorted(table.unpublished)),
        )

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Frozen) and self.key == other.key


@lru_cache(maxsize=256)
def _protect_cached(frozen: _Frozen, threshold: int) -> Protection:
    table = frozen.table
    hidden = {key for key, value in table.values.items() if 0 < value < threshold} | set(table.hidden_whole)
    hidden |= table.unpublished
    # Working out an unpublished cell discloses nothing unless it is a small count.
    harmless = {key for key in table.unpublished if not 0 < table.values[key] < threshold}
    # A shortcut for the common case of the rule below: a subgroup's cell under a shown zero is zero.
    hidden -= {small for small, large in table.at_most if large not in hidden and table.values[large] == 0}
    shares = list(table.shares)
    withdrawn: set[Key] = set()
    varying = set(harmless)  # not to be checked: whether they can be worked out does not matter
    exposed: set[Key] | None = None
    while True:
        if exposed is None:
            exposed = exposed_cells(table, hidden, shares, varying) - harmless
        if not exposed:
            return Protection(frozenset(hidden - table.unpublished), frozenset(withdrawn), frozenset())
        known_zeros = {key for key in exposed if table.values[key] == 0}
        if known_zeros:
            hidden -= known_zeros
            exposed = None
            continue
        touching = [s for s in shares if s.numerator in hidden or s.other in hidden]
        if touching:
            kept = [share for share in shares if share not in touching]
            trial = set(varying)
            without = exposed_cells(table, hidden, kept, trial) - harmless
            if len(without) < len(exposed):
                withdrawn.update(share.name for share in touching)  # the shares give something away
                shares, varying, exposed = kept, trial, without
                continue
        # For each exposed cell the smallest shown count it shares a relation with, all in one round.
        chosen = set()
        for key in sorted(exposed):
            candidates = _nearest_shown(table, key, hidden)
            if candidates:
                chosen.add(min(candidates, key=lambda other: (table.values[other], other)))
        if not chosen:
            return Protection(frozenset(hidden - table.unpublished), frozenset(withdrawn), frozenset(exposed))
        hidden |= chosen
        exposed = None
