"""A pipeline job's ``system.Run`` execution: the whole run as one Vertex AI execution.

Vertex records one ``system.Run`` execution per pipeline job, in the job's run context,
holding its parameters (``input:<name>``) and following its state; ``get_experiment_df``
reads a pipeline job's row from it. Sluice records it with every server run (the KFP
API's, Vertex AI's and the scheduler's; they are all in an experiment) in the run's own
creation transaction (:func:`record_run_execution`), and when a run created before that,
or a local one, joins an experiment (``context_writes.ensure_run_execution``). The
transition gate moves its state with the run's (:data:`MIRROR_STATE`). It belongs to no
run or task (``run_id`` is NULL): it is not an attempt, so nothing that resumes or lists a
run's attempts ever sees it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, insert, select, update

from sluice.store.models import EXECUTED_BY_SERVER, AssociationRow, ExecutionRow, RunRow

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
_ASSOCIATIONS = cast(Table, AssociationRow.__table__)

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


def pipeline_parameters(
    pipeline_spec: Mapping[str, Any] | None, arguments: Mapping[str, Any] | None
) -> dict[str, Any]:
    """A run's arguments that are parameters of its pipeline (not input artifacts)."""
    stored = pipeline_spec or {}
    spec = stored.get("pipeline_spec") if "pipeline_spec" in stored else stored
    root = (spec or {}).get("root") or {}
    declared = (root.get("inputDefinitions") or {}).get("parameters") or {}
    return {k: v for k, v in (arguments or {}).items() if k in declared}


def stands_as_pipeline_job(run: RunRow) -> bool:
    """Whether a new run gets its system.Run execution as it is created: a server run in
    an experiment (a local run gets one only if it joins a Vertex experiment)."""
    return run.executed_by == EXECUTED_BY_SERVER and run.experiment_context_id is not None


def record_run_execution(connection: Connection, run: RunRow) -> None:
    """Insert the system.Run execution of a run just created, in its run context.

    In the run's creation transaction: the run is never without it, and it cannot exist
    already (see ``context_writes.ensure_run_execution`` for the runs created before).
    """
    created = connection.execute(
        insert(_EXECUTIONS).values(
            run_id=None,
            task_id=None,
            pipeline_name=run.pipeline_name,
            component_name=run.name,
            display_name=run.name,
            type=RUN_EXECUTION,
            state=EXECUTION_STATE_OF_RUN.get(run.state, "RUNNING"),
            input_parameters=pipeline_parameters(run.pipeline_spec, run.arguments),
            location=run.location,
            started_at=run.created_at,
            finished_at=run.finished_at,
        )
    )
    key = created.inserted_primary_key
    assert key is not None
    connection.execute(
        insert(_ASSOCIATIONS).values(context_id=run.run_context_id, execution_id=int(key[0]))
    )
