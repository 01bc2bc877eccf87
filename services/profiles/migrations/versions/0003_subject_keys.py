"""subject keys: each person's subject reference and data keys; erasure records keep a one-way mark, not the id

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from services.messaging.sealing import erasure_mark

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subject_keys",
        sa.Column("profile_id", sa.Uuid(), nullable=False),
        sa.Column("subject", sa.Uuid(), nullable=False),
        sa.Column("personal_key", sa.LargeBinary(), nullable=False),
        sa.Column("special_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("profile_id"),
        sa.UniqueConstraint("subject"),
    )
    old = sa.table(
        "erasures",
        sa.column("profile_id", sa.Uuid()),
        sa.column("erased_at", sa.DateTime(timezone=True)),
        sa.column("requested_by_role", sa.String()),
    )
    rows = op.get_bind().execute(sa.select(old.c.profile_id, old.c.erased_at, old.c.requested_by_role)).all()
    op.drop_table("erasures")
    marks = op.create_table(
        "erasures",
        sa.Column("mark", sa.String(length=64), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_by_role", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("mark"),
    )
    if rows:
        op.bulk_insert(
            marks,
            [
                {
                    "mark": erasure_mark(profile_id),
                    "erased_at": erased_at,
                    "requested_by_role": role,
                }
                for profile_id, erased_at, role in rows
            ],
        )


def downgrade() -> None:
    op.drop_table("erasures")
    op.create_table(
        "erasures",
        sa.Column("profile_id", sa.Uuid(), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_by_role", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("profile_id"),
    )
    op.drop_table("subject_keys")
