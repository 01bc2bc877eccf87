"""Prometheus gauges for the headline figures, computed from the projections when /metrics is scraped."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import structlog
from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily, Metric

from services.events.schemas import GroupFigures, StatsRead

log = structlog.get_logger("events.metrics")


@dataclass(frozen=True)
class Headline:
    """The published figures, disclosure control applied: a hidden one is left out of the scrape."""

    stats: StatsRead
    guarantee: GroupFigures


class HeadlineCollector:
    """One per process, registered once; the running app attaches the function that reads its figures."""

    def __init__(self) -> None:
        self._source: Callable[[], Headline] | None = None
        self._lock = threading.Lock()

    def attach(self, source: Callable[[], Headline] | None) -> None:
        with self._lock:
            self._source = source

    def describe(self) -> Iterator[Metric]:
        yield from self._families(None)

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            source = self._source
        if source is None:
            return
        try:
            headline = source()
        except Exception as exc:  # noqa: BLE001 - a scrape must not fail because a figure could not be read
            log.warning("headline figures unavailable", error=repr(exc)[:200])
            return
        yield from self._families(headline)

    @staticmethod
    def _families(headline: Headline | None) -> Iterator[Metric]:
        def gauge(name: str, documentation: str, labels: list[str] | None = None) -> GaugeMetricFamily:
            return GaugeMetricFamily(name, documentation, labels=labels)

        def add(family: GaugeMetricFamily, labels: list[str], value: float | None) -> None:
            if value is not None:
                family.add_metric(labels, value)

        registered = gauge("yg_young_people_registered", "Young people ever registered (erased ones anonymously)")
        neet = gauge("yg_young_people_neet", "Young people whose status is NEET now")
        clocks = gauge("yg_guarantee_people", "People by the status of their current guarantee clock", ["status"])
        median = gauge("yg_guarantee_median_days_to_offer", "Median days from the clock starting to an offer")
        share = gauge("yg_guarantee_offers_within_deadline_ratio", "Share of offers made within the deadline")
        referrals = gauge("yg_referrals", "Referrals that reached each stage, all time", ["stage"])
        starts = gauge("yg_starts_by_type", "Accepted offers by opportunity type, all time", ["type"])
        live = gauge("yg_live_opportunities", "Opportunities live now")
        positions = gauge("yg_live_positions", "Positions on live opportunities", ["kind"])
        employers = gauge("yg_employers", "Employers, and those with each pledge", ["flag"])
        if headline is not None:
            stats, clock = headline.stats, headline.guarantee
            add(registered, [], stats.registered_young_people)
            add(neet, [], stats.neet_now)
            for status, figure in clock.counts.items():
                add(clocks, [status], figure.value)
            add(median, [], clock.median_days_to_offer.value)
            add(share, [], clock.share_offered_within_deadline.value)
            for stage, count in (
                ("referred", stats.referrals),
                ("interviewing", stats.interviews),
                ("offered", stats.offers),
                ("accepted", stats.starts),
            ):
                add(referrals, [stage], count)
            for opportunity_type, count in stats.starts_by_type.items():
                add(starts, [opportunity_type], count)
            live.add_metric([], stats.live_opportunities)
            positions.add_metric(["total"], stats.live_positions)
            positions.add_metric(["open"], stats.open_positions)
            for flag, count in stats.employers.model_dump().items():
                employers.add_metric([flag], count)
        yield from (registered, neet, clocks, median, share, referrals, starts, live, positions, employers)


HEADLINES = HeadlineCollector()
REGISTRY.register(HEADLINES)  # type: ignore[arg-type]
