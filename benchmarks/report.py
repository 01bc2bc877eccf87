"""What a benchmark run reports: the machine it ran on, progress lines, the figures as a table and as JSON."""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import faiss
import onnxruntime
import sentence_transformers
import torch

from services.matching.embedder import cpu_flags

Printer = Callable[[str], None]


def py_spy() -> str:
    """The py-spy installed beside this Python (the bench extra), else whatever `py-spy` the PATH finds."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else "py-spy"


def machine() -> dict[str, Any]:
    """The CPU, memory and library versions the figures were measured with."""
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
    flags = cpu_flags()
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory": memory,
        "simd": sorted(flag for flag in flags if flag in {"avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_int8"}),
        "python": platform.python_version(),
        "faiss": faiss.__version__,
        "hnswlib": version("hnswlib"),
        "sentence_transformers": sentence_transformers.__version__,
        "onnxruntime": onnxruntime.__version__,
        "torch": torch.__version__,
    }


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
        ("index vectors embedded with", results.get("bench_embedder", "-")),
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
    """The figures as one JSON object in a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
