"""handled chat messages: incoming_message

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.store.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incoming_message",
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("at", bot.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "message_id"),
    )
    op.create_index("ix_incoming_message_at", "incoming_message", ["at"])


def downgrade() -> None:
    op.drop_index("ix_incoming_message_at", table_name="incoming_message")
    op.drop_table("incoming_message")
