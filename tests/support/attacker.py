"""A reader who knows how the published figures relate and works out what they can from all of them together.

Written apart from services/events/disclosure.py on purpose: the published answers (JSON as the API gives it) are
turned into integer constraints here, and each unknown's least and greatest possible value is found with its own
integer programs (scipy's HiGHS). A hidden count is safe when the two differ."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

BIG = 100_000  # above any count in the tests


@dataclass
class Reader:
    """Known values, unknowns with their ranges, and linear relations among them."""

    known: dict[str, int] = field(default_factory=dict)
    unknown: dict[str, tuple[int, int]] = field(default_factory=dict)
    # (coefficients, low, high): low <= sum(coefficient * cell) <= high
    relations: list[tuple[dict[str, float], float, float]] = field(default_factory=list)

    def cell(self, name: str, value: int | None, low: int = 1, high: int = BIG) -> None:
        if value is None:
            self.unknown[name] = (low, high)
        else:
            self.known[name] = int(value)

    def equal_sum(self, total: str, parts: Iterable[str]) -> None:
        coefficients = {total: 1.0}
        for part in parts:
            coefficients[part] = coefficients.get(part, 0.0) - 1.0
        self.relations.append((coefficients, 0.0, 0.0))

    def at_most_sum(self, total: str, parts: Iterable[str]) -> None:
        coefficients = {total: 1.0}
        for part in parts:
            coefficients[part] = coefficients.get(part, 0.0) - 1.0
        self.relations.append((coefficients, -np.inf, 0.0))

    def at_most(self, small: str, large: str) -> None:
        self.relations.append(({small: 1.0, large: -1.0}, -np.inf, 0.0))

    def share(self, numerator: str, other: str, value: float, digits: int = 3) -> None:
        low, high = value - 0.5 * 10**-digits, value + 0.5 * 10**-digits
        self.relations.append(({numerator: 1 - low, other: -low}, 0.0, np.inf))
        self.relations.append(({numerator: 1 - high, other: -high}, -np.inf, 0.0))

    def ranges(self, cells: Iterable[str]) -> dict[str, tuple[int, int]]:
        """Each cell's least and greatest value consistent with everything known."""
        names = sorted(self.unknown)
        index = {name: i for i, name in enumerate(names)}
        rows, lows, highs = [], [], []
        for coefficients, low, high in self.relations:
            row = np.zeros(len(names))
            constant = 0.0
            for name, coefficient in coefficients.items():
                if name in index:
                    row[index[name]] += coefficient
                else:
                    constant += coefficient * self.known[name]
            if row.any():
                rows.append(row)
                lows.append(low - constant)
                highs.append(high - constant)
            else:
                assert low - 1e-9 <= constant <= high + 1e-9, ("the published figures contradict", coefficients)
        bounds = Bounds([self.unknown[n][0] for n in names], [self.unknown[n][1] for n in names])
        constraints = [LinearConstraint(np.array(rows), lows, highs)] if rows else []
        result = {}
        for cell in cells:
            extremes = []
            for sign in (1.0, -1.0):
                objective = np.zeros(len(names))
                objective[index[cell]] = sign
                found = milp(objective, constraints=constraints, integrality=np.ones(len(names)), bounds=bounds)
                assert found.status == 0, ("no table fits the published figures", found.message)
                extremes.append(round(found.x[index[cell]]))
            result[cell] = (extremes[0], extremes[1])
        return result


def read_summary(reader: Reader, scope: str, summary: Mapping[str, Any], threshold: int) -> list[str]:
    """A guarantee summary's rows (as the API gives them) into the reader; returns its hidden cells."""
    hidden = []
    rows = [summary["overall"], *summary["groups"]]
    for row in rows:
        name = f"{scope}/{row['group']}"
        small = row["too_small"]
        statuses = list(row["counts"])
        cells = [("size", row["size"])] + [(status, row["counts"][status]) for status in statuses]
        for cell, figure in cells:
            low, high = (0, threshold - 1) if small else (1, BIG)
            reader.cell(f"{name}/{cell}", figure["value"], low, high)
            if figure["suppressed"]:
                hidden.append(f"{name}/{cell}")
        reader.equal_sum(f"{name}/size", [f"{name}/{status}" for status in statuses])
        if row["group"] != "all":
            for cell, _ in cells:
                reader.at_most(f"{name}/{cell}", f"{scope}/all/{cell}")
        share = row["share_offered_within_deadline"]
        if not share["suppressed"] and share["value"] is not None:
            reader.share(f"{name}/met", f"{name}/met_late", float(share["value"]))
    return hidden
