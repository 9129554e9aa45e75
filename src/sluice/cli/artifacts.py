"""``sluice artifacts list|show`` and ``sluice executions list``: the metadata store, read back."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from sluice.cli.common import cli_errors, format_duration, format_time, make_console
from sluice.cli.graph_render import (
    artifact_dict,
    dumps,
    event_dict,
    execution_dict,
    execution_duration,
    execution_state_text,
    key_metadata,
)

if TYPE_CHECKING:
    from sluice.metadata import Artifact, Event, Execution

artifacts_app = typer.Typer(help="List and inspect recorded artifacts.", no_args_is_help=True)
executions_app = typer.Typer(
    help="List recorded executions (one per task attempt).", no_args_is_help=True
)

FilterOption = Annotated[
    str | None,
    typer.Option(
        "--filter",
        metavar="EXPR",
        help="A filter such as 'schema_title=\"system.Model\" AND metadata.accuracy > 0.9'.",
    ),
]
OrderByOption = Annotated[
    str | None,
    typer.Option(
        "--order-by", metavar="FIELDS", help='Sort order, e.g. "create_time desc" (newest first).'
    ),
]
LimitOption = Annotated[int, typer.Option("--limit", "-n", min=1, help="Show at most N.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def run_names(run_ids: Iterable[str | None]) -> dict[str, str]:
    """The names of these runs, by id (a run whose context is gone keeps its id)."""
    import sluice.metadata as md
    from sluice.errors import MetadataNotFoundError

    names: dict[str, str] = {}
    for run_id in dict.fromkeys(r for r in run_ids if r):
        # Each run's context is named by the run's id and carries the run's name.
        try:
            context = md.Context.get(run_id)
        except MetadataNotFoundError:
            names[run_id] = run_id
            continue
        names[run_id] = str(context.properties.get("name") or run_id)
    return names


def _table(*columns: str) -> Table:
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in columns:
        table.add_column(column, no_wrap=column not in ("URI", "METADATA"), overflow="fold")
    return table


def print_wide(console: Console, renderable: RenderableType) -> None:
    """Print a table or tree; off a terminal, as wide as it needs so no uri is cut or folded."""
    if not console.is_terminal and "COLUMNS" not in os.environ:
        wide = console.options.update_width(100_000)
        console.width = max(console.width, console.measure(renderable, options=wide).maximum)
    console.print(renderable)


@artifacts_app.command("list")
@cli_errors
def list_artifacts_command(
    filter: FilterOption = None,
    order_by: OrderByOption = None,
    limit: LimitOption = 50,
    as_json: JsonOption = False,
) -> None:
    """List artifacts, newest first."""
    import sluice.metadata as md

    artifacts = md.Artifact.list(filter=filter, order_by=order_by, limit=limit)
    if as_json:
        typer.echo(dumps([artifact_dict(a) for a in artifacts]))
        return
    console = make_console()
    if not artifacts:
        console.print("No artifacts match.", markup=False)
        return
    table = _table("ID", "NAME", "TYPE", "URI", "CREATED", "METADATA")
    for artifact in artifacts:
        table.add_row(
            str(artifact.id),
            artifact.display_name or artifact.name,
            artifact.schema_title,
            artifact.uri,
            format_time(artifact.create_time),
            key_metadata(artifact.metadata),
        )
    print_wide(console, table)


def _consumers_and_producers(artifact: Artifact) -> tuple[list[Event], dict[int, Execution]]:
    """The events touching ``artifact`` directly and their executions (one hop each way)."""
    graph = artifact.lineage_subgraph(direction="both", max_hops=1)
    events = [e for e in graph.events if e.artifact_id == artifact.id]
    return events, {e.id: e for e in graph.executions}


def _producer(events: list[Event], executions: dict[int, Execution]) -> Execution | None:
    """The execution that made the artifact: its first OUTPUT event not from a cache hit."""
    made = [executions[e.execution_id] for e in events if e.type == "OUTPUT"]
    ran = [e for e in made if e.cached_execution_id is None]
    chosen = ran or made
    return min(chosen, key=lambda e: e.id) if chosen else None


@artifacts_app.command("show")
@cli_errors
def show_artifact_command(
    artifact: Annotated[
        str,
        typer.Argument(metavar="ID_OR_URI", help="Artifact id or uri.", show_default=False),
    ],
    as_json: JsonOption = False,
) -> None:
    """Show one artifact: its fields, metadata, producer and the executions that used it."""
    import sluice.metadata as md

    found = md.Artifact.get(artifact)
    events, executions = _consumers_and_producers(found)
    producer = _producer(events, executions)
    names = run_names([found.run_id, *(e.run_id for e in executions.values())])
    if as_json:
        data: dict[str, Any] = artifact_dict(found)
        data["run_name"] = names.get(found.run_id) if found.run_id else None
        data["producer"] = (
            execution_dict(producer, names.get(producer.run_id or "")) if producer else None
        )
        data["events"] = [
            {
                **event_dict(e),
                "execution": execution_dict(
                    executions[e.execution_id], names.get(executions[e.execution_id].run_id or "")
                ),
            }
            for e in events
        ]
        typer.echo(dumps(data))
        return
    _print_artifact(make_console(), found, producer, events, executions, names)


@artifacts_app.command("download")
@cli_errors
def download_artifact_command(
    artifact: Annotated[
        str,
        typer.Argument(metavar="ID_OR_URI", help="Artifact id or uri.", show_default=False),
    ],
    dest: Annotated[
        Path | None,
        typer.Argument(
            metavar="[DEST]",
            help="Where to put it (default: its name, in this directory).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Copy a recorded artifact (a file or a directory) here, from its object store or path.

    The copy is streamed (an artifact of any size moves through a fixed amount of memory)
    and appears at DEST only once complete. An existing DEST is never overwritten.
    """
    import sluice.metadata as md
    from sluice.errors import InvalidArgumentError
    from sluice.objectstore import download, transfer

    found = md.Artifact.get(artifact)
    uri = found.uri
    target = dest if dest is not None else Path(uri.rstrip("/").rsplit("/", 1)[-1] or "artifact")
    if target.exists() or target.is_symlink():
        raise InvalidArgumentError(f"{target} already exists; remove it or name another DEST")
    source = uri.removeprefix("file://")
    transfer(download, source, target, f"artifact {found.id} ({uri}): cannot download it")
    typer.echo(f"{uri} -> {target}")


