"""erasure: referrals outlive the person (nullable profile_id, erased_at); processed profile events

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 06:07:15.804532
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _rebuilding_referrals(alter) -> None:
    """Alter `referrals`; SQLite rebuilds the table, and dropping the old one (foreign keys on) would cascade
    to the status history, so the history is kept aside and put back."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("CREATE TEMPORARY TABLE keep_status_changes AS SELECT * FROM referral_status_changes")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        alter(batch_op)
    if sqlite:
        op.execute(
            "INSERT INTO referral_status_changes SELECT * FROM keep_status_changes "
            "WHERE id NOT IN (SELECT id FROM referral_status_changes) "
            "AND referral_id IN (SELECT id FROM referrals)"
        )
        op.execute("DROP TABLE keep_status_changes")


def upgrade() -> None:
    op.create_table(
        "processed_events",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "consumer"),
    )

    def alter(batch_op) -> None:
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column("profile_id", existing_type=sa.Uuid(), nullable=True)

    _rebuilding_referrals(alter)


def downgrade() -> None:
    # Referrals of erased people cannot go back to naming a person: they go, with their history.
    op.execute(
        "DELETE FROM referral_status_changes WHERE referral_id IN (SELECT id FROM referrals WHERE profile_id IS NULL)"
    )
    op.execute("DELETE FROM referrals WHERE profile_id IS NULL")

    def alter(batch_op) -> None:
        batch_op.alter_column("profile_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.drop_column("erased_at")

    _rebuilding_referrals(alter)

    op.drop_table("processed_events")
