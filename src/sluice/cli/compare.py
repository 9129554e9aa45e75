"""``sluice compare``: runs side by side — parameters, metrics and outputs, differences marked."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from sluice.cli.artifacts import print_wide
from sluice.cli.common import cli_errors, is_artifact, make_console
from sluice.errors import UserInputError
from sluice.service.compare import (
    SECTIONS,
    ComparedArtifact,
    ComparedRun,
    ComparedTask,
    section_values,
    value_text,
)
from sluice.service.compare import compare_runs as service_compare

if TYPE_CHECKING:
    from sluice.client.models import Run

_MISSING = "-"
_DIFFERS_STYLE = "bold yellow"


def _compared(value: Any) -> Any:
    # dsl artifacts (duck-typed) as the service's ComparedArtifact; lists recurse.
    if is_artifact(value):
        return ComparedArtifact(
            uri=str(value.uri),
            schema_title=str(value.schema_title),
            metadata=dict(value.metadata or {}),
            name=str(getattr(value, "name", "") or ""),
        )
    if isinstance(value, list | tuple):
        return [_compared(item) for item in value]
    return value


def compared(run: Run) -> ComparedRun:
    """A client run view as the comparison (sluice.service.compare) takes it."""
    return ComparedRun(
        id=run.id,
        name=run.name,
        pipeline_name=run.pipeline_name,
        state=run.state,
        arguments=dict(run.arguments),
        outputs={k: _compared(v) for k, v in run.outputs.items()},
        tasks=[
            ComparedTask(task.path, {k: _compared(v) for k, v in task.outputs.items()})
            for task in run.tasks
        ],
    )


def _cell(name: str, values: dict[str, Any]) -> str:
    return value_text(values[name]) if name in values else _MISSING


@cli_errors
def compare_command(
    runs: Annotated[
        list[str],
        typer.Argument(
            metavar="RUN RUN [RUN ...]",
            help="Two or more run ids, id prefixes or names.",
            show_default=False,
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Compare runs side by side: parameters, metrics and outputs; '*' marks differences."""
    from sluice.client.local import get_run

    if len(runs) < 2:
        raise UserInputError("compare needs at least two runs, e.g. `sluice compare RUN1 RUN2`")
    found = [compared(get_run(r)) for r in runs]
    data = service_compare(found)
    if as_json:
        from sluice.cli.graph_render import dumps

        typer.echo(dumps(data))
        return
    console = make_console()
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("*", no_wrap=True)
    table.add_column("", no_wrap=True)
    for run in found:
        table.add_column(run.name, overflow="fold")
    for section in SECTIONS:
        rows = data[section]
        per_run = [section_values(run, section) for run in found]
        table.add_row("", Text(section.capitalize(), style="bold underline"))
        if not rows:
            table.add_row("", Text(f"  (no {section})", style="dim"))
            continue
        for name, row in rows.items():
            style = _DIFFERS_STYLE if row["differs"] else ""
            cells = [Text(_cell(name, values), style=style) for values in per_run]
            table.add_row("*" if row["differs"] else "", Text(f"  {name}", style=style), *cells)
    print_wide(console, table)
    differing = sum(row["differs"] for section in SECTIONS for row in data[section].values())
    if differing:
        console.print(Text(f"{differing} value(s) differ (marked *)."), soft_wrap=True)
    else:
        console.print("No differences.", markup=False)
