"""Tests for sluice.spec.graph: dependency edges, ordering, cycles, traversal helpers."""

# No `from __future__ import annotations`: kfp reads component annotations at runtime.

import pytest
from kfp import dsl
from kfp.pipeline_spec import pipeline_spec_pb2

from sluice.errors import InvalidPipelineError
from sluice.spec.graph import (
    dependencies,
    executor_users,
    iter_components,
    producer_tasks,
    task_users,
    topological_order,
    walk_dags,
)
from sluice.spec.loader import load_pipeline

IMAGE = "python:3.11"


@dsl.component(base_image=IMAGE)
def make_number() -> str:
    return "1"


@dsl.component(base_image=IMAGE)
def make_ds(ds: dsl.Output[dsl.Dataset]) -> None:
    ds.metadata["rows"] = 1


@dsl.component(base_image=IMAGE)
def use(n: int, ds: dsl.Input[dsl.Dataset]) -> int:
    return n


@dsl.component(base_image=IMAGE)
def report(status: dsl.PipelineTaskFinalStatus) -> None:
    print(status.state)


@dsl.pipeline
def edges_pipeline() -> None:
    limit = make_number()
    data = make_ds()
    # The cpu limit comes from a task output: kfp emits no dependentTasks entry for it.
    use(n=1, ds=data.outputs["ds"]).set_cpu_limit(limit.output)
    last = use(n=2, ds=data.outputs["ds"])
    last.after(limit)


@dsl.pipeline
def exit_pipeline() -> None:
    cleanup = report()
    with dsl.ExitHandler(cleanup), dsl.ParallelFor([1, 2]) as item:
        use(n=item, ds=make_ds().outputs["ds"])


def _dag(doc: dict[str, set[str]]) -> pipeline_spec_pb2.DagSpec:
    dag = pipeline_spec_pb2.DagSpec()
    for name, deps in doc.items():
        dag.tasks[name].dependent_tasks.extend(sorted(deps))
    return dag


def test_dependencies_include_producers_missing_from_dependent_tasks() -> None:
    loaded = load_pipeline(edges_pipeline)
    dag = loaded.spec.root.dag
    assert list(dag.tasks["use"].dependent_tasks) == ["make-ds"]  # what kfp wrote
    assert dependencies(dag) == {
        "make-number": set(),
        "make-ds": set(),
        "use": {"make-ds", "make-number"},
        "use-2": {"make-ds", "make-number"},
    }
    assert producer_tasks(dag.tasks["use"]) == {"make-ds", "make-number"}
    assert topological_order(dependencies(dag)) == ["make-ds", "make-number", "use", "use-2"]


def test_dependencies_of_exit_handler_and_final_status() -> None:
    loaded = load_pipeline(exit_pipeline)
    root = dependencies(loaded.spec.root.dag)
    assert root == {"exit-handler-1": set(), "report": {"exit-handler-1"}}
    assert producer_tasks(loaded.spec.root.dag.tasks["report"]) == {"exit-handler-1"}
    dags = dict(walk_dags(loaded.spec))
    # kfp numbers loop groups with a process-wide counter, so only the prefix is stable.
    loop = next(name for name in dags if name.startswith("comp-for-loop-"))
    assert list(dags) == ["root", "comp-exit-handler-1", loop]
    assert dependencies(dags[loop]) == {"make-ds": set(), "use": {"make-ds"}}


def test_dependencies_drop_names_outside_the_dag() -> None:
    dag = _dag({"a": {"ghost"}, "b": {"a"}})
    dag.tasks["b"].inputs.parameters["x"].task_output_parameter.producer_task = "elsewhere"
    assert dependencies(dag) == {"a": set(), "b": {"a"}}


def test_topological_order_is_stable_and_respects_edges() -> None:
    deps = {"z": set(), "b": {"z"}, "a": {"z"}, "c": {"a", "b"}, "d": set()}
    assert topological_order(deps) == ["d", "z", "a", "b", "c"]
    assert topological_order({}) == []


def test_two_task_cycle() -> None:
    with pytest.raises(InvalidPipelineError) as info:
        topological_order({"a": {"b"}, "b": {"a"}, "c": set()})
    assert str(info.value).startswith("cycle in DAG 'root': a -> b -> a;")


def test_three_task_cycle_in_data_flow_order_with_dag_name() -> None:
    # a feeds b, b feeds c, c feeds a; d merely waits behind the cycle.
    deps = {"a": {"c"}, "b": {"a"}, "c": {"b"}, "d": {"c"}}
    with pytest.raises(InvalidPipelineError) as info:
        topological_order(deps, dag_name="comp-for-loop-2")
    assert str(info.value).startswith("cycle in DAG 'comp-for-loop-2': a -> b -> c -> a;")


def test_self_dependency_is_a_cycle() -> None:
    dag = _dag({"a": {"a"}})
    assert dependencies(dag) == {"a": {"a"}}
    with pytest.raises(InvalidPipelineError, match="cycle in DAG 'root': a -> a"):
        topological_order(dependencies(dag))


def test_iter_components_and_users() -> None:
    loaded = load_pipeline(exit_pipeline)
    names = [name for name, _ in iter_components(loaded.spec)]
    assert names[0] == "root"
    assert names[1:] == sorted(loaded.spec.components)
    users = task_users(loaded.spec)
    assert users["comp-report"] == ["report"]
    loop = next(name for name in users if name.startswith("comp-for-loop-"))
    assert users[loop] == [loop.removeprefix("comp-")]
    assert executor_users(loaded.spec) == {
        "exec-make-ds": ["make-ds"],
        "exec-report": ["report"],
        "exec-use": ["use"],
    }
