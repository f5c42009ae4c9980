"""server-side sessions of the dashboard and the web chat: web_session

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.store.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_session",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("created", bot.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen", bot.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked", bot.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_web_session_contact_id", "web_session", ["contact_id"])


def downgrade() -> None:
    op.drop_index("ix_web_session_contact_id", table_name="web_session")
    op.drop_table("web_session")
