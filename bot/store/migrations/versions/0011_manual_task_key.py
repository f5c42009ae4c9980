"""hand-made task ids claimed once: manual_task_key (key primary key), filled with the ids
of the tasks already in manual plans

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.store.types

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "manual_task_key",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("claimed_at", bot.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.execute(
        "INSERT INTO manual_task_key (key, claimed_at) "
        "SELECT task.key, MIN(plan.created_at) FROM task "
        "JOIN plan ON plan.id = task.plan_id WHERE plan.kind = 'manual' GROUP BY task.key"
    )


def downgrade() -> None:
    op.drop_table("manual_task_key")
