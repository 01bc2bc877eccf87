"""The service's index against exact FAISS and hnswlib: build time, memory, latency and recall over efSearch, at
equal recall, and under filters that admit a share of the items."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import faiss
import hnswlib
import numpy as np

from benchmarks.report import Printer
from benchmarks.stats import latency_ms, recall_at
from services.matching.config import MatchingSettings
from services.matching.index import HnswIndex
from services.matching.runtime import index_params

SELECTIVITIES = (0.01, 0.1, 0.5)
EF_SWEEP = (16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512)


def _rss_mb() -> float:
    """This process's resident memory now."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _p50_at_recall(curve: dict[int, dict[str, float]], target: float) -> float:
    """Median latency at a recall, interpolated linearly along a recall/latency curve (ordered by ef)."""
    points = [(v["recall"], v["p50_ms"]) for _, v in sorted(curve.items())]
    previous = None
    for recall, p50 in points:
        if recall >= target:
            if previous is None or recall == previous[0]:
                return p50
            share = (target - previous[0]) / (recall - previous[0])
            return previous[1] + share * (p50 - previous[1])
        if previous is None or recall > previous[0]:
            previous = (recall, p50)
    return points[-1][1]


def exact_truth(items: np.ndarray, queries: np.ndarray, k: int = 10) -> np.ndarray:
    """Each query's true top k, by an exact scan."""
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    flat = faiss.IndexFlatIP(items.shape[1])
    flat.add(items)
    _, truth = flat.search(queries, k)
    return truth


def filtered_truth(items: np.ndarray, queries: np.ndarray, allowed: np.ndarray, k: int = 10) -> np.ndarray:
    """Each query's true top k among the allowed items, by an exact scan."""
    ids = np.flatnonzero(allowed)
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    flat = faiss.IndexFlatIP(items.shape[1])
    flat.add(items[ids])
    _, local = flat.search(queries, k)
    return ids[local]


