"""How finished runs are shown: the end-of-run summary, task tables and JSON."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from sluice import logfiles
from sluice.cli.common import format_duration, format_time, value_json, value_text
from sluice.states import RunState

if TYPE_CHECKING:
    from sluice.client.models import Run, TaskRun

# Colour of each run/task state; anything else is shown unstyled.
STATE_STYLES = {
    "PENDING": "dim",
    "RUNNING": "yellow",
    "SUCCEEDED": "green",
    "CACHED": "cyan",
    "FAILED": "bold red",
    "SKIPPED": "dim",
    "CANCELING": "magenta",
    "CANCELED": "magenta",
}

LOG_TAIL_LINES = 20
_ID_PREFIX = 8  # characters of a run id shown in lists


def state_text(state: str) -> Text:
    """A state name in its colour."""
    return Text(state, style=STATE_STYLES.get(state, ""))


def tail_lines(path: Path, count: int = LOG_TAIL_LINES) -> list[str]:
    """The last ``count`` lines of a text file ([] if it cannot be read).

    Only the end of the file is read (see :func:`sluice.logfiles.tail_lines`).
    """
    return logfiles.tail_lines(path, count)


def failed_task(run: Run) -> TaskRun | None:
    """The task to blame for a failed run (:meth:`sluice.client.models.Run.failed_task`)."""
    return run.failed_task()


def print_outputs(console: Console, outputs: dict[str, Any]) -> None:
    """Pipeline outputs, one per line: parameters as values, artifacts as URIs."""
    if not outputs:
        return
    console.print("Outputs:")
    for name, value in sorted(outputs.items()):
        line = Text("  ")
        line.append(name, style="bold")
        line.append(f" = {value_text(value)}")
        console.print(line, soft_wrap=True)


def print_failure(console: Console, run: Run) -> None:
    """The failing task, its error and the end of its log."""
    task = failed_task(run)
    if task is None:
        return
    line = Text("Failed task: ")
    line.append(task.path, style="bold red")
    if task.attempts > 1:
        line.append(f" (after {task.attempts} attempts)")
    console.print(line, soft_wrap=True)
    if task.error and task.error not in (run.error or ""):
        console.print(Text(f"  {task.error}"), soft_wrap=True)
    failure = task.failure
    if failure is not None and failure.exception_type and failure.traceback:
        # The component's own frames only, as Dagster and Prefect show them; the log keeps
        # the full traceback (Sluice's fork worker, runpy, kfp's executor).
        where = f"; full log: {task.log_path}" if task.log_path is not None else ""
        output = failure.output.splitlines() if failure.output else []
        what = "Its traceback"
        if output:
            what = f"Last {len(output)} lines of its output, then its traceback"
        console.print(
            Text(f"{what} (the component's own frames{where}):", style="dim"), soft_wrap=True
        )
        for shown in [*output, *failure.traceback.rstrip("\n").splitlines()]:
            console.print(Text(f"  {shown}"), soft_wrap=True)
        return
    if task.log_path is None:
        return
    lines = tail_lines(task.log_path)
    if not lines:
        return
    console.print(
        Text(f"Last {len(lines)} lines of its log ({task.log_path}):", style="dim"), soft_wrap=True
    )
    for log_line in lines:
        console.print(Text(f"  {log_line}"), soft_wrap=True)


def print_run_summary(console: Console, run: Run) -> None:
    """The end-of-run summary: name, id, state, duration, outputs, and what failed."""
    head = Text("Run ")
    head.append(run.name, style="bold")
    head.append(f" ({run.id}) ")
    head.append_text(state_text(run.state))
    if run.duration is not None:
        head.append(f" in {format_duration(run.duration)}")
    console.print(head, soft_wrap=True)
    if run.error:
        console.print(Text(f"error: {run.error}", style="red"), soft_wrap=True)
    if run.state == RunState.FAILED:
        print_failure(console, run)
    print_outputs(console, run.outputs)


def task_table(tasks: list[TaskRun]) -> Table:
    """Tasks as a table: path, display name, state, attempts, duration, error."""
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("TASK", "DISPLAY NAME", "STATE", "ATTEMPTS", "DURATION", "ERROR"):
        table.add_column(column, no_wrap=column != "ERROR")
    for task in tasks:
        table.add_row(
            task.path,
            task.display_name if task.display_name != task.name else "",
            state_text(task.state),
            str(task.attempts),
            format_duration(task.duration),
            Text(task.error or "", style="red"),
        )
    return table


def run_list_table(runs: list[Run]) -> Table:
    """Runs as ``sluice runs list`` shows them (local or ``--host``)."""
    table = Table(box=None, pad_edge=False, header_style="bold")
    # The id prefix and the state are what a narrow terminal must still show in full.
    widths = {"ID": _ID_PREFIX, "STATE": len("SUCCEEDED")}
    for column in ("NAME", "ID", "PIPELINE", "STATE", "CREATED", "DURATION"):
        table.add_column(column, no_wrap=True, min_width=widths.get(column))
    for run in runs:
        table.add_row(
            run.name,
            run.id[:_ID_PREFIX],
            run.pipeline_name,
            state_text(run.state),
            format_time(run.created_at),
            format_duration(run.duration),
        )
    return table


def print_run_details(console: Console, run: Run) -> None:
    """Everything ``sluice runs show`` prints about one run."""
    fields = [
        ("Name", run.name),
        ("ID", run.id),
        ("Pipeline", run.pipeline_name),
        ("Created", format_time(run.created_at)),
        ("Started", format_time(run.started_at)),
        ("Finished", format_time(run.finished_at)),
        ("Duration", format_duration(run.duration)),
        ("Pipeline root", run.pipeline_root),
    ]
    for label, value in fields:
        console.print(Text(f"{label + ':':<15}{value}"), soft_wrap=True)
    line = Text(f"{'State:':<15}")
    line.append_text(state_text(run.state))
    console.print(line)
    if run.error:
        console.print(Text(f"{'Error:':<15}{run.error}", style="red"), soft_wrap=True)
    if run.arguments:
        console.print("Arguments:")
        for name, value in sorted(run.arguments.items()):
            console.print(Text(f"  {name} = {value_text(value)}"), soft_wrap=True)
    if run.tasks:
        console.print()
        console.print(task_table(run.tasks))
        console.print()
    print_outputs(console, run.outputs)


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment is not None else None


def task_json(task: TaskRun) -> dict[str, Any]:
    """One task as JSON-ready data."""
    return {
        "id": task.id,
        "path": task.path,
        "name": task.name,
        "display_name": task.display_name,
        "kind": task.kind,
        "state": task.state,
        "attempts": task.attempts,
        "error": task.error,
        "started_at": _iso(task.started_at),
        "finished_at": _iso(task.finished_at),
        "duration": task.duration,
        "log_path": str(task.log_path) if task.log_path is not None else None,
        "outputs": value_json(task.outputs),
        "failure": dataclasses.asdict(task.failure) if task.failure is not None else None,
        "notices": list(task.notices),
    }


def run_json(run: Run) -> dict[str, Any]:
    """A run (with its tasks) as JSON-ready data; artifacts as ``{uri, schema_title, metadata}``."""
    return {
        "id": run.id,
        "name": run.name,
        "pipeline_name": run.pipeline_name,
        "state": run.state,
        "error": run.error,
        "arguments": value_json(run.arguments),
        "outputs": value_json(run.outputs),
        "pipeline_root": run.pipeline_root,
        "created_at": _iso(run.created_at),
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "duration": run.duration,
        "tasks": [task_json(t) for t in run.tasks],
    }
