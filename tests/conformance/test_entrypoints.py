"""What can be run: a pipeline function, a lone component, compiled YAML, a .py file;
and the submit / get_run / list_runs API around runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from kfp import compiler

import sluice

from .pipelines import entrypoints


def test_pipeline_function() -> None:
    """A @dsl.pipeline object."""
    run = sluice.run(entrypoints.first_pipeline, {"a": 5})
    assert run.state == "SUCCEEDED", run.error
    assert run.outputs == {"Output": 7}
    assert run.pipeline_name == "first-pipeline"
    assert run.arguments == {"a": 5}


def test_lone_component() -> None:
    """A @dsl.component is a one-task pipeline whose inputs/outputs mirror the component."""
    run = sluice.run(entrypoints.add, {"a": 1, "b": 2})
    assert run.state == "SUCCEEDED", run.error
    assert run.outputs == {"Output": 3}
    assert [t.name for t in run.tasks if t.kind == "container"] == ["add"]
    default = sluice.run(entrypoints.add, {"a": 1})
    assert default.outputs == {"Output": 3}


def test_compiled_yaml_file(tmp_path: Path) -> None:
    """A compiled IR file, as str or Path."""
    path = tmp_path / "second.yaml"
    compiler.Compiler().compile(entrypoints.second_pipeline, str(path))
    run = sluice.run(str(path), {"b": 1})
    assert run.state == "SUCCEEDED", run.error
    assert run.outputs == {"Output": 11}
    assert run.pipeline_name == "second-pipeline"
    run2 = sluice.run(path)
    assert run2.outputs == {"Output": 15}


def test_python_file_with_pipeline_name() -> None:
    """A .py file holding two pipelines; pipeline_name picks one (pipelineInfo.name)."""
    run = sluice.run(entrypoints.__file__, {"a": 1}, pipeline_name="second-pipeline")
    assert run.state == "SUCCEEDED", run.error
    assert run.outputs == {"Output": 6}
    assert run.pipeline_name == "second-pipeline"


def test_submit_get_and_list() -> None:
    """submit returns at once; wait gives the same Run get_run and list_runs report."""
    handle = sluice.submit(entrypoints.first_pipeline, {"a": 2}, run_name="submitted")
    run = handle.wait()
    assert run.state == "SUCCEEDED", run.error
    assert run.name == "submitted"
    assert run.outputs == {"Output": 4}
    stored = sluice.get_run(run.id)
    assert stored.state == "SUCCEEDED"
    assert stored.outputs == run.outputs
    assert stored.task("add").outputs == {"Output": 4}
    assert [r.id for r in sluice.list_runs()] == [run.id]
    second = sluice.run(entrypoints.first_pipeline)
    assert {r.id for r in sluice.list_runs()} == {run.id, second.id}


def test_concurrent_submissions() -> None:
    """Two submitted runs proceed independently and both finish."""
    a = sluice.submit(entrypoints.first_pipeline, {"a": 1})
    b = sluice.submit(entrypoints.second_pipeline, {"a": 1, "b": 1})
    ra, rb = a.wait(), b.wait()
    assert (ra.state, rb.state) == ("SUCCEEDED", "SUCCEEDED"), (ra.error, rb.error)
    assert (ra.outputs["Output"], rb.outputs["Output"]) == (3, 2)
    assert ra.id != rb.id
    assert {r.id for r in sluice.list_runs()} == {ra.id, rb.id}


def test_unknown_run_id() -> None:
    """get_run of an id that does not exist."""
    with pytest.raises(sluice.RunNotFoundError):
        sluice.get_run("does-not-exist")
