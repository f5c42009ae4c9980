"""task.plan_due (the plan's own date, apart from the date in force), task.tracked (the
counting unit) and store_clock (the demo's clock, which CLI commands against the same database
default to)

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

import bot.store.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("plan_due", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("tracked", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    conn = op.get_bind()
    # A measure with a live milestone is not a counting unit (bot/rules/completion.py).
    conn.execute(
        sa.text(
            "UPDATE task SET tracked = CASE WHEN kind = 'measure' AND EXISTS (SELECT 1 FROM task c"
            " WHERE c.parent_id = task.id AND c.status <> 'withdrawn') THEN :f ELSE :t END"
        ),
        {"f": False, "t": True},
    )
    conn.execute(sa.text("UPDATE task SET plan_due = due"))
    # Where an approved extension moved `due`, the plan's date is the one it moved from: the
    # first such change in the audit log (record_status writes {"due": [old, new]}).
    rows = conn.execute(
        sa.text("SELECT task_id, detail FROM audit_log WHERE action = 'status' ORDER BY id")
    ).fetchall()
    first: dict[int, str] = {}
    for task_id, detail in rows:
        d = detail if isinstance(detail, dict) else json.loads(detail or "{}")
        due = d.get("due")
        if task_id is not None and task_id not in first and isinstance(due, list) and due:
            first[task_id] = due[0]
    updates = [
        {"id": t, "d": old} for t, old in first.items() if old and old != "None"
    ]
    if updates:
        conn.execute(sa.text("UPDATE task SET plan_due = :d WHERE id = :id"), updates)
    op.create_table(
        "store_clock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("start", bot.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", bot.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("store_clock")
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_column("tracked")
        batch_op.drop_column("plan_due")