def compare_indexes(
    *, items: np.ndarray, queries: np.ndarray, settings: MatchingSettings, say: Printer
) -> dict[str, Any]:
    """Build the service's index and hnswlib with the same M and efConstruction, then time single top-10 queries
    for the service's index, hnswlib and exact IndexFlatIP interleaved query by query (one thread each)."""
    n, dim = items.shape
    out: dict[str, Any] = {}
    truth = exact_truth(items, queries)

    threads = os.cpu_count() or 1
    params = index_params(settings)
    rss = _rss_mb()
    faiss.omp_set_num_threads(threads)
    started = time.perf_counter()
    index = HnswIndex(dim, expected=n, **params)  # settings chosen from the size (services/matching/index.Sizing)
    for start in range(0, n, 50_000):
        index.upsert(np.arange(start, min(n, start + 50_000)), items[start : start + 50_000])
    out["build_s"] = time.perf_counter() - started
    out["memory_mb"] = sum(len(blob) for blob in index.to_bytes().values()) / 2**20
    out["rss_growth_mb"] = _rss_mb() - rss
    out["index_settings"] = {"m": index.m, "ef_construction": index.ef_construction, "ef_search": index.ef_search}
    say(f"  {index.kind} M={index.m} efConstruction={index.ef_construction} efSearch={index.ef_search} "
        f"(chosen for {n:,} items): built in {out['build_s']:.1f} s, {out['memory_mb']:.0f} MB (vectors + graph)")

    started = time.perf_counter()
    other = hnswlib.Index(space="ip", dim=dim)
    other.init_index(max_elements=n, ef_construction=index.ef_construction, M=index.m)
    other.set_num_threads(threads)
    other.add_items(items, np.arange(n))
    out["hnswlib_build_s"] = time.perf_counter() - started
    say(f"  hnswlib same M/efConstruction: built in {out['hnswlib_build_s']:.1f} s")

    flat = faiss.IndexFlatIP(dim)
    flat.add(items)
    faiss.omp_set_num_threads(1)
    other.set_num_threads(1)

    def faiss_at(ef: int) -> Callable[[np.ndarray], np.ndarray]:
        return lambda q: index.search(q, 10, ef=ef)[0]

    def hnswlib_at(ef: int) -> Callable[[np.ndarray], np.ndarray]:
        other.set_ef(max(ef, 10))
        return lambda q: other.knn_query(q, k=10, num_threads=1)[0][0]

    # Recall/latency curves over efSearch, the two libraries timed query by query in turn (same noise).
    sweep: dict[str, dict[int, dict[str, float]]] = {"faiss": {}, "hnswlib": {}}
    sweep_queries = queries[: min(len(queries), 300)]
    for ef in EF_SWEEP:
        searches = {"faiss": faiss_at(ef), "hnswlib": hnswlib_at(ef)}
        sweep_times: dict[str, list[float]] = {"faiss": [], "hnswlib": []}
        sweep_found: dict[str, list[np.ndarray]] = {"faiss": [], "hnswlib": []}
        for q in sweep_queries:
            for name, search in searches.items():
                t = time.perf_counter()
                sweep_found[name].append(search(q))
                sweep_times[name].append(time.perf_counter() - t)
        for name in searches:
            sweep[name][ef] = {
                "recall": recall_at(sweep_found[name], truth[: len(sweep_queries)]),
                "p50_ms": latency_ms(sweep_times[name])[0],
            }
    out["ef_sweep"] = {name: {str(ef): v for ef, v in by_ef.items()} for name, by_ef in sweep.items()}

    ef = index.ef_search
    service_search, other_search = faiss_at(ef), hnswlib_at(ef)
    for q in queries[:100]:  # warm-up
        service_search(q)
        other_search(q)
    times: dict[str, list[float]] = {"service": [], "hnswlib": [], "exact": []}
    found: dict[str, list[np.ndarray]] = {"service": [], "hnswlib": []}
    for q in queries:
        t = time.perf_counter()
        found["service"].append(service_search(q))
        times["service"].append(time.perf_counter() - t)
        t = time.perf_counter()
        found["hnswlib"].append(other_search(q))
        times["hnswlib"].append(time.perf_counter() - t)
    # Exact scans apart: each reads every vector and would evict the graphs from the caches between queries.
    for q in queries[: 1000 if n <= 200_000 else 200]:
        t = time.perf_counter()
        flat.search(q.reshape(1, -1), 10)
        times["exact"].append(time.perf_counter() - t)
    out["index_type"] = f"{index.kind} (M={index.m}, efConstruction={index.ef_construction}, efSearch={ef})"
    out["p50_ms"], out["p99_ms"] = latency_ms(times["service"])
    out["recall_at_10"] = recall_at(found["service"], truth)
    out["exact_p50_ms"], out["exact_p99_ms"] = latency_ms(times["exact"])
    out["hnswlib_p50_ms"], out["hnswlib_p99_ms"] = latency_ms(times["hnswlib"])
    out["hnswlib_recall_at_10"] = recall_at(found["hnswlib"], truth)
    out["speedup_vs_exact"] = out["exact_p50_ms"] / out["p50_ms"]

    # Equal recall: each library's median latency at the recall the service reaches, read off its curve.
    target = out["recall_at_10"]
    out["equal_recall"] = {
        "recall": target,
        "faiss_p50_ms": _p50_at_recall(sweep["faiss"], target),
        "hnswlib_p50_ms": _p50_at_recall(sweep["hnswlib"], target),
    }

    out["filtered"] = filtered(index, items, queries[: min(len(queries), 300)], settings)
    out["filtered_recall_at_10"] = {str(s): v["recall"] for s, v in out["filtered"].items()}
    return out


def filtered(
    index: HnswIndex, items: np.ndarray, queries: np.ndarray, settings: MatchingSettings
) -> dict[str, dict[str, Any]]:
    """Recall and latency when a filter admits a share of the items, for the service's policy (exact over the
    admitted ids up to exact_search_max, else the graph with a selector and a wider beam), and each path alone."""
    rng = np.random.default_rng(11)
    results: dict[str, dict[str, Any]] = {}
    policy = index.exact_max
    for share in SELECTIVITIES:
        allowed = rng.random(len(items)) < share
        truth = filtered_truth(items, queries, allowed)
        faiss.omp_set_num_threads(1)
        row: dict[str, Any] = {"admitted": int(allowed.sum())}
        for label, exact_max in (("policy", policy), ("graph", 0), ("exact", len(items))):
            index.exact_max = exact_max
            times, found = [], []
            for q in queries:
                t = time.perf_counter()
                found.append(index.search(q, 10, allowed=allowed)[0])
                times.append(time.perf_counter() - t)
            recall = recall_at(found, truth)
            p50 = latency_ms(times)[0]
            if label == "policy":
                exact = row["admitted"] <= policy or row["admitted"] <= index.exact_share * len(items)
                row.update(recall=recall, p50_ms=p50, path="exact" if exact else "graph")
            else:
                row[f"{label}_recall"], row[f"{label}_p50_ms"] = recall, p50
        index.exact_max = policy
        results[str(share)] = row
    return results
