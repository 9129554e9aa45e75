"""The task graph of one DAG: who waits for whom, and in which order tasks can start.

``dependentTasks`` alone is not enough: kfp omits it when a task output only feeds
a resource setting (``set_cpu_limit(t.output)``), so the edges are the union of
``dependentTasks`` and every ``producerTask`` named in the task's inputs.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping

from kfp.pipeline_spec import pipeline_spec_pb2

from sluice.errors import InvalidPipelineError

__all__ = [
    "dependencies",
    "executor_users",
    "iter_components",
    "producer_tasks",
    "task_users",
    "topological_order",
    "walk_dags",
]


def producer_tasks(task: pipeline_spec_pb2.PipelineTaskSpec) -> set[str]:
    """Every sibling task named as a ``producerTask`` in ``task``'s inputs."""
    producers: set[str] = set()
    for param in task.inputs.parameters.values():
        kind = param.WhichOneof("kind")
        if kind == "task_output_parameter":
            producers.add(param.task_output_parameter.producer_task)
        elif kind == "task_final_status":
            producers.add(param.task_final_status.producer_task)
    for artifact in task.inputs.artifacts.values():
        if artifact.WhichOneof("kind") == "task_output_artifact":
            producers.add(artifact.task_output_artifact.producer_task)
    producers.discard("")
    return producers


def dependencies(dag: pipeline_spec_pb2.DagSpec) -> dict[str, set[str]]:
    """For each task of ``dag``, the sibling tasks it must wait for.

    Names that are not tasks of this DAG are dropped (validation reports them).
    """
    names = set(dag.tasks)
    # A task naming itself stays in: topological_order reports it as a cycle.
    return {
        name: (set(task.dependent_tasks) | producer_tasks(task)) & names
        for name, task in dag.tasks.items()
    }


def topological_order(deps: Mapping[str, set[str]], *, dag_name: str = "root") -> list[str]:
    """Tasks in an order where each comes after everything it waits for.

    Ties are broken by name so the order is stable from run to run.

    Raises:
        InvalidPipelineError: the graph has a cycle (named in the message).
    """
    waiting = {name: {d for d in wants if d in deps} for name, wants in deps.items()}
    consumers: dict[str, list[str]] = {name: [] for name in deps}
    for name, wants in waiting.items():
        for producer in wants:
            consumers[producer].append(name)
    remaining = {name: len(wants) for name, wants in waiting.items()}
    ready = [name for name, count in remaining.items() if count == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        name = heapq.heappop(ready)
        order.append(name)
        for consumer in consumers[name]:
            remaining[consumer] -= 1
            if remaining[consumer] == 0:
                heapq.heappush(ready, consumer)
    if len(order) < len(deps):
        cycle = _find_cycle(waiting, {n for n, c in remaining.items() if c > 0})
        raise InvalidPipelineError(
            f"cycle in DAG '{dag_name}': {' -> '.join(cycle)}; a task cannot depend on itself "
            "through its inputs or .after()"
        )
    return order


def _find_cycle(waiting: Mapping[str, set[str]], stuck: set[str]) -> list[str]:
    """A cycle among ``stuck`` tasks, in data-flow order (producer -> consumer)."""
    # Every stuck task waits for at least one stuck task, so walking "waits for"
    # edges inside the stuck set must revisit a task.
    node = min(stuck)
    path: list[str] = []
    seen: dict[str, int] = {}
    while node not in seen:
        seen[node] = len(path)
        path.append(node)
        node = min(w for w in waiting[node] if w in stuck)
    cycle = [*path[seen[node] :], node]
    cycle.reverse()
    return cycle


def iter_components(
    spec: pipeline_spec_pb2.PipelineSpec,
) -> Iterator[tuple[str, pipeline_spec_pb2.ComponentSpec]]:
    """``("root", spec.root)`` then every entry of ``spec.components`` sorted by name."""
    yield "root", spec.root
    for name in sorted(spec.components):
        yield name, spec.components[name]


def walk_dags(
    spec: pipeline_spec_pb2.PipelineSpec,
) -> Iterator[tuple[str, pipeline_spec_pb2.DagSpec]]:
    """Every DAG of the pipeline (root first) with its component name."""
    for name, component in iter_components(spec):
        if component.WhichOneof("implementation") == "dag":
            yield name, component.dag


def task_users(spec: pipeline_spec_pb2.PipelineSpec) -> dict[str, list[str]]:
    """Component name -> names of the tasks that use it."""
    users: dict[str, list[str]] = {}
    for _, dag in walk_dags(spec):
        for task_name in sorted(dag.tasks):
            users.setdefault(dag.tasks[task_name].component_ref.name, []).append(task_name)
    return users


def executor_users(spec: pipeline_spec_pb2.PipelineSpec) -> dict[str, list[str]]:
    """Executor label -> names of the tasks that run it."""
    users = task_users(spec)
    result: dict[str, list[str]] = {}
    for comp_name, comp in spec.components.items():
        if comp.WhichOneof("implementation") == "executor_label":
            result.setdefault(comp.executor_label, []).extend(users.get(comp_name, []))
    return result
