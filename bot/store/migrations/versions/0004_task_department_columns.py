"""task: lead_department_id and cooperating_ids (copies of the assignments) and an overdue
index that covers the id, for the 100k-task queries

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lead_department_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("cooperating_ids", sa.String(length=1000), nullable=False, server_default="")
        )
        batch_op.create_foreign_key(
            "fk_task_lead_department_id", "department", ["lead_department_id"], ["id"]
        )
        batch_op.create_index("ix_task_lead_department_id", ["lead_department_id"])
        batch_op.drop_index("ix_task_status_due")
        batch_op.create_index("ix_task_status_due_id", ["status", "due", "id"])
    # Backfill from the assignments, in Python so the SQL stays the same on every database.
    conn = op.get_bind()
    rows = conn.execute(
        sa.text("SELECT task_id, department_id, role, position FROM assignment")
    ).fetchall()
    by_task: dict[int, list[tuple[int, int, str]]] = {}
    for task_id, dept, role, pos in rows:
        by_task.setdefault(task_id, []).append((pos, dept, role))
    updates = []
    for task_id, items in by_task.items():
        items.sort()
        lead = next((d for _p, d, r in items if r == "lead"), None)
        coop = ",".join(str(d) for _p, d, r in items if r != "lead")
        updates.append({"id": task_id, "lead": lead, "coop": coop})
    if updates:
        conn.execute(
            sa.text("UPDATE task SET lead_department_id = :lead, cooperating_ids = :coop "
                    "WHERE id = :id"),
            updates,
        )


def downgrade() -> None:
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_index("ix_task_status_due_id")
        batch_op.create_index("ix_task_status_due", ["status", "due"])
        batch_op.drop_index("ix_task_lead_department_id")
        batch_op.drop_constraint("fk_task_lead_department_id", type_="foreignkey")
        batch_op.drop_column("cooperating_ids")
        batch_op.drop_column("lead_department_id")
