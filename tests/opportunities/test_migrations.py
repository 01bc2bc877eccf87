"""Migration 0002 on a database already holding referrals: nothing is lost, on SQLite (which rebuilds the table,
and would cascade to the status history) as on PostgreSQL, and a referral can then outlive its person."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import func, select, update

from services.common.db import make_engine, make_session_factory
from services.opportunities.main import MIGRATIONS
from services.opportunities.models import Employer, Opportunity, Referral, ReferralStatusChange
from tests.support.databases import TestDatabases

AT = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


def _config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _referral_with_history(url: str) -> uuid.UUID:
    """Rows written with the 0001 schema (the models' new columns left out)."""
    engine = make_engine(url)
    employer_id, opportunity_id, referral_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with engine.begin() as connection:
        connection.execute(
            Employer.__table__.insert().values(
                id=employer_id,
                name="Old Mill Ltd",
                postcode="SK1 1AA",
                sector="construction",
                contact_email="jobs@oldmill.example.org",
                disability_confident=False,
                living_wage_employer=False,
                good_employment_charter=False,
                registered_by="adviser",
                version=1,
                created_at=AT,
                updated_at=AT,
            )
        )
        connection.execute(
            Opportunity.__table__.insert().values(
                id=opportunity_id,
                employer_id=employer_id,
                type="job",
                status="live",
                title="Labourer",
                description="Site work.",
                skills=[],
                sector="construction",
                postcode="SK1 1AA",
                latitude=53.4,
                longitude=-2.15,
                remote=False,
                hours_per_week=37.5,
                wage_pence_per_hour=1300,
                positions=1,
                positions_filled=0,
                start_date=dt.date(2026, 3, 1),
                closing_date=dt.date(2026, 2, 1),
                requires_universal_credit=False,
                version=2,
                created_at=AT,
                updated_at=AT,
            )
        )
        connection.execute(
            Referral.__table__.insert().values(
                id=referral_id,
                profile_id=uuid.uuid4(),
                opportunity_id=opportunity_id,
                employer_id=employer_id,
                adviser_id="adviser-1",
                note="Keen",
                status="applied",
                version=2,
                created_at=AT,
                updated_at=AT,
            )
        )
        for previous, status in ((None, "referred"), ("referred", "applied")):
            connection.execute(
                ReferralStatusChange.__table__.insert().values(
                    referral_id=referral_id,
                    from_status=previous,
                    to_status=status,
                    changed_by_role="adviser",
                    changed_at=AT,
                )
            )
    engine.dispose()
    return referral_id


@pytest.mark.parametrize("backend", ["sqlite", "configured"])
def test_upgrading_keeps_referrals_and_their_history(backend: str, databases: TestDatabases, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}" if backend == "sqlite" else databases.new_url("migrate")
    command.upgrade(_config(url), "0001")
    referral_id = _referral_with_history(url)

    command.upgrade(_config(url), "head")

    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(ReferralStatusChange)) == 2
        referral = session.get(Referral, referral_id)
        assert referral is not None and referral.note == "Keen" and referral.erased_at is None
        session.execute(update(Referral).values(profile_id=None, erased_at=AT))
        session.commit()
        assert session.scalar(select(Referral.profile_id)) is None
    engine.dispose()
