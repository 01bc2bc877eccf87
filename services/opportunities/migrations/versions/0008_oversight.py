"""oversight: a referral's suggestion list, rank and reason; dismissed suggestions

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("suggestion_list_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("suggestion_rank", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("oversight_reason", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("oversight_words", sa.Text(), nullable=True))
    op.create_table(
        "dismissals",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("profile_id", sa.Uuid(), nullable=False),
        sa.Column("opportunity_id", sa.Uuid(), sa.ForeignKey("opportunities.id"), nullable=False),
        sa.Column("adviser_id", sa.String(length=64), nullable=False),
        sa.Column("suggestion_list_id", sa.Uuid(), nullable=True),
        sa.Column("suggestion_rank", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("words", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_dismissals_pair", "dismissals", ["profile_id", "opportunity_id"], unique=True)
    op.create_index("ix_dismissals_profile_id", "dismissals", ["profile_id"])
    op.create_index("ix_dismissals_adviser_id", "dismissals", ["adviser_id"])


def downgrade() -> None:
    op.drop_table("dismissals")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        for column in ("oversight_words", "oversight_reason", "suggestion_rank", "suggestion_list_id"):
            batch_op.drop_column(column)
