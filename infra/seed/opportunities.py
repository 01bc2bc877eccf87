"""Seed the opportunities service: employers across Stockport, live opportunities of every type drawn from ESCO
occupations, and a back-dated history of referrals for the seeded young people. Synthetic data only: every
use case runs in-process with the time it would have happened, so the outbox holds real events in order."""

from __future__ import annotations

from collections.abc import Callable

from infra.seed.context import SeedContext, seed_engine
from infra.seed.employers import register_employers
from infra.seed.history import History, SeedSummary, late_people
from infra.seed.occupations import occupations_by_sector
from infra.seed.postings import plan_opportunities
from infra.seed.profile_directory import profiles_directory
from services.common.clock import FixedClock
from services.common.db import make_session_factory, run_migrations
from services.opportunities.browse import browse_opportunities
from services.opportunities.config import OpportunitiesSettings
from services.opportunities.directory import ProfileDirectory
from services.opportunities.main import MIGRATIONS
from services.opportunities.schemas import BrowseQuery

EMPLOYERS = 45
LIVE_OPPORTUNITIES = 340
PAST_OPPORTUNITIES = 160
HISTORY_DAYS = 240


def seed(
    ctx: SeedContext, *, settings: OpportunitiesSettings | None = None, directory: ProfileDirectory | None = None
) -> SeedSummary:
    """Employers, live opportunities of every type across Stockport, and a referral history for ctx.people."""
    settings = settings or OpportunitiesSettings()
    url = settings.resolved_database_url()
    run_migrations(url, MIGRATIONS)
    engine = seed_engine(url)
    clock = FixedClock(ctx.now)
    close_directory: Callable[[], None] = lambda: None  # noqa: E731
    if directory is None and ctx.people:
        directory, close_directory = profiles_directory(clock)
    occupations = occupations_by_sector()
    try:
        with make_session_factory(engine)() as session:
            history = History(ctx, session, directory, clock)
            employers = register_employers(
                ctx=ctx,
                session=session,
                principal=history.adviser,
                count=EMPLOYERS,
                days_ago=(HISTORY_DAYS + 20, HISTORY_DAYS + 120),
            )
            history.summary.employers = len(employers)
            planned = plan_opportunities(
                ctx=ctx,
                employers=employers,
                occupations=occupations,
                live=LIVE_OPPORTUNITIES,
                past=PAST_OPPORTUNITIES,
                history_days=HISTORY_DAYS,
            )
            history.schedule_publishing(planned, settings)
            history.schedule_people(late_people(ctx, directory))
            for _ in ctx.progress(history.run(), desc="opportunities and referrals", total=len(history.queue)):
                pass
            history.summary.live_opportunities = browse_opportunities(
                session=session, today=ctx.now.date(), query=BrowseQuery(limit=1)
            ).total
            ctx.offers.extend(history.offers.values())
            return history.summary
    finally:
        close_directory()
        engine.dispose()
