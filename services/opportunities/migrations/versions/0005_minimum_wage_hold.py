"""minimum wage: an apprenticeship's pay after its first year, and the hold on a live opportunity a new rate
leaves below the minimum

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("opportunities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wage_after_first_year_pence", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("held_back_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("held_back_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("opportunities", schema=None) as batch_op:
        batch_op.drop_column("held_back_at")
        batch_op.drop_column("held_back_reason")
        batch_op.drop_column("wage_after_first_year_pence")
