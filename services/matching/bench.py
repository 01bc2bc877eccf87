"""The matching benchmark (`youth-guarantee bench`): vectors from real ESCO texts, the service's index against
exact FAISS and hnswlib measured side by side, filtered recall, embedding throughput of the plain and the fast
path, and event-to-searchable latency through the real broker."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import random
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from services.matching import esco
from services.matching.config import MatchingSettings
from services.matching.embedder import (
    Embedder,
    cpu_flags,
    fast_config,
    load_fast,
    load_plain,
    mean_cosine,
)
from services.matching.index import HnswIndex
from services.matching.runtime import index_params

SELECTIVITIES = (0.01, 0.1, 0.5)
EF_SWEEP = (16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512)
NOISE = 0.01
Printer = Callable[[str], None]


@dataclass(frozen=True)
class BenchOptions:
    quick: bool = False
    scale: int = 100_000
    queries: int = 1000
    events: bool = True
    seed: int = 7
    event_rate: float = 20.0
    event_seconds: float = 30.0
    bulk: int = 5000

    @property
    def n_items(self) -> int:
        return 10_000 if self.quick else self.scale

    @property
    def n_queries(self) -> int:
        return min(self.queries, 200) if self.quick else self.queries


# -- helpers ------------------------------------------------------------------------------------------------------


def _ms(seconds: Sequence[float]) -> tuple[float, float]:
    values = np.asarray(seconds) * 1000
    return float(np.percentile(values, 50)), float(np.percentile(values, 99))


def _rss_mb() -> float:
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _recall(found: Sequence[Any], truth: np.ndarray, k: int = 10) -> float:
    return float(np.mean([len(set(list(f)[:k]) & set(t[:k].tolist())) / k for f, t in zip(found, truth, strict=True)]))


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


def machine() -> dict[str, Any]:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = ""
    try:
        with open("/proc/meminfo") as handle:
            memory = f"{int(handle.readline().split()[1]) / 1024 / 1024:.0f} GB"
    except OSError:
        pass
    import hnswlib  # noqa: F401 - version below
    import onnxruntime
    import sentence_transformers
    import torch

    flags = cpu_flags()
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory": memory,
        "simd": sorted(flag for flag in flags if flag in {"avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_int8"}),
        "python": platform.python_version(),
        "faiss": faiss.__version__,
        "sentence_transformers": sentence_transformers.__version__,
        "onnxruntime": onnxruntime.__version__,
        "torch": torch.__version__,
    }


# -- embedding ----------------------------------------------------------------------------------------------------


def measure_embedding(
    plain: Embedder, fast: Embedder | None, texts: Sequence[str], rounds: int, say: Printer
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


def esco_vectors(
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


def derive_items(occupations: np.ndarray, skills: np.ndarray, n: int, seed: int) -> np.ndarray:
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


# -- indexes ------------------------------------------------------------------------------------------------------


def exact_truth(items: np.ndarray, queries: np.ndarray, k: int = 10) -> np.ndarray:
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    flat = faiss.IndexFlatIP(items.shape[1])
    flat.add(items)
    _, truth = flat.search(queries, k)
    return truth


def filtered_truth(items: np.ndarray, queries: np.ndarray, allowed: np.ndarray, k: int = 10) -> np.ndarray:
    ids = np.flatnonzero(allowed)
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    flat = faiss.IndexFlatIP(items.shape[1])
    flat.add(items[ids])
    _, local = flat.search(queries, k)
    return ids[local]


def compare_indexes(
    items: np.ndarray, queries: np.ndarray, settings: MatchingSettings, say: Printer
) -> dict[str, Any]:
    """Build the service's index and hnswlib with the same M and efConstruction, then time single top-10 queries
    for the service's index, hnswlib and exact IndexFlatIP interleaved query by query (one thread each)."""
    import hnswlib

    n, dim = items.shape
    out: dict[str, Any] = {}
    truth = exact_truth(items, queries)

    threads = os.cpu_count() or 1
    params = index_params(settings)
    rss = _rss_mb()
    faiss.omp_set_num_threads(threads)
    started = time.perf_counter()
    index = HnswIndex(dim, **params)
    for start in range(0, n, 50_000):
        index.upsert(np.arange(start, min(n, start + 50_000)), items[start : start + 50_000])
    out["build_s"] = time.perf_counter() - started
    out["memory_mb"] = sum(len(blob) for blob in index.to_bytes().values()) / 2**20
    out["rss_growth_mb"] = _rss_mb() - rss
    say(f"  {index.kind} M={settings.hnsw_m} efConstruction={settings.hnsw_ef_construction}: "
        f"built in {out['build_s']:.1f} s, {out['memory_mb']:.0f} MB (vectors + graph)")

    started = time.perf_counter()
    other = hnswlib.Index(space="ip", dim=dim)
    other.init_index(max_elements=n, ef_construction=settings.hnsw_ef_construction, M=settings.hnsw_m)
    other.set_num_threads(threads)
    other.add_items(items, np.arange(n))
    out["hnswlib_build_s"] = time.perf_counter() - started
    say(f"  hnswlib same M/efConstruction: built in {out['hnswlib_build_s']:.1f} s")

    flat = faiss.IndexFlatIP(dim)
    flat.add(items)
    faiss.omp_set_num_threads(1)
    other.set_num_threads(1)

    def faiss_at(ef: int) -> Callable[[np.ndarray], np.ndarray]:
        index.ef_search = ef
        return lambda q: index.search(q, 10)[0]

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
                "recall": _recall(sweep_found[name], truth[: len(sweep_queries)]),
                "p50_ms": _ms(sweep_times[name])[0],
            }
    out["ef_sweep"] = {name: {str(ef): v for ef, v in by_ef.items()} for name, by_ef in sweep.items()}

    ef = settings.hnsw_ef_search
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
    out["index_type"] = f"{index.kind} (M={settings.hnsw_m}, efSearch={ef})"
    out["p50_ms"], out["p99_ms"] = _ms(times["service"])
    out["recall_at_10"] = _recall(found["service"], truth)
    out["exact_p50_ms"], out["exact_p99_ms"] = _ms(times["exact"])
    out["hnswlib_p50_ms"], out["hnswlib_p99_ms"] = _ms(times["hnswlib"])
    out["hnswlib_recall_at_10"] = _recall(found["hnswlib"], truth)
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
    index.ef_search = ef
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
            recall = _recall(found, truth)
            p50 = _ms(times)[0]
            if label == "policy":
                exact = row["admitted"] <= policy or row["admitted"] <= index.exact_share * len(items)
                row.update(recall=recall, p50_ms=p50, path="exact" if exact else "graph")
            else:
                row[f"{label}_recall"], row[f"{label}_p50_ms"] = recall, p50
        index.exact_max = policy
        results[str(share)] = row
    return results


