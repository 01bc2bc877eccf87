"""lapses seen: the lapse to not known an adviser was last told of, per person

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lapses_seen",
        sa.Column("profile_id", sa.Uuid(), nullable=False),
        sa.Column("adviser_id", sa.String(length=64), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("profile_id"),
    )
    op.create_index("ix_lapses_seen_adviser_id", "lapses_seen", ["adviser_id"])


def downgrade() -> None:
    op.drop_index("ix_lapses_seen_adviser_id", table_name="lapses_seen")
    op.drop_table("lapses_seen")
