"""The benchmark's data: vectors of real ESCO texts (occupations, skills, other titles as queries) and
opportunity-like items derived from them."""

from __future__ import annotations

import hashlib
import random
import time
from pathlib import Path

import numpy as np

from benchmarks.report import Printer
from services.matching import esco
from services.matching.embedder import Embedder

NOISE = 0.01


def esco_vectors(
    *,
    embedder: Embedder,
    cache_dir: Path,
    n_occupations: int,
    n_skills: int,
    n_queries: int,
    seed: int,
    say: Printer,
    first_sentence: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Occupation and skill vectors (item sources) and query vectors from other real texts: occupations'
    alternative titles. Embedded with the fastest path (only the data, not a measurement); cached per embedder
    and text set under the data dir."""
    rng = random.Random(seed)
    occupations = list(esco.occupations())
    rng.shuffle(occupations)
    occupations = occupations[:n_occupations]
    skills = list(esco.skills())
    rng.shuffle(skills)
    skills = skills[:n_skills]
    titles = sorted({title for occ in esco.occupations() for title in occ.other_titles})
    rng.shuffle(titles)
    titles = titles[:n_queries]
    def shorten(text: str) -> str:
        return text.split(". ")[0] if first_sentence else text

    texts = [f"{occ.title}. {shorten(occ.description)}" for occ in occupations] + [shorten(s) for s in skills] + titles
    key = hashlib.sha256(("\n".join(texts) + embedder.name).encode()).hexdigest()[:16]
    path = cache_dir / f"esco-{key}.npy"
    if path.exists():
        vectors = np.load(path)
        say(f"  ESCO vectors from the cache ({path.name})")
    else:
        say(f"  embedding {len(texts)} ESCO texts with {embedder.name} (cached for later runs)")
        started = time.perf_counter()
        order = np.argsort([len(text) for text in texts])
        vectors = np.zeros((len(texts), embedder.dim), dtype=np.float32)
        for start in range(0, len(texts), 512):
            part = order[start : start + 512]
            vectors[part] = embedder.embed([texts[i] for i in part])
        say(f"  embedded in {time.perf_counter() - started:.0f} s")
        cache_dir.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
    a, b = len(occupations), len(occupations) + len(skills)
    return vectors[:a], vectors[a:b], vectors[b:]


def derive_items(occupations: np.ndarray, skills: np.ndarray, *, n: int, seed: int) -> np.ndarray:
    """Opportunity-like vectors: an occupation mixed with a skill, plus small noise, re-normalised."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, occupations.shape[1]), dtype=np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        weight = rng.uniform(0.55, 0.9, size=(m, 1)).astype(np.float32)
        mixed = weight * occupations[rng.integers(0, len(occupations), m)]
        mixed += (1 - weight) * skills[rng.integers(0, len(skills), m)]
        mixed += rng.normal(0, NOISE, size=mixed.shape).astype(np.float32)
        out[start : start + m] = mixed / np.linalg.norm(mixed, axis=1, keepdims=True)
    return out
