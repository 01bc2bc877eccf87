"""screened text: free text that screening found to hold special category data, kept with SEND and ethnicity

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("profile_special_category", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "screened_text",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=False,
                server_default="[]",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("profile_special_category", schema=None) as batch_op:
        batch_op.drop_column("screened_text")
