"""The ``--host URL`` side of ``sluice run`` and ``sluice runs``: the CLI as a server client."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from sluice.cli.common import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, make_console
from sluice.cli.summary import print_run_details, print_run_summary, run_list_table
from sluice.client.handle import BaseRunHandle
from sluice.states import FINAL_RUN_STATES

if TYPE_CHECKING:
    from sluice.client.models import Run

# Host mode renders the same Run/TaskRun views as local mode (sluice.Client(host=...)
# builds them from the server's JSON); only --json prints the server's own KFP JSON.


class _Changes:
    """Prints a plain line for each run or task state change seen while polling."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.run_state: str | None = None
        self.tasks: dict[str, str] = {}

    def __call__(self, run: Run) -> None:
        for task in run.tasks:
            if self.tasks.get(task.display_name) != task.state:
                typer.echo(f"task {task.display_name}: {task.state}")
                self.tasks[task.display_name] = task.state
        if run.state != self.run_state:
            typer.echo(f"run {self.name}: {run.state}")
            self.run_state = run.state


_POLL_SECONDS = 0.5


def _follow(handle: BaseRunHandle, on_change: _Changes | None) -> Run:
    # The handle polls the server; each poll is shown as the state changes it brings.
    while True:
        run = handle.get()
        if on_change is not None:
            on_change(run)
        if run.state in FINAL_RUN_STATES:
            return run
        time.sleep(_POLL_SECONDS)


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
    from sluice.client.client import Client
    from sluice.spec.loader import load_pipeline
    from sluice.spec.validate import parse_cli_arguments

    # Checked here first, so bad input fails fast with the same messages as a local run.
    loaded = load_pipeline(pipeline, pipeline_name=pipeline_name)
    arguments = parse_cli_arguments(loaded, pairs, params_file)
    with Client(host=host) as client:
        handle = client.submit(loaded, arguments, pipeline_root=pipeline_root, run_name=run_name)
        if not as_json:
            typer.echo(
                f"Submitted run {handle.name} ({handle.id}) of pipeline {loaded.name} to {host}"
            )
        interrupted = False
        try:
            run = _follow(handle, None if as_json else _Changes(handle.name))
        except KeyboardInterrupt:
            interrupted = True
            typer.echo(f"canceling run {handle.name} ...", err=True)
            handle.cancel()
            try:
                run = handle.wait()
            except KeyboardInterrupt:
                typer.echo("interrupted again; exiting without waiting for the run", err=True)
                return EXIT_INTERRUPTED
        if as_json:
            typer.echo(json.dumps(client.api.get_run(run.id), ensure_ascii=False, default=str))
        else:
            print_run_summary(make_console(), run)
    if interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK if run.state == "SUCCEEDED" else EXIT_FAILED


def list_remote(host: str, *, limit: int, state: str | None, as_json: bool) -> None:
    """``sluice runs list --host``."""
    from sluice.client.client import Client

    with Client(host=host) as client:
        if as_json:
            runs = client.api.list_runs(limit=limit, state=state)
            typer.echo(json.dumps(runs, ensure_ascii=False, default=str))
            return
        found = client.list_runs(limit=limit, state=state)
    console = make_console()
    if not found:
        console.print(f"No runs on {host} yet.", markup=False)
        return
    console.print(run_list_table(found))


def show_remote(host: str, reference: str, *, as_json: bool) -> None:
    """``sluice runs show --host``: ``reference`` is resolved as in local mode."""
    from sluice.client.client import Client

    with Client(host=host) as client:
        if as_json:
            raw = client.api.get_run(client.api.resolve_run(reference))
            typer.echo(json.dumps(raw, ensure_ascii=False, default=str))
            return
        run = client.get_run(reference)
    print_run_details(make_console(), run)
