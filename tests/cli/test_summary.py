"""End-of-run summaries, task tables and JSON of runs."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from kfp import dsl
from rich.console import Console

from sluice.cli.summary import (
    failed_task,
    print_run_details,
    print_run_summary,
    run_json,
    tail_lines,
)
from sluice.client.models import Run, TaskRun

T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)


def _task(
    path: str,
    kind: str = "container",
    state: str = "SUCCEEDED",
    *,
    log: Path | None = None,
    error: str | None = None,
) -> TaskRun:
    return TaskRun(
        id=f"id-{path}",
        name=path.rsplit("/", 1)[-1],
        path=path,
        display_name=path,
        kind=kind,
        state=state,
        attempts=1,
        inputs={},
        outputs={},
        log_path=log,
        error=error,
        image="python:3.11",
        resources={},
        started_at=T0,
        finished_at=T0 + timedelta(seconds=2),
    )


def _run(state: str, tasks: list[TaskRun], error: str | None = None) -> Run:
    model = dsl.Model(name="model", uri="file:///tmp/model", metadata={"acc": 0.5})
    return Run(
        id="abc123",
        name="demo-1",
        pipeline_name="demo",
        state=state,
        error=error,
        arguments={"rows": 3},
        outputs={"model": model, "score": 0.5},
        tasks=tasks,
        pipeline_root="/tmp/root",
        created_at=T0,
        started_at=T0,
        finished_at=T0 + timedelta(seconds=5),
    )


def _text(render: Callable[[Console, Run], None], run: Run) -> str:
    console = Console(width=120, record=True, force_terminal=False)
    render(console, run)
    return console.export_text()


def test_tail_lines(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    log.write_text("".join(f"line {i}\n" for i in range(50)))
    assert tail_lines(log, 3) == ["line 47", "line 48", "line 49"]
    assert tail_lines(tmp_path / "missing.txt") == []


def test_failed_task_prefers_the_component_over_its_dag() -> None:
    run = _run(
        "FAILED",
        [_task("outer", "dag", "FAILED"), _task("outer/train", state="FAILED"), _task("other")],
    )
    found = failed_task(run)
    assert found is not None and found.path == "outer/train"
    assert failed_task(_run("SUCCEEDED", [_task("a")])) is None


def test_failed_task_is_the_one_the_run_error_names(tmp_path: Path) -> None:
    """Both iterations failed, iteration 1 first: its log is shown, not iteration 0's."""
    logs = {}
    for i in (0, 1):
        logs[i] = tmp_path / f"log-{i}.txt"
        logs[i].write_text(f"log of iteration {i}\n")
    first, second = (
        _task(f"for-loop-2[{i}]/train", state="FAILED", log=logs[i], error="ValueError: x")
        for i in (0, 1)
    )
    run = _run("FAILED", [first, second], error="task 'for-loop-2[1]/train' failed: ValueError: x")
    found = failed_task(run)
    assert found is not None and found.path == "for-loop-2[1]/train"
    text = _text(print_run_summary, run)
    assert "Failed task: for-loop-2[1]/train" in text
    assert "log of iteration 1" in text and "log of iteration 0" not in text


def test_summary_of_success_shows_outputs() -> None:
    text = _text(print_run_summary, _run("SUCCEEDED", [_task("a")]))
    assert "Run demo-1 (abc123) SUCCEEDED in 5.0s" in text
    assert "model = file:///tmp/model" in text
    assert "score = 0.5" in text


def test_summary_of_failure_shows_task_error_and_log_tail(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    log.write_text("".join(f"noise {i}\n" for i in range(40)) + "ValueError: [red]boom[/red]\n")
    run = _run(
        "FAILED",
        [_task("train", state="FAILED", log=log, error="ValueError: boom")],
        error="task 'train' failed: ValueError: boom",
    )
    text = _text(print_run_summary, run)
    assert "error: task 'train' failed: ValueError: boom" in text
    assert "Failed task: train" in text
    assert "Last 20 lines of its log" in text
    # Log text is printed literally, never read as rich markup.
    assert "ValueError: [red]boom[/red]" in text
    assert "noise 39" in text and "noise 20" not in text


def test_details_list_tasks_and_arguments() -> None:
    run = _run("FAILED", [_task("a"), _task("b", state="FAILED", error="ValueError: x")])
    text = _text(print_run_details, run)
    assert "rows = 3" in text
    b_line = next(ln for ln in text.splitlines() if ln.startswith("b "))
    assert b_line.split() == ["b", "FAILED", "1", "2.0s", "ValueError:", "x"]


def test_run_json_round_trips() -> None:
    data = json.loads(json.dumps(run_json(_run("SUCCEEDED", [_task("a")]))))
    assert data["outputs"]["model"] == {
        "uri": "file:///tmp/model",
        "schema_title": "system.Model",
        "metadata": {"acc": 0.5},
    }
    assert data["tasks"][0]["path"] == "a" and data["tasks"][0]["attempts"] == 1
    assert data["duration"] == 5.0
