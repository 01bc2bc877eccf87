"""Where the CPU went during a benchmark: seconds of CPU per process (Linux /proc), as a share of one core, beside
the whole machine's busy share and load average, so work of other processes on a shared host shows too."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

PROC = Path("/proc")


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of one process (all its threads); 0 when it is gone or there is no /proc."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def matching_pids(words: tuple[str, ...]) -> list[int]:
    """Processes whose command line holds every word (e.g. a PostgreSQL backend of given databases)."""
    found = []
    for entry in PROC.glob("[0-9]*"):
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if all(word in command for word in words):
            found.append(int(entry.name))
    return found


def _machine_ticks() -> tuple[int, int]:
    """(all, idle) jiffies of every CPU since boot."""
    try:
        values = [int(v) for v in (PROC / "stat").read_text().splitlines()[0].split()[1:]]
    except OSError:
        return 0, 0
    return sum(values), values[3] + values[4]


@dataclass
class CpuMeter:
    """CPU per named group of processes between start() and stop(). A group is a function giving its pids, asked at
    both ends, so short-lived processes (database connections) count from when they were first seen."""

    groups: dict[str, Callable[[], list[int]]]
    _start: dict[int, float] = field(default_factory=dict)
    _machine: tuple[int, int] = (0, 0)
    _wall: float = 0.0

    def start(self) -> None:
        self._start = {pid: cpu_seconds(pid) for pids in self.groups.values() for pid in pids()}
        self._machine = _machine_ticks()
        self._wall = time.monotonic()

    def stop(self) -> dict[str, object]:
        wall = time.monotonic() - self._wall
        total, idle = _machine_ticks()
        share: dict[str, float] = {}
        for name, pids in self.groups.items():
            used = sum(max(0.0, cpu_seconds(pid) - self._start.get(pid, 0.0)) for pid in set(pids()))
            share[name] = round(100 * used / wall, 1)
        spent, idled = total - self._machine[0], idle - self._machine[1]
        cores = os.cpu_count() or 1
        busy = 100 * cores * (1 - idled / spent) if spent else 0.0
        return {
            "percent_of_one_core": share,
            "machine_busy_percent_of_one_core": round(busy, 1),
            "others_percent_of_one_core": round(max(0.0, busy - sum(share.values())), 1),
            "cores": cores,
            "load_average_1m": round(os.getloadavg()[0], 1),
            "seconds": round(wall, 1),
        }


def histogram_buckets(metrics_text: str, name: str) -> dict[tuple[str, str], dict[float, float]]:
    """Cumulative bucket counts of a Prometheus histogram by (method, route), from a /metrics page."""
    from prometheus_client.parser import text_string_to_metric_families

    found: dict[tuple[str, str], dict[float, float]] = {}
    for family in text_string_to_metric_families(metrics_text):
        if family.name != name:
            continue
        for sample in family.samples:
            if sample.name.endswith("_bucket"):
                key = (sample.labels.get("method", ""), sample.labels.get("route", ""))
                found.setdefault(key, {})[float(sample.labels["le"])] = sample.value
    return found


def histogram_percentile(before: dict[float, float], after: dict[float, float], quantile: float) -> float | None:
    """A percentile (seconds) of what a histogram observed between two scrapes, interpolated within its bucket."""
    bounds = sorted(after)
    counts = [after[b] - before.get(b, 0.0) for b in bounds]
    total = counts[-1] if counts else 0.0
    if total <= 0:
        return None
    wanted = quantile * total
    lower_bound, lower_count = 0.0, 0.0
    for bound, count in zip(bounds, counts, strict=True):
        if count >= wanted:
            if bound == float("inf"):
                return lower_bound
            share = (wanted - lower_count) / (count - lower_count) if count > lower_count else 1.0
            return lower_bound + share * (bound - lower_bound)
        lower_bound, lower_count = bound, count
    return lower_bound


def collections(before: str, after: str, name: str = "yg_gc_pause_seconds") -> dict[str, dict[str, float]]:
    """The garbage collections of each generation ("0", "1", "2": full) a process made between two scrapes of its
    /metrics page: how many, and their mean and total pause in ms."""
    from prometheus_client.parser import text_string_to_metric_families

    def totals(page: str) -> dict[str, tuple[float, float]]:
        found: dict[str, list[float]] = {}
        for family in text_string_to_metric_families(page):
            if family.name == name:
                for sample in family.samples:
                    pair = found.setdefault(sample.labels.get("generation", "?"), [0.0, 0.0])
                    if sample.name.endswith("_count"):
                        pair[0] = sample.value
                    elif sample.name.endswith("_sum"):
                        pair[1] = sample.value
        return {generation: (pair[0], pair[1]) for generation, pair in found.items()}

    first, last = totals(before), totals(after)
    made = {}
    for generation in ("0", "1", "2"):
        (count_0, sum_0), (count_1, sum_1) = first.get(generation, (0.0, 0.0)), last.get(generation, (0.0, 0.0))
        count, seconds = count_1 - count_0, sum_1 - sum_0
        made[generation] = {"count": count, "total_ms": round(seconds * 1000, 1),
                            "mean_ms": round(seconds * 1000 / count, 3) if count else 0.0}
    return made
