"""The special category screening benchmark (`youth-guarantee bench --screening`): the rule in
services/common/screening.py against a naive keyword list (the same lexicon, any term flags) on a labelled corpus
of synthetic sentences, half disclosures about the person, half hard negatives about work. The corpus has a
`tuning` split (the rules were written and corrected against it) and a `held_out` split written after the last
change and never tuned on."""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

from services.common.screening import Category, TextKind, screen

CORPUS = "data/special_category_corpus.csv"
LABEL_FIELDS = {"skill", "interest"}
DISCLOSURE = "disclosure"
TARGET_RECALL = 0.95
TARGET_FALSE_POSITIVE_RATE = 0.10


@dataclass(frozen=True)
class Example:
    text: str
    disclosure: bool
    category: Category
    kind: TextKind
    split: str


def load_corpus() -> list[Example]:
    """The labelled sentences (text, label, category, field, split)."""
    text = resources.files("benchmarks").joinpath(CORPUS).read_text()
    return [
        Example(
            text=row["text"],
            disclosure=row["label"] == DISCLOSURE,
            category=Category(row["category"]),
            kind="label" if row["field"] in LABEL_FIELDS else "prose",
            split=row["split"],
        )
        for row in csv.DictReader(text.splitlines())
    ]


def rules(example: Example) -> bool:
    return screen(example.text, kind=example.kind).flagged


def keywords(example: Example) -> bool:
    """The naive baseline: any term of the lexicon, whatever surrounds it."""
    return bool(screen(example.text, kind=example.kind).hits)


Detector = Callable[[Example], bool]
DETECTORS: dict[str, Detector] = {"rules": rules, "keyword list": keywords}


@dataclass(frozen=True)
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, truth: bool, flagged: bool) -> Counts:
        return Counts(
            self.tp + (truth and flagged),
            self.fp + (not truth and flagged),
            self.fn + (truth and not flagged),
            self.tn + (not truth and not flagged),
        )

    def figures(self) -> dict[str, float | int | None]:
        def ratio(a: int, b: int) -> float | None:
            return round(a / b, 3) if b else None

        return {
            "precision": ratio(self.tp, self.tp + self.fp),
            "recall": ratio(self.tp, self.tp + self.fn),
            "false_positive_rate": ratio(self.fp, self.fp + self.tn),
            "disclosures": self.tp + self.fn,
            "negatives": self.fp + self.tn,
        }


def evaluate(examples: list[Example]) -> dict[str, Any]:
    """Precision, recall and false positive rate of each detector, overall and per category, for each split."""
    results: dict[str, Any] = {}
    for split in ("tuning", "held_out"):
        part = [example for example in examples if example.split == split]
        results[split] = {}
        for name, detector in DETECTORS.items():
            overall = Counts()
            per_category = {category: Counts() for category in Category}
            for example in part:
                flagged = detector(example)
                overall = overall.add(example.disclosure, flagged)
                per_category[example.category] = per_category[example.category].add(example.disclosure, flagged)
            results[split][name] = {
                "overall": overall.figures(),
                "categories": {str(category): counts.figures() for category, counts in per_category.items()},
            }
    started = time.perf_counter()
    for example in examples:
        rules(example)
    results["microseconds_per_text"] = round((time.perf_counter() - started) / len(examples) * 1e6, 1)
    return results


def _cell(value: float | int | None) -> str:
    return "-" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def table(results: dict[str, Any]) -> str:
    """The figures side by side: rules and keyword list, overall and per category, for each split."""
    lines = []
    for split in ("tuning", "held_out"):
        note = " (written after the last change to the rules, never tuned on)" if split == "held_out" else ""
        lines.append(f"{split} split{note}")
        header = f"  {'':<22}{'n (disc/neg)':>14}"
        for name in DETECTORS:
            header += f" | {name + ' P':>14}{'R':>7}{'FPR':>7}"
        lines.append(header)
        rows = [("overall", "overall")] + [(str(category), str(category)) for category in Category]
        for label, key in rows:
            figures = {
                name: results[split][name]["overall" if key == "overall" else "categories"] for name in DETECTORS
            }
            picked = {name: value if key == "overall" else value[key] for name, value in figures.items()}
            first = next(iter(picked.values()))
            line = f"  {label:<22}{str(first['disclosures']) + '/' + str(first['negatives']):>14}"
            for name in DETECTORS:
                cell = picked[name]
                line += (
                    f" | {_cell(cell['precision']):>14}{_cell(cell['recall']):>7}"
                    f"{_cell(cell['false_positive_rate']):>7}"
                )
            lines.append(line)
        lines.append("")
    held = results["held_out"]["rules"]["overall"]
    recall, fpr = held["recall"], held["false_positive_rate"]
    met = recall is not None and fpr is not None and recall >= TARGET_RECALL and fpr <= TARGET_FALSE_POSITIVE_RATE
    lines.append(
        f"target on the held-out split: recall >= {TARGET_RECALL}, false positive rate <= "
        f"{TARGET_FALSE_POSITIVE_RATE}: {'met' if met else 'NOT met'} "
        f"(recall {_cell(held['recall'])}, false positive rate {_cell(held['false_positive_rate'])})"
    )
    lines.append(f"rules: {results['microseconds_per_text']} µs per text")
    return "\n".join(lines)
