"""The ``--host URL`` side of ``sluice run`` and ``sluice runs``: the CLI as a server client."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from sluice.cli.common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    format_duration,
    format_time,
    make_console,
)
from sluice.cli.summary import state_text
from sluice.client.remote import RemoteClient, detail_state, task_states

_ID_PREFIX = 8


def _time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _duration(run: dict[str, Any]) -> float | None:
    created, finished = _time(run.get("created_at")), _time(run.get("finished_at"))
    if created is None or finished is None:
        return None
    return (finished - created).total_seconds()


def _error(run: dict[str, Any]) -> str | None:
    error = run.get("error")
    return str(error.get("message")) if isinstance(error, dict) and error.get("message") else None


class _Changes:
    """Prints a plain line for each run or task state change seen while polling."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.run_state: str | None = None
        self.tasks: dict[str, str] = {}

    def __call__(self, run: dict[str, Any]) -> None:
        state = str(run.get("state"))
        for task, task_state in task_states(run).items():
            if self.tasks.get(task) != task_state:
                typer.echo(f"task {task}: {task_state}")
                self.tasks[task] = task_state
        if state != self.run_state:
            typer.echo(f"run {self.name}: {state}")
            self.run_state = state


def run_remote(
    host: str,
    pipeline: str,
    pairs: list[str],
    params_file: Path | None,
    *,
    pipeline_name: str | None,
    pipeline_root: str | None,
    run_name: str | None,
    as_json: bool,
) -> int:
    """Submit a pipeline to the server at ``host``, follow it to its end; the exit code."""
    from sluice.engine.context import json_ready
    from sluice.spec.loader import load_pipeline
    from sluice.spec.validate import check_pipeline, parse_cli_arguments, resolve_arguments

    # Checked here first, so bad input fails fast with the same messages as a local run.
    loaded = load_pipeline(pipeline, pipeline_name=pipeline_name)
    check_pipeline(loaded)
    arguments = parse_cli_arguments(loaded, pairs, params_file)
    resolve_arguments(loaded, arguments)
    stored = loaded.to_dict()
    spec = stored if stored.get("platform_spec") else stored["pipeline_spec"]
    with RemoteClient(host) as client:
        created = client.create_run(
            spec, json_ready(arguments), display_name=run_name, pipeline_root=pipeline_root
        )
        run_id = str(created["run_id"])
        name = str(created.get("display_name") or run_id)
        if not as_json:
            typer.echo(f"Submitted run {name} ({run_id}) of pipeline {loaded.name} to {host}")
        interrupted = False
        try:
            run = client.wait(run_id, on_change=None if as_json else _Changes(name))
        except KeyboardInterrupt:
            interrupted = True
            typer.echo(f"canceling run {name} ...", err=True)
            client.terminate(run_id)
            try:
                run = client.wait(run_id)
            except KeyboardInterrupt:
                typer.echo("interrupted again; exiting without waiting for the run", err=True)
                return EXIT_INTERRUPTED
    if as_json:
        typer.echo(json.dumps(run, ensure_ascii=False, default=str))
    else:
        print_remote_details(run)
    if interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK if run.get("state") == "SUCCEEDED" else EXIT_FAILED


def print_remote_details(run: dict[str, Any]) -> None:
    """A server's run for humans: state, times, tasks, error."""
    console = make_console()
    console.print(
        f"Run {run.get('display_name')} ({run.get('run_id')}): ",
        state_text(str(run.get("state"))),
        f" in {format_duration(_duration(run))}",
        sep="",
        soft_wrap=True,
    )
    console.print(f"created {format_time(_time(run.get('created_at')))}", markup=False)
    details = (run.get("run_details") or {}).get("task_details") or []
    if details:
        table = Table(box=None, pad_edge=False, header_style="bold")
        for column in ("TASK", "STATE", "DURATION"):
            table.add_column(column, no_wrap=True)
        for task in details:
            start, end = _time(task.get("start_time")), _time(task.get("end_time"))
            took = (end - start).total_seconds() if start and end else None
            table.add_row(
                str(task.get("display_name")),
                state_text(detail_state(task)),
                format_duration(took),
            )
        console.print(table)
    error = _error(run)
    if error:
        console.print(f"error: {error}", markup=False, soft_wrap=True)


def list_remote(host: str, *, limit: int, state: str | None, as_json: bool) -> None:
    """``sluice runs list --host``."""
    with RemoteClient(host) as client:
        runs = client.list_runs(limit=limit, state=state)
    if as_json:
        typer.echo(json.dumps(runs, ensure_ascii=False, default=str))
        return
    console = make_console()
    if not runs:
        console.print(f"No runs on {host} yet.", markup=False)
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("NAME", "ID", "STATE", "CREATED", "DURATION"):
        table.add_column(column, no_wrap=True)
    for run in runs:
        table.add_row(
            str(run.get("display_name")),
            str(run.get("run_id"))[:_ID_PREFIX],
            state_text(str(run.get("state"))),
            format_time(_time(run.get("created_at"))),
            format_duration(_duration(run)),
        )
    console.print(table)


def show_remote(host: str, reference: str, *, as_json: bool) -> None:
    """``sluice runs show --host``: ``reference`` is resolved as in local mode."""
    with RemoteClient(host) as client:
        run = client.get_run(client.resolve_run(reference))
    if as_json:
        typer.echo(json.dumps(run, ensure_ascii=False, default=str))
        return
    print_remote_details(run)
