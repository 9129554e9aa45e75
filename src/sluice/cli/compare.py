"""``sluice compare``: runs side by side — parameters, metrics and outputs, differences marked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from sluice.cli.artifacts import print_wide
from sluice.cli.common import cli_errors, is_artifact, make_console, value_json, value_text
from sluice.errors import UserInputError

if TYPE_CHECKING:
    from sluice.client.models import Run

# The sections of a comparison, in the order they are printed.
SECTIONS = ("parameters", "metrics", "outputs")
_METRICS = "system.Metrics"
_CLASSIFICATION = "system.ClassificationMetrics"
_MISSING = "-"
_DIFFERS_STYLE = "bold yellow"


def _artifacts_in(value: Any) -> Iterator[Any]:
    # A Collected output holds a list of artifacts; a plain output holds one.
    if is_artifact(value):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _artifacts_in(item)


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def run_metrics(run: Run) -> dict[str, Any]:
    """Every metric the run's tasks logged, keyed ``<task path>.<metric>``.

    The metadata values of ``system.Metrics`` artifacts, and the scalar values of
    ``system.ClassificationMetrics`` ones (their matrices and curves are not compared).
    A task with several metrics outputs keys them ``<task path>.<output>.<metric>``.
    """
    metrics: dict[str, Any] = {}
    for task in run.tasks:
        found = [
            (output, artifact)
            for output, value in sorted(task.outputs.items())
            for artifact in _artifacts_in(value)
            if artifact.schema_title in (_METRICS, _CLASSIFICATION)
        ]
        outputs = {output for output, _ in found}
        for output, artifact in found:
            prefix = task.path if len(outputs) == 1 else f"{task.path}.{output}"
            for name, value in (artifact.metadata or {}).items():
                if artifact.schema_title == _CLASSIFICATION and not _scalar(value):
                    continue
                metrics[f"{prefix}.{name}"] = value
    return metrics


def _section_values(run: Run, section: str) -> dict[str, Any]:
    if section == "parameters":
        return dict(run.arguments)
    if section == "metrics":
        return run_metrics(run)
    return dict(run.outputs)


def compare_runs(runs: list[Run]) -> dict[str, Any]:
    """The comparison as JSON-ready data.

    ``{"runs": [{id, name, pipeline_name, state}], "<section>": {name: {"values": [...],
    "differs": bool}}}`` for each of ``parameters``, ``metrics`` and ``outputs``; a value a
    run does not have is ``null``, and counts as a difference. Artifacts are compared by uri.
    """
    data: dict[str, Any] = {
        "runs": [
            {"id": r.id, "name": r.name, "pipeline_name": r.pipeline_name, "state": r.state}
            for r in runs
        ]
    }
    for section in SECTIONS:
        per_run = [_section_values(run, section) for run in runs]
        names = sorted({name for values in per_run for name in values})
        rows: dict[str, Any] = {}
        for name in names:
            present = [name in values for values in per_run]
            # value_text gives artifacts as their uri and parameters as JSON text: two
            # runs agree on a value when they print the same.
            texts = {value_text(values[name]) for values in per_run if name in values}
            rows[name] = {
                "values": [value_json(values.get(name)) for values in per_run],
                "differs": not all(present) or len(texts) > 1,
            }
        data[section] = rows
    return data


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
    found = [get_run(r) for r in runs]
    data = compare_runs(found)
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
        per_run = [_section_values(run, section) for run in found]
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
