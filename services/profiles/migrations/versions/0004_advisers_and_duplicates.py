"""advisers as records (name, team, work email and phone); normalised name and phone for spotting duplicates

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from services.profiles.duplicates import name_key, phone_key

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "advisers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("team", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("profiles") as batch:
        batch.add_column(sa.Column("name_key", sa.String(length=201), nullable=False, server_default=""))
        batch.add_column(sa.Column("phone_key", sa.String(length=20), nullable=True))
        batch.create_index("ix_profiles_name_key", ["name_key"])
        batch.create_index("ix_profiles_phone_key", ["phone_key"])
    profiles = sa.table(
        "profiles",
        sa.column("id", sa.Uuid()),
        sa.column("given_name", sa.String()),
        sa.column("family_name", sa.String()),
        sa.column("phone", sa.String()),
        sa.column("name_key", sa.String()),
        sa.column("phone_key", sa.String()),
    )
    bind = op.get_bind()
    for row in bind.execute(sa.select(profiles.c.id, profiles.c.given_name, profiles.c.family_name, profiles.c.phone)):
        bind.execute(
            profiles.update()
            .where(profiles.c.id == row.id)
            .values(name_key=name_key(row.given_name, row.family_name), phone_key=phone_key(row.phone))
        )


def downgrade() -> None:
    with op.batch_alter_table("profiles") as batch:
        batch.drop_index("ix_profiles_phone_key")
        batch.drop_index("ix_profiles_name_key")
        batch.drop_column("phone_key")
        batch.drop_column("name_key")
    op.drop_table("advisers")
