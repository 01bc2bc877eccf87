"""The special category screening benchmark (`youth-guarantee bench --screening`): the rule in
services/common/screening.py against a naive keyword list (the same lexicon, any term flags) on a labelled corpus
of synthetic sentences, half disclosures about the person, half hard negatives about work. The corpus has a
`tuning` split (the rules were written and corrected against it), a `held_out` split (measured at recall 0.919,
then its misses were tuned on) and a `held_out_2` split written blind before the last change to the rules and
never tuned on: the honest held-out figure."""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np

from services.common.screening import Category, TextKind, screen

CORPUS = "data/special_category_corpus.csv"
LABEL_FIELDS = {"skill", "interest"}
DISCLOSURE = "disclosure"
# Each split and what it is; the last is the honest held-out figure the target is judged on.
SPLITS = {
    "tuning": "",
    "held_out": " (written after an earlier change to the rules; recall 0.919 there, then its misses were tuned on)",
    "held_out_2": " (written blind before the last change to the rules, never tuned on: the honest held-out figure)",
}
HELD_OUT = "held_out_2"
TARGET_RECALL = 0.95
TARGET_FALSE_POSITIVE_RATE = 0.10
# The embedding second opinion: the k nearest tuning sentences, and the share of them that must be disclosures.
# Chosen by cross-validation over the tuning split's three sets (written at different times): the setting with
# the best recall whose false positives stayed under 1% (5 and 0.7: recall 0.68, false positives 0.009 alone).
KNN_K = 5
KNN_AGREEMENT = 0.7


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
EMBEDDINGS = "rules + embeddings"


def embedding_second_opinion(
    examples: Sequence[Example], embed: Callable[[list[str]], np.ndarray]
) -> tuple[Detector, float]:
    """Rules, or else the nearest tuning sentences in the matcher's MiniLM embedding space agreeing that it is a
    disclosure (never the sentence itself); also the milliseconds one text took to embed."""
    started = time.perf_counter()
    vectors = np.asarray(embed([example.text for example in examples]), dtype=np.float32)
    milliseconds = (time.perf_counter() - started) / len(examples) * 1000
    row = {id(example): index for index, example in enumerate(examples)}
    references = np.array([i for i, example in enumerate(examples) if example.split == "tuning"])
    labels = np.array([examples[i].disclosure for i in references])

    def detect(example: Example) -> bool:
        if rules(example):
            return True
        own = row[id(example)]
        similarities = vectors[references] @ vectors[own]
        similarities[references == own] = -np.inf
        nearest = np.argsort(-similarities)[:KNN_K]
        return bool(labels[nearest].mean() >= KNN_AGREEMENT)

    return detect, milliseconds


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


def evaluate(examples: list[Example], extra: dict[str, Detector] | None = None) -> dict[str, Any]:
    """Precision, recall and false positive rate of each detector, overall and per category, for each split."""
    results: dict[str, Any] = {}
    detectors = {**DETECTORS, **(extra or {})}
    for split in SPLITS:
        part = [example for example in examples if example.split == split]
        results[split] = {}
        for name, detector in detectors.items():
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
    """The figures side by side: rules and keyword list (and the embedding variant when measured), overall and
    per category, for each split."""
    names = list(results[HELD_OUT])
    lines = []
    for split, note in SPLITS.items():
        lines.append(f"{split} split{note}")
        header = f"  {'':<22}{'n (disc/neg)':>14}"
        for name in names:
            header += f" | {name + ' P':>14}{'R':>7}{'FPR':>7}"
        lines.append(header)
        rows = [("overall", "overall")] + [(str(category), str(category)) for category in Category]
        for label, key in rows:
            figures = {
                name: results[split][name]["overall" if key == "overall" else "categories"] for name in names
            }
            picked = {name: value if key == "overall" else value[key] for name, value in figures.items()}
            first = next(iter(picked.values()))
            line = f"  {label:<22}{str(first['disclosures']) + '/' + str(first['negatives']):>14}"
            for name in names:
                cell = picked[name]
                line += (
                    f" | {_cell(cell['precision']):>14}{_cell(cell['recall']):>7}"
                    f"{_cell(cell['false_positive_rate']):>7}"
                )
            lines.append(line)
        lines.append("")
    held = results[HELD_OUT]["rules"]["overall"]
    recall, fpr = held["recall"], held["false_positive_rate"]
    met = recall is not None and fpr is not None and recall >= TARGET_RECALL and fpr <= TARGET_FALSE_POSITIVE_RATE
    lines.append(
        f"target on the {HELD_OUT} split: recall >= {TARGET_RECALL}, false positive rate <= "
        f"{TARGET_FALSE_POSITIVE_RATE}: {'met' if met else 'NOT met'} "
        f"(recall {_cell(held['recall'])}, false positive rate {_cell(held['false_positive_rate'])})"
    )
    lines.append(f"rules: {results['microseconds_per_text']} µs per text")
    if "embedding_ms_per_text" in results:
        lines.append(
            f"{EMBEDDINGS}: embedding {results['embedding_ms_per_text']:.1f} ms per text (batched) on top; the "
            f"neighbours are the tuning split (k={KNN_K}, agreement {KNN_AGREEMENT}), so on that split the figures "
            "are leave-one-out"
        )
    return "\n".join(lines)