# -- events through the broker ------------------------------------------------------------------------------------


def _synthetic_people(n: int, seed: int) -> list[Any]:
    from services.messaging.contract import ProfileSnapshotV1

    rng = random.Random(seed)
    occupations = [occ for occ in esco.occupations() if occ.other_titles]
    skill_words = [" ".join(text.split()[:3]) for text in esco.skills()[:3000]]
    people = []
    today = dt.date.today()
    for _ in range(n):
        occ = rng.choice(occupations)
        people.append(
            ProfileSnapshotV1(
                profile_id=uuid.uuid4(),
                status="neet",
                date_of_birth=dt.date(today.year - rng.randint(16, 24), rng.randint(1, 12), rng.randint(1, 28)),
                postcode_district="SK1",
                latitude=53.4083 + rng.uniform(-0.05, 0.05),
                longitude=-2.1494 + rng.uniform(-0.05, 0.05),
                on_universal_credit=rng.random() < 0.4,
                priority_groups=[],
                skills=rng.sample(skill_words, 3),
                interests=[rng.choice(occ.other_titles), occ.title],
                qualifications=[],
                about="Synthetic benchmark person.",
                preferred_types=["apprenticeship"],
                max_travel_km=15.0,
                available_from=None,
                consent_share_with_employers=False,
                adviser_id=None,
                registered_at=dt.datetime.now(dt.UTC),
            )
        )
    return people


