"""``sluice cache explain|clear``: why a task was (not) a cache hit; forget cached results."""

from __future__ import annotations

import sys
from dataclasses import asdict
from typing import Annotated

import typer
from rich.text import Text

from sluice.cli.common import EXIT_BAD_INPUT, cli_errors, fail, make_console

cache_app = typer.Typer(help="Explain and clear the task cache.", no_args_is_help=True)


@cache_app.command("explain")
@cli_errors
def explain_command(
    run: Annotated[
        str, typer.Argument(metavar="RUN", help="Run id, id prefix or name.", show_default=False)
    ],
    task: Annotated[
        str,
        typer.Argument(
            metavar="TASK", help="Task path (for-loop-2[1]/square) or name.", show_default=False
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Explain why a task was or was not served from the cache."""
    from sluice.cli.graph_render import dumps
    from sluice.client.cache import explain_cache

    explained = explain_cache(run, task)
    if as_json:
        typer.echo(dumps(asdict(explained)))
        return
    console = make_console()
    head = Text("Task ")
    head.append(explained.task_path, style="bold")
    head.append(f" of run {explained.run_name}: ")
    if explained.hit:
        head.append("cache hit", style="cyan")
    else:
        head.append("cache miss", style="yellow")
    console.print(head, soft_wrap=True)
    console.print(Text(f"{'Reason:':<13}{explained.reason}"), soft_wrap=True)
    if explained.source_execution_id is not None:
        label = "Reused:" if explained.hit else "Compared to:"
        source = f"execution {explained.source_execution_id}"
        if explained.source_run_name:
            source += f" of run {explained.source_run_name}"
        console.print(Text(f"{label:<13}{source}"), soft_wrap=True)
    if explained.fingerprint:
        console.print(Text(f"{'Fingerprint:':<13}{explained.fingerprint}"), soft_wrap=True)
    if explained.differences:
        console.print("Differences:")
        for difference in explained.differences:
            console.print(Text(f"  - {difference}"), soft_wrap=True)


def _interactive() -> bool:
    """Whether a person can answer a question on stdin."""
    return sys.stdin is not None and sys.stdin.isatty()


@cache_app.command("clear")
@cli_errors
def clear_command(
    pipeline: Annotated[
        str | None,
        typer.Option("--pipeline", metavar="NAME", help="Only the cache of this pipeline."),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Stop reusing cached task results; executions, artifacts and lineage are kept."""
    scope = f"pipeline '{pipeline}'" if pipeline is not None else "every pipeline"
    if not yes:
        # Without a person to answer, a prompt would hang or read a stray line of input.
        if not _interactive():
            raise fail(
                f"not clearing the cache of {scope} without confirmation; pass --yes",
                EXIT_BAD_INPUT,
            )
        if not typer.confirm(f"Clear the cache of {scope}?", default=False):
            typer.echo("Nothing cleared.")
            return
    from sluice.client.cache import clear_cache

    cleared = clear_cache(pipeline_name=pipeline)
    entries = "entry" if cleared == 1 else "entries"
    typer.echo(f"Cleared {cleared} cache {entries} of {scope}.")
