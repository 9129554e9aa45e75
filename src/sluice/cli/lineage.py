"""``sluice lineage``: where an artifact came from and what was made from it."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Literal

import typer

from sluice.cli.common import cli_errors, make_console
from sluice.errors import UserInputError


class LineageFormat(str, Enum):
    """How ``sluice lineage`` prints the graph."""

    tree = "tree"
    json = "json"
    dot = "dot"
    mermaid = "mermaid"


@cli_errors
def lineage_command(
    artifact: Annotated[
        str,
        typer.Argument(metavar="ARTIFACT", help="Artifact id or uri.", show_default=False),
    ],
    upstream: Annotated[
        bool, typer.Option("--upstream", help="Only what the artifact was made from.")
    ] = False,
    downstream: Annotated[
        bool, typer.Option("--downstream", help="Only what was made from the artifact.")
    ] = False,
    max_hops: Annotated[
        int | None,
        typer.Option(
            "--max-hops",
            metavar="N",
            min=0,
            help="Follow at most N edges (artifact→execution or execution→artifact).",
        ),
    ] = None,
    output_format: Annotated[
        LineageFormat,
        typer.Option(
            "--format",
            "-f",
            case_sensitive=False,
            help="tree (terminal), json, dot (Graphviz) or mermaid.",
        ),
    ] = LineageFormat.tree,
) -> None:
    """Show an artifact's lineage: its producers and their inputs, and its consumers."""
    import sluice.metadata as md
    from sluice.cli.artifacts import print_wide, run_names
    from sluice.cli.graph_render import dumps, lineage_json, lineage_tree, to_dot, to_mermaid

    if upstream and downstream:
        raise UserInputError(
            "--upstream and --downstream exclude each other; give neither to see both"
        )
    direction: Literal["upstream", "downstream", "both"] = (
        "upstream" if upstream else "downstream" if downstream else "both"
    )
    root = md.Artifact.get(artifact)
    graph = root.lineage_subgraph(direction=direction, max_hops=max_hops)
    if output_format is LineageFormat.dot:
        typer.echo(to_dot(graph, root), nl=False)
        return
    if output_format is LineageFormat.mermaid:
        typer.echo(to_mermaid(graph, root), nl=False)
        return
    names = run_names(e.run_id for e in graph.executions)
    if output_format is LineageFormat.json:
        data = lineage_json(graph, root, names)
        data["direction"] = direction
        data["max_hops"] = max_hops
        typer.echo(dumps(data))
        return
    print_wide(make_console(), lineage_tree(graph, root, direction, names))