def event_timing(
    embedder: Embedder, settings: MatchingSettings, bootstrap_servers: str, options: BenchOptions, say: Printer
) -> dict[str, Any]:
    """Publish profile events through the real broker into a running matcher: at a steady rate, the time from
    publish until a query finds the person; then a burst, profiles/s until every one is searchable."""
    from services.matching.runtime import MatchingRuntime
    from services.matching.text import profile_text
    from services.messaging.broker import ensure_topics, make_producer
    from services.messaging.contract import EventType, make_event

    ensure_topics(bootstrap_servers)
    steady_n = int(options.event_rate * options.event_seconds)
    steady = _synthetic_people(steady_n, options.seed)
    burst = _synthetic_people(options.bulk, options.seed + 1)
    say(f"  embedding the {steady_n} steady-rate people's texts up front (their query vectors)")
    query_vectors = embedder.embed([profile_text(p) for p in steady])
    sample = [profile_text(p) for p in burst[:1000]]
    started = time.perf_counter()
    embedder.embed(sample)
    bound = len(sample) / (time.perf_counter() - started)

    with tempfile.TemporaryDirectory(prefix="yg-bench-") as tmp:
        run_settings = settings.model_copy(update={"data_dir": Path(tmp), "index_dir": None,
                                                   "kafka_bootstrap_servers": bootstrap_servers,
                                                   "save_interval_seconds": 3600.0})
        runtime = MatchingRuntime(run_settings, embedder=embedder, start_at_end=True)
        runtime.start()
        runtime.wait_ready(timeout=120)
        state = runtime.state
        assert state is not None
        producer = make_producer(bootstrap_servers, client_id="bench")

        def event(person: Any) -> tuple[bytes, bytes]:
            envelope = make_event(EventType.PROFILE_REGISTERED, producer="bench", aggregate_id=str(person.profile_id),
                                  aggregate_version=1, payload=person)
            return envelope.aggregate_id.encode(), envelope.model_dump_json().encode()

        published: dict[int, float] = {}
        seen: dict[int, float] = {}
        done = threading.Event()

        def watch() -> None:
            while not done.is_set():
                pending = [i for i in list(published) if i not in seen]
                for i in pending:
                    with state.lock:
                        rows, _ = state.profiles.index.search(query_vectors[i], 1)
                        hit = len(rows) and state.profiles.at(int(rows[0]))
                        if hit and hit.profile_id == steady[i].profile_id:
                            seen[i] = time.perf_counter()
                time.sleep(0.0005)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        say(f"  publishing {steady_n} profile events at {options.event_rate:g}/s")
        begin = time.perf_counter()
        for i, person in enumerate(steady):
            delay = begin + i / options.event_rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            key, value = event(person)
            published[i] = time.perf_counter()
            producer.send("yg.profiles", key=key, value=value)
            producer.flush()
        deadline = time.perf_counter() + 30
        while len(seen) < steady_n and time.perf_counter() < deadline:
            time.sleep(0.05)
        done.set()
        watcher.join()
        latencies = [seen[i] - published[i] for i in seen]
        p50, p99 = _ms(latencies) if latencies else (float("nan"), float("nan"))

        say(f"  publishing a burst of {options.bulk} profile events")
        burst_events = [event(person) for person in burst]
        ids = [str(person.profile_id) for person in burst]
        began = time.perf_counter()
        for key, value in burst_events:
            producer.send("yg.profiles", key=key, value=value)
        producer.flush()
        deadline = time.perf_counter() + 600
        while time.perf_counter() < deadline:
            with state.lock:
                if all(pid in state.versions for pid in ids):
                    break
            time.sleep(0.02)
        elapsed = time.perf_counter() - began
        with state.lock:
            searchable = sum(1 for pid in ids if pid in state.versions)
        producer.close()
        runtime.stop()
    return {
        "event_rate_per_s": options.event_rate,
        "events_published": steady_n,
        "events_found": len(latencies),
        "event_to_searchable_p50_ms": p50,
        "event_to_searchable_p99_ms": p99,
        "bulk_events": options.bulk,
        "bulk_searchable": searchable,
        "bulk_seconds": elapsed,
        "bulk_profiles_per_s": searchable / elapsed,
        "bulk_embed_bound_per_s": bound,
    }


# -- the run ------------------------------------------------------------------------------------------------------


