"""the activity record for the returns: each person's activity spells and September Guarantee outcomes, their date
of birth and postcode district, the adviser at each profile version (caseload history), erased people's exits as
anonymous tallies, and the extract downloads

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "activity_spells",
        sa.Column("profile_id", sa.Uuid(), nullable=False),
        sa.Column("spell_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.Integer(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=30), nullable=False),
        sa.Column(
            "confirmed_on",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("profile_id", "spell_id"),
    )
    op.create_table(
        "september_offers",
        sa.Column("profile_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=30), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("profile_id", "year"),
    )
    op.create_table(
        "erased_exits",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("stopped_on", sa.Date(), nullable=False),
        sa.Column("waited_days", sa.Float(), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("destination", sa.String(length=30), nullable=False),
        sa.Column("positive", sa.Boolean(), nullable=False),
        sa.Column("adviser_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("erased_exits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_erased_exits_stopped_on"), ["stopped_on"], unique=False)
    op.create_table(
        "extract_downloads",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("downloaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("downloaded_by", sa.String(length=64), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("adviser_id", sa.String(length=64), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("extract_downloads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_extract_downloads_downloaded_at"), ["downloaded_at"], unique=False)
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("date_of_birth", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("postcode_district", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("activity_version", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("status_changes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("adviser_id", sa.String(length=64), nullable=True))
    # Versions received before this revision: their adviser is the newest one known (the history starts here).
    people = sa.table("people", sa.column("profile_id", sa.Uuid()), sa.column("adviser_id", sa.String()))
    changes = sa.table("status_changes", sa.column("profile_id", sa.Uuid()), sa.column("adviser_id", sa.String()))
    op.execute(
        changes.update().values(
            adviser_id=sa.select(people.c.adviser_id).where(people.c.profile_id == changes.c.profile_id)
            .scalar_subquery()
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("status_changes", schema=None) as batch_op:
        batch_op.drop_column("adviser_id")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("activity_version")
        batch_op.drop_column("postcode_district")
        batch_op.drop_column("date_of_birth")
    op.drop_table("extract_downloads")
    op.drop_table("erased_exits")
    op.drop_table("september_offers")
    op.drop_table("activity_spells")
