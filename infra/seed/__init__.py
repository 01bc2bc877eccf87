"""`youth-guarantee seed`: synthetic demo data written through each service's own use cases."""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import random

from infra.seed.context import SeedContext

STEPS = ("infra.seed.profiles", "infra.seed.opportunities", "infra.seed.outcomes", "infra.seed.activity")


def seed_all(*, seed: int = 2026, show_progress: bool = True) -> list[str]:
    """Run every seed step that is built; returns what it did."""
    ctx = SeedContext(now=dt.datetime.now(dt.UTC), rng=random.Random(seed), show_progress=show_progress)
    done = []
    for step in STEPS:
        if importlib.util.find_spec(step) is None:
            done.append(f"{step.rsplit('.', 1)[-1]}: not built yet, skipped")
            continue
        importlib.import_module(step).seed(ctx)
        done.append(f"{step.rsplit('.', 1)[-1]}: seeded")
    done.append(f"{len(ctx.people)} young people, {len(ctx.employer_ids)} employers")
    return done