def run(
    options: BenchOptions,
    settings: MatchingSettings,
    *,
    bootstrap_servers: str | None = None,
    say: Printer = print,
) -> dict[str, Any]:
    started = time.perf_counter()
    results: dict[str, Any] = {
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "quick": options.quick,
        "machine": machine(),
    }
    cache = settings.resolved_model_cache_dir()
    say("embedding throughput: plain sentence-transformers vs the fast path, alternating rounds")
    plain = load_plain()
    config = fast_config(cpu_flags())
    fast = load_fast(cache, config) if config else None
    results["fast_path"] = fast.name if fast else "none (CPU lacks avx512_vnni)"
    occupations = list(esco.occupations())
    random.Random(options.seed).shuffle(occupations)
    texts = [f"{occ.title}. {occ.description}" for occ in occupations]
    n_texts, rounds = (256, 2) if options.quick else (1024, 8)
    results.update(measure_embedding(plain, fast, texts[:n_texts], rounds, say))
    fast_qualifies = bool(
        fast and (results["embed_speedup"] or 0) >= 2.0 and (results["embed_cosine"] or 0) >= settings.min_fast_cosine
    )
    results["fast_path_meets_target"] = fast_qualifies
    embedder: Embedder = fast if fast_qualifies and fast is not None else plain
    results["service_embedder"] = embedder.name

    say("vectors from real text (ESCO occupations and skills), queries from other ESCO titles")
    n_occ, n_skills = (500, 700) if options.quick else (len(esco.occupations()), len(esco.skills()))
    occ_vectors, skill_vectors, query_vectors = esco_vectors(
        fast or plain, settings.resolved_index_dir() / "bench-cache", n_occ, n_skills, options.n_queries,
        options.seed, say, first_sentence=options.quick,
    )
    items = derive_items(occ_vectors, skill_vectors, options.n_items, options.seed)
    results["n_items"] = options.n_items
    results["n_queries"] = len(query_vectors)
    results["item_sources"] = {"occupations": len(occ_vectors), "skills": len(skill_vectors), "noise_sigma": NOISE}

    say(f"indexes over {options.n_items:,} items, {len(query_vectors)} single top-10 queries")
    results.update(compare_indexes(items, query_vectors, settings, say))
    del items

    if options.events and not options.quick and bootstrap_servers:
        say(f"event to searchable through the broker at {bootstrap_servers}")
        results.update(event_timing(embedder, settings, bootstrap_servers, options, say))
    else:
        results.update({"event_to_searchable_p50_ms": None, "event_to_searchable_p99_ms": None,
                        "bulk_profiles_per_s": None})
    results["total_seconds"] = time.perf_counter() - started
    return results


def table(results: dict[str, Any]) -> str:
    """The figures as a plain two-column table."""

    def f(value: Any, digits: int = 3) -> str:
        if value is None:
            return "-"
        if isinstance(value, float):
            return f"{value:,.{digits}f}"
        return f"{value:,}" if isinstance(value, int) else str(value)

    m = results["machine"]
    rows = [
        ("machine", f"{m['cpu']}, {m['cores']} cores, {m['memory']}, {' '.join(m['simd'])}"),
        ("items / queries", f"{f(results['n_items'])} / {f(results['n_queries'])}"),
        ("index type", results["index_type"]),
        ("build time (s) / memory (MB)", f"{f(results['build_s'], 1)} / {f(results['memory_mb'], 0)}"),
        ("top-10 p50 / p99 (ms)", f"{f(results['p50_ms'])} / {f(results['p99_ms'])}"),
        ("recall@10", f(results["recall_at_10"])),
        ("exact IndexFlatIP p50 / p99 (ms)", f"{f(results['exact_p50_ms'])} / {f(results['exact_p99_ms'])}"),
        ("speed-up vs exact (median)", f"{f(results['speedup_vs_exact'], 1)}x"),
        ("hnswlib same M/ef p50 (ms) / recall@10",
         f"{f(results['hnswlib_p50_ms'])} / {f(results['hnswlib_recall_at_10'])}"),
        ("hnswlib build (s)", f(results["hnswlib_build_s"], 1)),
    ]
    equal = results["equal_recall"]
    rows.append((
        f"at equal recall {f(equal['recall'])}: p50 (ms)",
        f"faiss {f(equal['faiss_p50_ms'])} vs hnswlib {f(equal['hnswlib_p50_ms'])}",
    ))
    for share, row in results["filtered"].items():
        rows.append((
            f"filtered {float(share):.0%}: recall@10 / p50 (ms)",
            f"{f(row['recall'])} / {f(row['p50_ms'])} via {row['path']} "
            f"(graph {f(row['graph_recall'])}/{f(row['graph_p50_ms'])}, exact {f(row['exact_p50_ms'])} ms)",
        ))
    rows += [
        ("embed plain / fast (texts/s)", f"{f(results['embed_plain_per_s'], 0)} / {f(results['embed_fast_per_s'], 0)}"),
        ("fast path, speed-up, mean cosine",
         f"{results['fast_path']}, {f(results['embed_speedup'], 2)}x, {f(results['embed_cosine'], 4)}"),
        ("service embeds with", results["service_embedder"]),
        ("event to searchable p50 / p99 (ms)",
         f"{f(results['event_to_searchable_p50_ms'], 1)} / {f(results['event_to_searchable_p99_ms'], 1)}"),
        ("bulk profiles/s (embedding bound)",
         f"{f(results['bulk_profiles_per_s'], 0)} ({f(results.get('bulk_embed_bound_per_s'), 0)})"),
        ("total run (s)", f(results["total_seconds"], 0)),
    ]
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label.ljust(width)}  {value}" for label, value in rows)


def write_json(results: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
