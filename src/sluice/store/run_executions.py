"""A pipeline job's ``system.Run`` execution: the whole run as one Vertex AI execution.

Vertex records one ``system.Run`` execution per pipeline job, in the job's run context,
holding its parameters (``input:<name>``) and following its state; ``get_experiment_df``
reads a pipeline job's row from it. Sluice records it when a job joins an experiment
(``context_writes.ensure_run_execution``), and the transition gate moves its state with
the run's (:data:`MIRROR_STATE`). It belongs to no run or task (``run_id`` is NULL): it is not an
attempt, so nothing that resumes or lists a run's attempts ever sees it.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update

from sluice.store.models import AssociationRow, ExecutionRow, RunRow

RUN_EXECUTION = "system.Run"
# A run's state as the MLMD state of its system.Run execution.
EXECUTION_STATE_OF_RUN = {
    "PENDING": "NEW",
    "RUNNING": "RUNNING",
    "CANCELING": "RUNNING",
    "SUCCEEDED": "COMPLETE",
    "FAILED": "FAILED",
    "CANCELED": "CANCELED",
}
_EXECUTIONS = cast(Table, ExecutionRow.__table__)

MIRROR_STATE = (
    update(_EXECUTIONS)
    .where(
        _EXECUTIONS.c.type == RUN_EXECUTION,
        _EXECUTIONS.c.run_id.is_(None),
        _EXECUTIONS.c.id.in_(
            select(AssociationRow.execution_id)
            .join(RunRow, RunRow.run_context_id == AssociationRow.context_id)
            .where(RunRow.id == bindparam("mirror_run_id"))
        ),
    )
    .values(state=bindparam("mirror_state"), finished_at=bindparam("mirror_finished_at"))
)
"""The UPDATE moving a run's system.Run execution (if it has one) with the run."""


def mirror_parameters(run_id: str, state: str, finished_at: Any) -> dict[str, Any]:
    """The parameters of :data:`MIRROR_STATE` for a run's move to ``state``."""
    return {
        "mirror_run_id": run_id,
        "mirror_state": EXECUTION_STATE_OF_RUN.get(state, "RUNNING"),
        "mirror_finished_at": finished_at,
    }
