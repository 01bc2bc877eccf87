"""The figures every measurement reports: latency percentiles and recall against a ground truth."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def latency_ms(seconds: Sequence[float]) -> tuple[float, float]:
    """Median and 99th percentile, in milliseconds."""
    values = np.asarray(seconds) * 1000
    return float(np.percentile(values, 50)), float(np.percentile(values, 99))


def recall_at(found: Sequence[Any], truth: np.ndarray, k: int = 10) -> float:
    """Mean share of each query's true top k that the search found in its first k."""
    return float(np.mean([len(set(list(f)[:k]) & set(t[:k].tolist())) / k for f, t in zip(found, truth, strict=True)]))
