"""parse -> review -> publish: plan_version.state and .warnings, draft_task, correction

A loaded plan is a draft (its measures in draft_task, no task rows) until an admin publishes
it; an admin's corrections are kept with the sentence they corrected (correction).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.store.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plan_version", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("state", sa.String(length=20), nullable=False, server_default="published")
        )
        batch_op.add_column(sa.Column("warnings", sa.JSON(), nullable=True))
    op.create_table(
        "draft_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("parent_key", sa.String(length=40), nullable=True),
        sa.Column("chapter", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=True),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("span_start", sa.Integer(), nullable=False),
        sa.Column("span_end", sa.Integer(), nullable=False),
        sa.Column("lead", sa.String(length=200), nullable=True),
        sa.Column("cooperating", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("dropped", sa.Boolean(), nullable=False),
        sa.Column("added", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["plan_version.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version_id", "key"),
    )
    op.create_index("ix_draft_task_version_id", "draft_task", ["version_id"])
    op.create_table(
        "correction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("field", sa.String(length=20), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("parsed", sa.JSON(), nullable=True),
        sa.Column("sentence", sa.Text(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("offered_version_id", sa.Integer(), nullable=True),
        sa.Column("offered_key", sa.String(length=40), nullable=True),
        sa.Column("offered_sentence", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", bot.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"]),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"]),
        sa.ForeignKeyConstraint(["version_id"], ["plan_version.id"]),
        sa.ForeignKeyConstraint(["offered_version_id"], ["plan_version.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_correction_plan_id", "correction", ["plan_id"])
    op.create_index("ix_correction_task_id", "correction", ["task_id"])


def downgrade() -> None:
    op.drop_index("ix_correction_task_id", table_name="correction")
    op.drop_index("ix_correction_plan_id", table_name="correction")
    op.drop_table("correction")
    op.drop_index("ix_draft_task_version_id", table_name="draft_task")
    op.drop_table("draft_task")
    with op.batch_alter_table("plan_version", schema=None) as batch_op:
        batch_op.drop_column("warnings")
        batch_op.drop_column("state")
