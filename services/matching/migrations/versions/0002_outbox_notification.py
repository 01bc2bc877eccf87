"""the outbox tells the relay when rows are added (PostgreSQL only)

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from services.messaging.outbox import create_outbox_notification, drop_outbox_notification

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_notification(op)


def downgrade() -> None:
    drop_outbox_notification(op)
