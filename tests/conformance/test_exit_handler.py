"""ExitHandler and ignore_upstream_failure (Go: ALL_UPSTREAM_TASKS_COMPLETED hooks)."""

from __future__ import annotations

from pathlib import Path

import sluice

from .helpers import assert_not_run, lines
from .pipelines import exit_handler


def _exit_status(run: sluice.Run) -> dict:
    task = run.task("on-exit")
    assert task.state == "SUCCEEDED", (task.state, task.error)
    return task.outputs["Output"]


def test_exit_task_after_success(files: Path) -> None:
    """The exit task runs last and sees COMPLETE (MLMD naming, as in the Go backend)."""
    marker = files / "m"
    run = sluice.run(exit_handler.exit_handler, {"fail": False, "marker": str(marker)})
    assert run.state == "SUCCEEDED", run.error
    log = lines(marker)
    assert log[-1] == "exit"
    assert [ln.split()[0] for ln in log] == ["work", "after", "exit"]
    status = _exit_status(run)
    # upstream critical/pipeline_with_input_status_state asserts 'COMPLETE'.
    assert status["state"] == "COMPLETE"
    # Go resolve.go: pipelineTaskName is the producer task, i.e. the exit-handler DAG.
    assert status["pipeline_task_name"] == "exit-handler-1"
    # Go: pipelineJobResourceName is the same run name the placeholder resolves to.
    resource_name = log[0].split(maxsplit=1)[1]
    assert status["pipeline_job_resource_name"] == resource_name
    # ...the run's name, which starts with the pipeline's (upstream tests assert it).
    assert resource_name == run.name
    assert resource_name.startswith("exit-handler-")
    assert run.task("exit-handler-1").state == "SUCCEEDED"
    assert run.task("exit-handler-1/work").state == "SUCCEEDED"


def test_exit_task_after_failure(files: Path) -> None:
    """The body fails: the exit task still runs and sees FAILED; the run is FAILED."""
    marker = files / "m"
    run = sluice.run(exit_handler.exit_handler, {"fail": True, "marker": str(marker)})
    assert run.state == "FAILED"
    assert [ln.split()[0] for ln in lines(marker)] == ["work", "exit"]
    status = _exit_status(run)
    assert status["state"] == "FAILED"
    assert status["pipeline_task_name"] == "exit-handler-1"
    assert run.task("work").state == "FAILED"
    assert run.task("exit-handler-1").state == "FAILED"
    assert_not_run(run, "after-work")
    assert run.error is not None and "work" in run.error
    assert "work failed on purpose" in run.error


def test_ignore_upstream_failure_falls_back_to_default() -> None:
    """After a failed upstream the tolerant task runs with its input's default value."""
    run = sluice.run(exit_handler.ignore_upstream_failure, {"fail": True})
    # The run still fails: a task failed (kfp-ir.md section 5, exit semantics).
    assert run.state == "FAILED"
    assert run.task("maybe-fail").state == "FAILED"
    tolerant = run.task("tolerant")
    assert tolerant.state == "SUCCEEDED"
    assert tolerant.outputs["Output"] == "default-msg"
    assert "maybe-fail" in (run.error or "")
    assert "upstream failed on purpose" in (run.error or "")


def test_ignore_upstream_failure_uses_real_value_on_success() -> None:
    """Without a failure, the tolerant task gets the upstream's real output."""
    run = sluice.run(exit_handler.ignore_upstream_failure, {"fail": False})
    assert run.state == "SUCCEEDED", run.error
    assert run.outputs["Output"] == "real-value"
    assert run.task("tolerant").inputs["msg"] == "real-value"
