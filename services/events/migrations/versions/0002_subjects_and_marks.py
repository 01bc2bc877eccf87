"""subject references and erasure marks: the link from each person's subject reference (what events name them by),
erasure records and erased trails keyed by a one-way mark instead of the profile id

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from services.messaging.sealing import erasure_mark

revision = "0002"
down_revision = "0001"
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
    with op.batch_alter_table("event_store", schema=None) as batch_op:
        batch_op.alter_column("subject_id", existing_type=sa.String(length=36), type_=sa.String(length=64))

    bind = op.get_bind()
    old = sa.table("erasures", sa.column("profile_id", sa.Uuid()), sa.column("erased_at", sa.DateTime(timezone=True)))
    store = sa.table("event_store", sa.column("subject_id", sa.String()), sa.column("aggregate_id", sa.String()))
    rows = bind.execute(sa.select(old.c.profile_id, old.c.erased_at)).all()
    op.drop_table("erasures")
    marks = op.create_table(
        "erasures",
        sa.Column("mark", sa.String(length=64), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("mark"),
    )
    for profile_id, erased_at in rows:
        mark = erasure_mark(profile_id)
        op.bulk_insert(marks, [{"mark": mark, "erased_at": erased_at}])
        bind.execute(sa.update(store).where(store.c.subject_id == str(profile_id)).values(subject_id=mark))
        bind.execute(sa.update(store).where(store.c.aggregate_id == str(profile_id)).values(aggregate_id=mark))


def downgrade() -> None:
    op.drop_table("erasures")
    op.create_table(
        "erasures",
        sa.Column("profile_id", sa.Uuid(), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("profile_id"),
    )
    op.drop_table("known_subjects")