def _print_artifact(
    console: Console,
    artifact: Artifact,
    producer: Execution | None,
    events: list[Event],
    executions: dict[int, Execution],
    names: dict[str, str],
) -> None:
    run = "-"
    if artifact.run_id:
        run = f"{names.get(artifact.run_id, artifact.run_id)} ({artifact.run_id})"
    fields = [
        ("ID", str(artifact.id)),
        ("Name", artifact.name),
        ("Display name", artifact.display_name),
        ("Type", f"{artifact.schema_title} {artifact.schema_version}"),
        ("URI", artifact.uri),
        ("Digest", artifact.digest or "-"),
        ("Created", format_time(artifact.create_time)),
        ("Updated", format_time(artifact.update_time)),
        ("Run", run),
    ]
    if producer is not None:
        fields.append(
            (
                "Produced by",
                f"execution {producer.id} ({producer.component}, "
                f"task {producer.task_path or producer.task_id})",
            )
        )
    for label, value in fields:
        console.print(Text(f"{label + ':':<15}{value}"), soft_wrap=True)
    if artifact.metadata:
        console.print("Metadata:")
        pretty = json.dumps(artifact.metadata, indent=2, ensure_ascii=False, default=str)
        for line in pretty.splitlines()[1:-1]:  # without the outer braces
            console.print(Text(line), soft_wrap=True)
    else:
        console.print(Text(f"{'Metadata:':<15}{{}}"))
    if not events:
        return
    console.print()
    console.print("Events:")
    table = _table("TYPE", "NAME", "EXECUTION", "COMPONENT", "STATE", "TASK", "RUN")
    for event in events:
        execution = executions[event.execution_id]
        table.add_row(
            event.type,
            event.name,
            str(execution.id),
            execution.component,
            execution_state_text(execution.state),
            execution.task_path or execution.task_id,
            names.get(execution.run_id or "", execution.run_id or ""),
        )
    print_wide(console, table)


@executions_app.command("list")
@cli_errors
def list_executions_command(
    filter: FilterOption = None,
    order_by: OrderByOption = None,
    limit: LimitOption = 50,
    as_json: JsonOption = False,
) -> None:
    """List executions (task attempts and cache hits), newest first."""
    import sluice.metadata as md

    executions = md.Execution.list(filter=filter, order_by=order_by, limit=limit)
    names = run_names(e.run_id for e in executions)
    if as_json:
        typer.echo(dumps([execution_dict(e, names.get(e.run_id or "")) for e in executions]))
        return
    console = make_console()
    if not executions:
        console.print("No executions match.", markup=False)
        return
    table = _table("ID", "COMPONENT", "STATE", "TASK", "RUN", "STARTED", "DURATION", "CACHED FROM")
    for execution in executions:
        cached = execution.cached_execution_id
        table.add_row(
            str(execution.id),
            execution.component,
            execution_state_text(execution.state),
            execution.task_path or execution.task_id,
            names.get(execution.run_id or "", execution.run_id or ""),
            format_time(execution.create_time),
            format_duration(execution_duration(execution)),
            str(cached) if cached is not None else "",
        )
    print_wide(console, table)
