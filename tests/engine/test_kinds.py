"""Each task's kind is decided from the IR, and every kind a DAG holds has a handler."""

# No `from __future__ import annotations`: kfp reads the annotations of the components.

from kfp import dsl

from sluice.engine.handlers import HANDLERS
from sluice.engine.kinds import TaskKind, task_kind
from sluice.spec.loader import load_pipeline


@dsl.component
def step(x: int) -> int:
    return x


@dsl.pipeline
def inner(x: int) -> int:
    return step(x=x).output


@dsl.pipeline
def every_kind(x: int = 1) -> None:
    with dsl.ExitHandler(step(x=0)):
        step(x=x)
        dsl.importer(artifact_uri="/tmp/data", artifact_class=dsl.Dataset)
        inner(x=x)
        with dsl.If(x == 1):
            step(x=2)
        with dsl.ParallelFor([1, 2]) as item:
            step(x=item)


def _kinds_by_task() -> dict[str, TaskKind]:
    loaded = load_pipeline(every_kind)
    spec, deployment = loaded.spec, loaded.deployment
    found = {}
    dags = [spec.root.dag]
    while dags:
        dag = dags.pop()
        for name, task in dag.tasks.items():
            found[name] = task_kind(spec, deployment, task)
            component = spec.components[task.component_ref.name]
            if component.WhichOneof("implementation") == "dag":
                dags.append(component.dag)
    return found


def test_the_kind_of_each_task_comes_from_the_ir() -> None:
    kinds = _kinds_by_task()
    assert kinds["exit-handler-1"] == TaskKind.DAG  # the exit handler's body
    assert kinds["step"] == TaskKind.CONTAINER  # the exit task
    assert kinds["importer"] == TaskKind.IMPORTER
    assert kinds["inner"] == TaskKind.DAG
    assert kinds["condition-2"] == TaskKind.CONDITION
    assert kinds["for-loop-4"] == TaskKind.LOOP
    # The value is what a task row stores, as before kinds were an enum.
    stored = {kind.value for kind in kinds.values()}
    assert stored == {"dag", "container", "importer", "condition", "loop"}


def test_every_kind_but_iterations_has_a_handler() -> None:
    # Iterations are created and run by their loop, never handed out by a DAG.
    assert set(HANDLERS) == set(TaskKind) - {TaskKind.ITERATION}
