"""known subjects: the subject reference referral and interest events name each person by

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
        "known_subjects",
        sa.Column("subject", sa.Uuid(), nullable=False),
        sa.Column("profile_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("subject"),
    )
    with op.batch_alter_table("known_subjects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_known_subjects_profile_id"), ["profile_id"], unique=False)


def downgrade() -> None:
    op.drop_table("known_subjects")
