"""the outbox tells the relay when rows are added (PostgreSQL only)

Revision ID: 0009
Revises: 0008
"""

from alembic import op

from services.messaging.outbox import create_outbox_notification, drop_outbox_notification

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_notification(op)


def downgrade() -> None:
    drop_outbox_notification(op)
