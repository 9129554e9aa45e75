"""Lineage graphs as Graphviz DOT and Mermaid text: what ``sluice lineage --format`` prints
and what the web UI's lineage explorer exports.

The renderers read any objects with the fields below (``sluice.metadata``'s records, the
UI API's shapes), so the CLI and the server share one rendering. The root node is named
by its key: ``a<id>`` for an artifact, ``e<id>`` for an execution.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class ArtifactLike(Protocol):
    """What a rendering shows of an artifact."""

    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def display_name(self) -> str: ...
    @property
    def uri(self) -> str: ...
    @property
    def schema_title(self) -> str: ...


class ExecutionLike(Protocol):
    """What a rendering shows of an execution."""

    @property
    def id(self) -> int: ...
    @property
    def component(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def task_path(self) -> str | None: ...


class EventLike(Protocol):
    """An INPUT or OUTPUT edge between an artifact and an execution."""

    @property
    def artifact_id(self) -> int: ...
    @property
    def execution_id(self) -> int: ...
    @property
    def type(self) -> str: ...
    @property
    def name(self) -> str: ...


class GraphLike(Protocol):
    """A lineage subgraph."""

    @property
    def artifacts(self) -> Sequence[ArtifactLike]: ...
    @property
    def executions(self) -> Sequence[ExecutionLike]: ...
    @property
    def events(self) -> Sequence[EventLike]: ...


def artifact_label(artifact: ArtifactLike) -> str:
    """``name #id (schema_title)``: how an artifact is named in every rendering."""
    return f"{artifact.display_name or artifact.name} #{artifact.id} ({artifact.schema_title})"


def execution_label(execution: ExecutionLike) -> str:
    """``component #id [STATE] task path``: how an execution is named in graphs."""
    label = f"{execution.component} #{execution.id} [{execution.state}]"
    if execution.task_path and execution.task_path != execution.component:
        label += f" {execution.task_path}"
    return label


def drawable(graph: GraphLike) -> list[EventLike]:
    """The events whose two ends are both in the graph (a hop limit may cut one off)."""
    artifacts = {a.id for a in graph.artifacts}
    executions = {e.id for e in graph.executions}
    return [e for e in graph.events if e.artifact_id in artifacts and e.execution_id in executions]


def _edge(event: EventLike) -> tuple[str, str]:
    # Edges follow the data: an input flows into its execution, an output out of it.
    artifact, execution = f"a{event.artifact_id}", f"e{event.execution_id}"
    return (artifact, execution) if event.type == "INPUT" else (execution, artifact)


# -- Graphviz DOT ---------------------------------------------------------------------------

_DOT_ARTIFACT_STYLE = '"rounded,filled", fillcolor="#eef4ff"'
_DOT_ROOT_STYLE = '"rounded,filled,bold", fillcolor="#fff3c4"'


def _dot_quote(text: str) -> str:
    # DOT quoted strings: backslash and double quote are escaped; newlines become \n.
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def to_dot(graph: GraphLike, root: str) -> str:
    """The lineage as a Graphviz ``digraph``: artifacts as boxes, executions as ellipses;
    the ``root`` node (``a<id>`` or ``e<id>``) is highlighted."""
    lines = [
        "digraph lineage {",
        "  rankdir=LR;",
        '  node [fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    for artifact in graph.artifacts:
        key = f"a{artifact.id}"
        style = _DOT_ROOT_STYLE if key == root else _DOT_ARTIFACT_STYLE
        label = f"{artifact_label(artifact)}\n{artifact.uri}"
        lines.append(f"  {key} [shape=box, style={style}, label={_dot_quote(label)}];")
    for execution in graph.executions:
        key = f"e{execution.id}"
        bold = ', style="bold", penwidth=2' if key == root else ""
        label = execution_label(execution)
        lines.append(f"  {key} [shape=ellipse{bold}, label={_dot_quote(label)}];")
    for event in drawable(graph):
        source, target = _edge(event)
        lines.append(f"  {source} -> {target} [label={_dot_quote(event.name)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- Mermaid --------------------------------------------------------------------------------


def _mermaid_quote(text: str) -> str:
    # Inside a quoted Mermaid label only the double quote needs an entity.
    return '"' + text.replace('"', "#quot;").replace("\n", "<br/>") + '"'


def to_mermaid(graph: GraphLike, root: str) -> str:
    """The lineage as a Mermaid ``graph LR``: artifacts as stadiums, executions as boxes;
    the ``root`` node (``a<id>`` or ``e<id>``) is highlighted."""
    lines = ["graph LR"]
    for artifact in graph.artifacts:
        label = f"{artifact_label(artifact)}\n{artifact.uri}"
        lines.append(f"  a{artifact.id}([{_mermaid_quote(label)}])")
    for execution in graph.executions:
        lines.append(f"  e{execution.id}[{_mermaid_quote(execution_label(execution))}]")
    for event in drawable(graph):
        source, target = _edge(event)
        label = f"|{_mermaid_quote(event.name)}|" if event.name else ""
        lines.append(f"  {source} -->{label} {target}")
    lines.append("  classDef root stroke-width:3px,fill:#fff3c4")
    lines.append(f"  class {root} root")
    return "\n".join(lines) + "\n"
