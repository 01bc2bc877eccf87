"""Embedding throughput: the plain sentence-transformers path against the fast (ONNX int8) path."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from benchmarks.report import Printer
from services.matching.embedder import Embedder, mean_cosine


def measure_embedding(
    *, plain: Embedder, fast: Embedder | None, texts: Sequence[str], rounds: int, say: Printer
) -> dict[str, Any]:
    """Texts/s of each path in alternating rounds (so both see the same machine noise), medians, and the mean
    cosine between the two paths' vectors."""
    size = max(1, len(texts) // rounds)
    plain.embed(texts[:8])
    if fast is not None:
        fast.embed(texts[:8])
    plain_rates: list[float] = []
    fast_rates: list[float] = []
    ratios: list[float] = []
    cosines: list[float] = []
    for r in range(rounds):
        chunk = texts[r * size : (r + 1) * size]
        order = [("plain", plain), ("fast", fast)] if r % 2 == 0 else [("fast", fast), ("plain", plain)]
        vectors: dict[str, np.ndarray] = {}
        for name, model in order:
            if model is None:
                continue
            started = time.perf_counter()
            vectors[name] = model.embed(chunk)
            rate = len(chunk) / (time.perf_counter() - started)
            (plain_rates if name == "plain" else fast_rates).append(rate)
        if fast is not None:
            ratios.append(fast_rates[-1] / plain_rates[-1])
            cosines.append(mean_cosine(vectors["plain"], vectors["fast"]))
        say(f"  embedding round {r + 1}/{rounds}: plain {plain_rates[-1]:.0f}/s"
            + (f", fast {fast_rates[-1]:.0f}/s" if fast_rates else ""))
    return {
        "embed_texts": len(texts),
        "embed_plain_per_s": float(np.median(plain_rates)),
        "embed_fast_per_s": float(np.median(fast_rates)) if fast_rates else None,
        "embed_speedup": float(np.median(ratios)) if ratios else None,
        "embed_cosine": float(np.mean(cosines)) if cosines else None,
    }
