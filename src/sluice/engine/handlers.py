"""The table from each kind of task to the module that runs it.

A new kind of task is a :class:`~sluice.engine.kinds.TaskKind`, a handler module, and a
line here; the DAG scheduler (:mod:`sluice.engine.dag`) is given this table and never
imports a handler, and a handler that runs a sub-DAG passes the table on.
"""

from __future__ import annotations

from sluice.engine.container_task import run_container_task
from sluice.engine.importer import run_importer
from sluice.engine.kinds import Handlers, TaskKind
from sluice.engine.loops import run_loop
from sluice.engine.subdag import run_sub_dag_task

# Loop iterations are not here: a loop creates and runs them itself.
HANDLERS: Handlers = {
    TaskKind.CONTAINER: run_container_task,
    TaskKind.IMPORTER: run_importer,
    TaskKind.DAG: run_sub_dag_task,
    TaskKind.CONDITION: run_sub_dag_task,
    TaskKind.LOOP: run_loop,
}
