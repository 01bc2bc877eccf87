"""How a broker may deliver a clean sequence of events, as hypothesis strategies: each event any number of times,
some published again under a new event id (a producer retry), all in any order (so older versions arrive after
newer ones), in batches of any size. A plan is drawn for a number of events and applied to the events of a test."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hypothesis import strategies as st

from services.messaging.contract import EventEnvelope
from tests.support.events import reissued


@dataclass(frozen=True)
class DeliveryPlan:
    copies: tuple[int, ...]  # deliveries of each event under its own id
    reissues: tuple[bool, ...]  # whether each event is also published again under a new id
    order: tuple[int, ...]  # a permutation of the deliveries
    batch: int

    def apply(self, events: Sequence[EventEnvelope]) -> list[EventEnvelope]:
        assert len(events) == len(self.copies), "a plan is drawn for a number of events"
        delivered: list[EventEnvelope] = []
        for event, copies, again in zip(events, self.copies, self.reissues, strict=True):
            delivered.extend([event] * copies)
            if again:
                delivered.append(reissued(event))
        return [delivered[i] for i in self.order]

    def batches(self, events: Sequence[EventEnvelope]) -> list[list[EventEnvelope]]:
        delivered = self.apply(events)
        return [delivered[start : start + self.batch] for start in range(0, len(delivered), self.batch)]


@st.composite
def delivery_plans(draw: st.DrawFn, count: int, max_batch: int = 9) -> DeliveryPlan:
    """Duplicated, re-issued and reordered deliveries of `count` events."""
    copies = tuple(draw(st.lists(st.integers(1, 3), min_size=count, max_size=count)))
    reissues = tuple(draw(st.lists(st.booleans(), min_size=count, max_size=count)))
    total = sum(copies) + sum(reissues)
    order = tuple(draw(st.permutations(range(total))))
    return DeliveryPlan(copies, reissues, order, draw(st.integers(1, max_batch)))
