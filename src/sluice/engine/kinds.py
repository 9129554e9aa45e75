"""What kind of task a DAG task is, and the contract of the module that runs each kind.

The kind is decided once, from the IR, when the task's row is created (and read back
from the row when a run resumes); the DAG scheduler (:mod:`sluice.engine.dag`) then
hands the task to the handler its table gives for that kind. The table is built where
the run starts (:mod:`sluice.engine.handlers`), so no handler module imports the
scheduler's caller and the scheduler imports no handler: the engine has no import cycle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from kfp.pipeline_spec import pipeline_spec_pb2

from sluice.engine.context import RunContext
from sluice.engine.inputs import ResolvedInputs, bind_component_inputs
from sluice.engine.model import TaskResult
from sluice.store.models import TaskRow


class TaskKind(str, Enum):
    """The kinds of task rows; the value is what ``tasks.kind`` stores."""

    CONTAINER = "container"
    IMPORTER = "importer"
    # A nested pipeline or an exit handler's body: a sub-DAG without a condition.
    DAG = "dag"
    CONDITION = "condition"
    LOOP = "loop"
    # One iteration of a loop (created by the loop, never dispatched from a DAG).
    ITERATION = "iteration"


def task_kind(
    spec: pipeline_spec_pb2.PipelineSpec,
    deployment: pipeline_spec_pb2.PipelineDeploymentConfig,
    task: pipeline_spec_pb2.PipelineTaskSpec,
) -> TaskKind:
    """The kind of a DAG task, from its component and executor in the IR."""
    component = spec.components[task.component_ref.name]
    if component.WhichOneof("implementation") == "dag":
        if task.HasField("parameter_iterator") or task.HasField("artifact_iterator"):
            return TaskKind.LOOP
        if task.trigger_policy.condition or task.component_ref.name.startswith("comp-condition-"):
            return TaskKind.CONDITION
        return TaskKind.DAG
    executor = deployment.executors.get(component.executor_label)
    if executor is not None and executor.WhichOneof("spec") == "importer":
        return TaskKind.IMPORTER
    return TaskKind.CONTAINER


@dataclass(frozen=True, kw_only=True)
class TaskCall:
    """One task handed to its kind's handler: its row exists, its inputs are resolved.

    ``handlers`` is the table the task came from: a handler that runs a sub-DAG (a nested
    pipeline, a loop's iterations) runs it with the same table.
    """

    ctx: RunContext
    task: pipeline_spec_pb2.PipelineTaskSpec
    component: pipeline_spec_pb2.ComponentSpec
    record: TaskRow
    # The task's inputs by the names the task gives them (before binding to the component).
    inputs: ResolvedInputs
    handlers: Handlers

    def bound_inputs(self) -> ResolvedInputs:
        """The inputs bound to the component's input definitions (defaults, optionals)."""
        return bind_component_inputs(self.component, self.inputs, task_path=self.record.path)


class TaskHandler(Protocol):
    """Runs one task of a kind to its end, recording its states, and returns its result."""

    async def __call__(self, call: TaskCall) -> TaskResult: ...


# Which handler runs each kind of task.
Handlers = Mapping[TaskKind, TaskHandler]
