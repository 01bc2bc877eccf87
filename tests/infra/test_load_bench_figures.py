"""The load benchmark's own arithmetic: percentiles from the services' latency histograms, the route names the driver
and the services use, CPU per process from /proc, and the full garbage collections a service made."""

from __future__ import annotations

import gc
import os
import random
import sys
import time

import numpy as np
import pytest
from prometheus_client import generate_latest

from benchmarks.cpu import CpuMeter, collections, histogram_percentile
from benchmarks.load import _route_key
from services.common.observability import GcPauses

BOUNDS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, float("inf"))


def cumulative(values: list[float]) -> dict[float, float]:
    return {bound: float(sum(1 for v in values if v <= bound)) for bound in BOUNDS}


@pytest.mark.parametrize("seed", range(5))
def test_a_percentile_from_two_scrapes_falls_in_the_bucket_of_the_true_one(seed: int) -> None:
    rng = random.Random(seed)
    earlier = [rng.lognormvariate(-4, 1) for _ in range(300)]
    between = [rng.lognormvariate(-2, 1.2) for _ in range(2000)]
    for quantile in (0.5, 0.99):
        estimate = histogram_percentile(cumulative(earlier), cumulative(earlier + between), quantile)
        true = float(np.percentile(between, quantile * 100))
        bucket = next(i for i, bound in enumerate(BOUNDS) if true <= bound)
        low, high = (BOUNDS[bucket - 1] if bucket else 0.0), BOUNDS[bucket]
        assert estimate is not None and low <= estimate <= high
        print(f"seed {seed} p{quantile * 100:g}: true {true * 1000:.1f} ms, from the histogram {estimate * 1000:.1f}")


def test_nothing_observed_between_two_scrapes_has_no_percentile() -> None:
    same = cumulative([0.01, 0.2])
    assert histogram_percentile(same, same, 0.5) is None


def test_the_driver_and_the_service_name_a_route_alike() -> None:
    assert _route_key("GET /profiles/{id}/matches") == _route_key("GET /profiles/{profile_id}/matches")
    assert _route_key("GET /opportunities?q&type") == "GET /opportunities"
    assert _route_key("POST /opportunities/{id}/publish") != _route_key("POST /opportunities")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_cpu_per_process_counts_a_busy_process_and_not_an_idle_one() -> None:
    idle = os.getppid()
    meter = CpuMeter({"this": lambda: [os.getpid()], "parent": lambda: [idle]})
    meter.start()
    deadline = time.process_time() + 0.3
    while time.process_time() < deadline:
        pass
    figures = meter.stop()
    shares = figures["percent_of_one_core"]
    assert isinstance(shares, dict)
    print(f"busy loop: {shares['this']}% of one core; machine load average {figures['load_average_1m']}")
    assert shares["this"] > 20.0
    assert shares["parent"] < 10.0  # the shell or runner that started the tests, waiting


def test_collections_counts_each_generations_pauses_between_two_scrapes() -> None:
    GcPauses.watch()
    GcPauses.watch()  # once per process, however many apps install it
    assert gc.callbacks.count(GcPauses.on_collection) == 1
    before = generate_latest().decode()
    for _ in range(3):
        gc.collect()
    gc.collect(1)
    made = collections(before, generate_latest().decode())
    full, middle = made["2"], made["1"]
    assert full["count"] >= 3 and middle["count"] >= 1  # and any the interpreter made of its own accord meanwhile
    assert full["total_ms"] > 0 and full["mean_ms"] == pytest.approx(full["total_ms"] / full["count"], abs=0.1)
    assert collections(before, before) == {generation: {"count": 0, "total_ms": 0.0, "mean_ms": 0.0}
                                           for generation in ("0", "1", "2")}
