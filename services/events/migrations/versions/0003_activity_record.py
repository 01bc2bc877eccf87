"""the activity record for the returns: each person's activity spells and September Guarantee outcomes, their date
of birth and postcode district, the adviser at each profile version (caseload history), erased people's exits as
anonymous tallies, and the extract downloads

Revision ID: 0003
Revises: 0002
"""

import datetime as dt
import uuid

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "activity_spells",
        sa.Column("profile_id", sa.Uuid(), nullable=False),
        sa.Column("spell_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.Integer(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=30), nullable=False),
        sa.Column(
            "confirmed_on",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("profile_id", "spell_id"),
    )
    op.create_table(
        "september_offers",
        sa.Column("profile_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=30), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("profile_id", "year"),
    )
    op.create_table(
        "erased_exits",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("stopped_on", sa.Date(), nullable=False),
        sa.Column("waited_days", sa.Float(), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("destination", sa.String(length=30), nullable=False),
        sa.Column("positive", sa.Boolean(), nullable=False),
        sa.Column("adviser_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("erased_exits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_erased_exits_stopped_on"), ["stopped_on"], unique=False)
    op.create_table(
        "extract_downloads",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("downloaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("downloaded_by", sa.String(length=64), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("adviser_id", sa.String(length=64), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("extract_downloads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_extract_downloads_downloaded_at"), ["downloaded_at"], unique=False)
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("date_of_birth", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("postcode_district", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("activity_version", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("status_changes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("adviser_id", sa.String(length=64), nullable=True))
    _backfill()


def _backfill() -> None:
    """The versions received before this revision, from the snapshots the event store kept: each version's adviser,
    and the newest one's date of birth and postcode district (an erased person's trail is redacted and their rows are
    gone, so nothing of them comes back)."""
    bind = op.get_bind()
    store = sa.table("event_store", sa.column("event_type", sa.String()), sa.column("aggregate_id", sa.String()),
                     sa.column("aggregate_version", sa.Integer()), sa.column("payload", sa.JSON()),
                     sa.column("redacted_at", sa.DateTime(timezone=True)))
    people = sa.table("people", sa.column("profile_id", sa.Uuid()), sa.column("snapshot_version", sa.Integer()),
                      sa.column("date_of_birth", sa.Date()), sa.column("postcode_district", sa.String()))
    changes = sa.table("status_changes", sa.column("profile_id", sa.Uuid()), sa.column("version", sa.Integer()),
                       sa.column("adviser_id", sa.String()))
    snapshots = bind.execute(
        sa.select(store.c.aggregate_id, store.c.aggregate_version, store.c.payload)
        .where(store.c.event_type.in_(["profile.registered", "profile.updated"]), store.c.redacted_at.is_(None))
    ).all()
    newest: dict[str, tuple[int, dict]] = {}
    for aggregate_id, version, payload in snapshots:
        if not isinstance(payload, dict) or "date_of_birth" not in payload:
            continue
        try:
            profile_id = uuid.UUID(aggregate_id)
        except ValueError:
            continue
        bind.execute(changes.update().where(changes.c.profile_id == profile_id, changes.c.version == version)
                     .values(adviser_id=payload.get("adviser_id")))
        if version > newest.get(aggregate_id, (0, {}))[0]:
            newest[aggregate_id] = (version, payload)
    for aggregate_id, (_version, payload) in newest.items():
        bind.execute(people.update().where(people.c.profile_id == uuid.UUID(aggregate_id)).values(
            date_of_birth=dt.date.fromisoformat(payload["date_of_birth"]),
            postcode_district=payload.get("postcode_district"),
        ))


def downgrade() -> None:
    with op.batch_alter_table("status_changes", schema=None) as batch_op:
        batch_op.drop_column("adviser_id")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("activity_version")
        batch_op.drop_column("postcode_district")
        batch_op.drop_column("date_of_birth")
    op.drop_table("extract_downloads")
    op.drop_table("erased_exits")
    op.drop_table("september_offers")
    op.drop_table("activity_spells")
