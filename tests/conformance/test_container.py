"""Container components and YAML components."""

from __future__ import annotations

from pathlib import Path

import sluice

from .pipelines import container


def test_container_components() -> None:
    """Shell commands write artifacts and OutputPath params; Concat/IfPresent expand."""
    run = sluice.run(container.container_components, {"text": "hey"})
    assert run.state == "SUCCEEDED", run.error
    assert run.outputs == {
        "shell": "hey:4",
        "with_flag": "hello-hey-!|flag=on",
        "without_flag": "hello-hey-!|noflag",
        "upper": "HEY",
        "report": "report for hey",
    }
    writer = run.task("shell-writer")
    assert writer.state == "SUCCEEDED"
    assert writer.outputs["count"] == 3 and type(writer.outputs["count"]) is int
    assert writer.image == "python:3.11"
    assert run.task("yaml-upper").outputs["upper"] == "HEY"
    assert run.task("concat-and-flag").state == "SUCCEEDED"
    assert run.task("concat-and-flag-2").state == "SUCCEEDED"


def test_failing_container_component() -> None:
    """A non-zero exit fails the task and the run; stderr is in the task log."""
    run = sluice.run(container.container_fails)
    assert run.state == "FAILED"
    task = run.task("shell-fails")
    assert task.state == "FAILED"
    assert "shell-fails" in (run.error or "")
    assert task.log_path is not None
    assert "container-broke" in Path(task.log_path).read_text()
