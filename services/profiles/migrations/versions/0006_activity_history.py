"""every confirmation of an activity, the activity record's version, September Guarantee offers, and the referral
events applied (an accepted referral opens a spell)

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("profiles", sa.Column("activity_version", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("activity_spells", sa.Column("referral_id", sa.Uuid(), nullable=True))
    op.create_index("ix_activity_spells_referral_id", "activity_spells", ["referral_id"])
    op.create_table(
        "activity_confirmations",
        sa.Column("spell_id", sa.Uuid(), nullable=False),
        sa.Column("confirmed_on", sa.Date(), nullable=False),
        sa.Column("profile_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["spell_id"], ["activity_spells.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["profile_id"], ["profiles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("spell_id", "confirmed_on"),
    )
    op.create_index("ix_activity_confirmations_profile_id", "activity_confirmations", ["profile_id"])
    # Spells recorded before kept only their latest confirmation: it is the one known.
    op.execute(
        "INSERT INTO activity_confirmations (spell_id, confirmed_on, profile_id, recorded_by, recorded_at) "
        "SELECT id, confirmed_on, profile_id, recorded_by, recorded_at FROM activity_spells"
    )
    op.create_table(
        "september_guarantee",
        sa.Column("profile_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=30), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["profile_id"], ["profiles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("profile_id", "year"),
    )
    op.create_table(
        "processed_events",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "consumer"),
    )


def downgrade() -> None:
    op.drop_table("processed_events")
    op.drop_table("september_guarantee")
    op.drop_index("ix_activity_confirmations_profile_id", table_name="activity_confirmations")
    op.drop_table("activity_confirmations")
    # Dropped in place (SQLite 3.35 can): a batch rebuild of `profiles` would drop the old table, and with foreign
    # keys on that deletes every person's spells, attempts and special category data.
    op.drop_index("ix_activity_spells_referral_id", table_name="activity_spells")
    op.drop_column("activity_spells", "referral_id")
    op.drop_column("profiles", "activity_version")
