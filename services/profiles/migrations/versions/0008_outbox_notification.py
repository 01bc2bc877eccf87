"""the outbox tells the relay when rows are added (PostgreSQL only)

Revision ID: 0008
Revises: 0007
"""

from alembic import op

from services.messaging.outbox import create_outbox_notification, drop_outbox_notification

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_notification(op)


def downgrade() -> None:
    drop_outbox_notification(op)
