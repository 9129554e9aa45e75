"""Drop ``ix_tasks_run_id``: the unique ``(run_id, path)`` index already serves it.

Every query that finds tasks by run (a run's tasks, their state counts, the tasks left
RUNNING on resume, deleting a run's rows, the foreign key's cascade) uses the leading
column of ``uq_tasks_run_path`` as well as it used this index, on SQLite and PostgreSQL
alike, so the second index was only written: one B-tree page more in the WAL for every
task row inserted (about 2 of the ~60 page writes of an executed task).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Drop the index the unique constraint's leading column makes redundant."""
    op.drop_index("ix_tasks_run_id", table_name="tasks")


def downgrade() -> None:
    """Create it again."""
    op.create_index("ix_tasks_run_id", "tasks", ["run_id"], unique=False)
