"""Placeholders, f-strings, env variables and display names.

Go driver resolve.go: pipeline_job_name -> run display name, pipeline_job_resource_name ->
run (object) name, pipeline_job_uuid -> run id, pipeline_task_name -> the task's name,
pipeline_task_uuid -> an execution id; schedule time falls back to create time for manual
(non-recurring) runs (cmd/driver/main.go).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sluice
from sluice.client.local import RunHandle
from sluice.service.runs import prepare_run

from .pipelines import placeholders


def _utc(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert value.tzinfo is not None, text
    assert value.utcoffset() == timedelta(0), text
    return value


def test_pipeline_placeholders(tmp_path: Path) -> None:
    """Every placeholder resolves to the run's own identity."""
    root = tmp_path / "root"
    run = sluice.run(
        placeholders.placeholders, run_name="my-conformance-run", pipeline_root=str(root)
    )
    assert run.state == "SUCCEEDED", run.error
    out = run.outputs["Output"]
    assert run.name == "my-conformance-run"
    assert out["job_name"] == "my-conformance-run"
    assert out["job_id"] == run.id
    # Go: the run's object name, which the user's run name is here.
    assert out["job_resource_name"] == "my-conformance-run"
    assert out["task_name"] == "show-placeholders"
    assert out["task_id"]
    assert "{{" not in str(out), out
    assert run.pipeline_root.rstrip("/") in (str(root), root.as_uri())
    assert out["root"].rstrip("/") == run.pipeline_root.rstrip("/")
    # Go formats the workflow's creation time as RFC 3339 in whole seconds, and newer
    # upstream critical/pipeline_with_placeholders asserts exactly that shape.
    for key in ("create_time", "schedule_time"):
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", out[key]), out[key]
    created = _utc(out["create_time"])
    assert _utc(out["schedule_time"]) == created
    # Ordering, not speed: the run was created before it finished.
    now = datetime.now(timezone.utc)
    assert created <= now
    # The placeholder is the recorded creation time itself, in whole seconds as Go gives it.
    assert run.created_at is None or created == run.created_at.replace(
        tzinfo=run.created_at.tzinfo or timezone.utc, microsecond=0
    )


def test_two_runs_have_distinct_ids() -> None:
    """job id and resource name identify the run, so they differ between runs."""
    a = sluice.run(placeholders.placeholders)
    b = sluice.run(placeholders.placeholders)
    assert a.state == b.state == "SUCCEEDED", (a.error, b.error)
    assert a.outputs["Output"]["job_id"] != b.outputs["Output"]["job_id"]
    assert a.outputs["Output"]["job_resource_name"] != b.outputs["Output"]["job_resource_name"]
    assert a.outputs["Output"]["job_name"] == a.name


def test_job_names_follow_the_go_backend() -> None:
    """Go driver: job name = the run's display name; resource name = the run's object name.

    Upstream critical/pipeline_with_placeholders asserts that the resource name starts with
    ``<pipeline name>-`` (Argo's generateName); Sluice's default run name does too.
    """
    store, row, settings, _ = prepare_run(placeholders.placeholders, display_name="Nightly run")
    run = RunHandle(store, row, settings).wait()
    assert run.state == "SUCCEEDED", run.error
    out = run.outputs["Output"]
    assert out["job_name"] == "Nightly run"
    assert out["job_resource_name"] == run.name
    assert out["job_resource_name"].startswith("placeholders-")
    assert out["job_id"] == run.id


def test_fstring_env_and_display_name() -> None:
    """f-strings mix upstream outputs and parameters; set_env_variable; set_display_name."""
    run = sluice.run(placeholders.fstring_env_display, {"word": "abc"})
    assert run.state == "SUCCEEDED", run.error
    assert run.outputs == {
        "joined": "pre-ABC-mid-abc-post",
        "env": "hello-env",
        "both": "pre-ABC-mid-abc-post|hello-env",
    }
    env_task = run.task("read-env")
    assert env_task.display_name == "Env Reader"
    assert run.task("Env Reader").id == env_task.id
    assert run.task("produce").display_name == "produce"
    # The extra pipelinechannel input of an f-string is not a component input.
    assert run.task("echo").inputs["msg"] == "pre-ABC-mid-abc-post"
