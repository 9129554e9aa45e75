"""``sluice runs list|show|resume``: read runs back from the store, resume interrupted ones."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from sluice.cli.common import cli_errors, make_console
from sluice.cli.summary import print_run_details, run_json, run_list_table
from sluice.errors import UserInputError
from sluice.states import RunState

runs_app = typer.Typer(help="List and inspect recorded runs.", no_args_is_help=True)

_RUN_STATES = tuple(state.value for state in RunState)


@runs_app.command("list")
@cli_errors
def list_command(
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Show at most N runs.")] = 20,
    pipeline: Annotated[
        str | None, typer.Option("--pipeline", metavar="NAME", help="Only runs of this pipeline.")
    ] = None,
    state: Annotated[
        str | None,
        typer.Option("--state", metavar="STATE", help="Only runs in this state (e.g. FAILED)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
    host: Annotated[
        str | None,
        typer.Option(
            "--host", envvar="SLUICE_HOST", metavar="URL", help="Read the runs of this server."
        ),
    ] = None,
) -> None:
    """List runs, newest first."""
    from sluice.client.local import list_runs

    wanted = state.upper() if state is not None else None
    if wanted is not None and wanted not in _RUN_STATES:
        raise UserInputError(f"unknown state '{state}'; expected one of {', '.join(_RUN_STATES)}")
    if host:
        from sluice.cli.remote import list_remote

        if pipeline is not None:
            raise UserInputError("--pipeline cannot be used with --host yet; use --state")
        list_remote(host, limit=limit, state=wanted, as_json=as_json)
        return
    runs = list_runs(limit=limit, pipeline_name=pipeline, state=wanted)
    if as_json:
        rows = [{k: v for k, v in run_json(r).items() if k != "tasks"} for r in runs]
        typer.echo(json.dumps(rows, ensure_ascii=False, default=str))
        return
    console = make_console()
    if not runs:
        console.print("No runs yet; start one with `sluice run PIPELINE`.", markup=False)
        return
    console.print(run_list_table(runs))


@runs_app.command("show")
@cli_errors
def show_command(
    run: Annotated[
        str, typer.Argument(metavar="RUN", help="Run id, id prefix or name.", show_default=False)
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    host: Annotated[
        str | None,
        typer.Option(
            "--host",
            envvar="SLUICE_HOST",
            metavar="URL",
            help="Read the run from this server.",
        ),
    ] = None,
) -> None:
    """Show one run: its details, tasks and outputs."""
    from sluice.client.local import get_run

    if host:
        from sluice.cli.remote import show_remote

        show_remote(host, run, as_json=as_json)
        return

    found = get_run(run)
    if as_json:
        typer.echo(json.dumps(run_json(found), ensure_ascii=False, default=str))
        return
    print_run_details(make_console(), found)


@runs_app.command("resume")
@cli_errors
def resume_command(
    run: Annotated[
        str, typer.Argument(metavar="RUN", help="Run id, id prefix or name.", show_default=False)
    ],
) -> None:
    """Execute an interrupted or failed run again; finished tasks are not run twice.

    Refused (exit 2) while another live process is executing the run.
    """
    from sluice.cli.common import EXIT_FAILED, EXIT_OK
    from sluice.cli.summary import print_run_summary
    from sluice.client.local import resume

    finished = resume(run)
    print_run_summary(make_console(), finished)
    raise typer.Exit(EXIT_OK if finished.state == RunState.SUCCEEDED else EXIT_FAILED)
