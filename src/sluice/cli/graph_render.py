"""Pure renderers of metadata and lineage graphs: JSON data, a rich tree, DOT and Mermaid.

Nothing here touches the store: the commands read a :class:`sluice.metadata.LineageGraph`
and hand it over, with the names of the runs involved when they want them shown.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from rich.tree import Tree

from sluice.cli.summary import STATE_STYLES
from sluice.service import lineage_export

if TYPE_CHECKING:
    from sluice.metadata import Artifact, Event, Execution, LineageGraph

# Execution states use ML Metadata's names; COMPLETE is what a run calls SUCCEEDED.
EXECUTION_STATE_STYLES = {**STATE_STYLES, "COMPLETE": "green"}

# How many numeric metadata values an artifact row shows before "...".
_KEY_METADATA = 3


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def execution_state_text(state: str) -> Text:
    """An execution state (``COMPLETE``, ``CACHED``, ``FAILED``...) in its colour."""
    return Text(state, style=EXECUTION_STATE_STYLES.get(state, ""))


def execution_duration(execution: Execution) -> float | None:
    """Seconds the execution ran; None while it is still running."""
    if execution.state == "RUNNING":
        return None
    return (execution.update_time - execution.create_time).total_seconds()


def key_metadata(metadata: Mapping[str, Any], count: int = _KEY_METADATA) -> str:
    """The first ``count`` numeric metadata values as ``name=value, ...``."""
    # bool is an int subclass, but a flag is not the kind of number people scan for.
    numbers = [
        (k, v)
        for k, v in metadata.items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    ]
    parts = [f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in numbers[:count]]
    if len(numbers) > count:
        parts.append("...")
    return ", ".join(parts)


def artifact_dict(artifact: Artifact) -> dict[str, Any]:
    """An artifact as JSON-ready data (every field)."""
    return {
        "id": artifact.id,
        "name": artifact.name,
        "display_name": artifact.display_name,
        "uri": artifact.uri,
        "schema_title": artifact.schema_title,
        "schema_version": artifact.schema_version,
        "metadata": artifact.metadata,
        "run_id": artifact.run_id,
        "producer_task_id": artifact.producer_task_id,
        "digest": artifact.digest,
        "create_time": _iso(artifact.create_time),
        "update_time": _iso(artifact.update_time),
    }


def execution_dict(execution: Execution, run_name: str | None = None) -> dict[str, Any]:
    """An execution as JSON-ready data (every field, plus its run's name when known)."""
    return {
        "id": execution.id,
        "schema_title": execution.schema_title,
        "component": execution.component,
        "state": execution.state,
        "attempt": execution.attempt,
        "run_id": execution.run_id,
        "run_name": run_name,
        "task_id": execution.task_id,
        "task_path": execution.task_path,
        "input_parameters": execution.input_parameters,
        "output_parameters": execution.output_parameters,
        "fingerprint": execution.fingerprint,
        "cached_execution_id": execution.cached_execution_id,
        "create_time": _iso(execution.create_time),
        "update_time": _iso(execution.update_time),
        "duration": execution_duration(execution),
        "exit_code": execution.exit_code,
    }


def event_dict(event: Event) -> dict[str, Any]:
    """An event as JSON-ready data."""
    return {
        "artifact_id": event.artifact_id,
        "execution_id": event.execution_id,
        "type": event.type,
        "name": event.name,
        "position": event.position,
    }


def lineage_json(
    graph: LineageGraph, root: Artifact, run_names: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The lineage graph as ``{root, artifacts, executions, events}``."""
    names = run_names or {}
    return {
        "root": root.id,
        "artifacts": [artifact_dict(a) for a in graph.artifacts],
        "executions": [execution_dict(e, names.get(e.run_id or "")) for e in graph.executions],
        "events": [event_dict(e) for e in graph.events],
    }


# -- tree -----------------------------------------------------------------------------------


class _Index:
    """The graph's nodes by id and its edges in both directions."""

    def __init__(self, graph: LineageGraph) -> None:
        self.artifacts = {a.id: a for a in graph.artifacts}
        self.executions = {e.id: e for e in graph.executions}
        # artifact id -> events producing it / consuming it; execution id -> its events
        self.made_by: dict[int, list[Event]] = {}
        self.used_by: dict[int, list[Event]] = {}
        self.inputs: dict[int, list[Event]] = {}
        self.outputs: dict[int, list[Event]] = {}
        for event in graph.events:
            if event.type == "OUTPUT":
                self.made_by.setdefault(event.artifact_id, []).append(event)
                self.outputs.setdefault(event.execution_id, []).append(event)
            else:
                self.used_by.setdefault(event.artifact_id, []).append(event)
                self.inputs.setdefault(event.execution_id, []).append(event)


def _artifact_text(artifact: Artifact, *, root: bool = False) -> Text:
    text = Text(artifact.display_name or artifact.name, style="bold" if root else "")
    text.append(f" #{artifact.id} ", style="dim")
    text.append(artifact.schema_title, style="cyan")
    text.append(f" {artifact.uri}", style="dim")
    return text


def _execution_text(
    execution: Execution, event: Event, run_names: Mapping[str, str], arrow: str
) -> Text:
    text = Text(f"{arrow} ")
    text.append(execution.component, style="bold")
    text.append(f" #{execution.id} ", style="dim")
    text.append_text(execution_state_text(execution.state))
    if execution.cached_execution_id is not None:
        text.append(f" cached from #{execution.cached_execution_id}", style="cyan")
    # An execution recorded through the Vertex AI API has no task, no run, no event names.
    if execution.task_id is not None:
        text.append(f"  task {execution.task_path or execution.task_id}")
    if execution.run_id is not None:
        run = run_names.get(execution.run_id, execution.run_id)
        text.append(f"  run {run}", style="dim")
    named = f" '{event.name}'" if event.name else ""
    text.append(f"  ({event.type.lower()}{named})", style="dim")
    return text


def lineage_tree(
    graph: LineageGraph,
    root: Artifact,
    direction: str = "both",
    run_names: Mapping[str, str] | None = None,
) -> Tree:
    """The lineage as a tree rooted at ``root``.

    Upstream, each artifact branches into the executions that produced it and each of
    those into its input artifacts; downstream, into the executions that consumed it
    and their outputs. A node reached a second time (a diamond) is not expanded again.
    """
    index = _Index(graph)
    names = run_names or {}
    tree = Tree(_artifact_text(root, root=True))
    walks = [("upstream", True), ("downstream", False)]
    for label, upstream in walks:
        if direction not in (label, "both"):
            continue
        branch = tree.add(Text(label, style="italic")) if direction == "both" else tree
        before = len(branch.children)
        _grow(branch, root.id, index, names, upstream=upstream, seen=set())
        if len(branch.children) == before:
            nothing = "nothing produced it" if upstream else "nothing consumed it"
            branch.add(Text(f"({nothing} in the store)", style="dim"))
    return tree


def _grow(
    node: Tree,
    artifact_id: int,
    index: _Index,
    names: Mapping[str, str],
    *,
    upstream: bool,
    seen: set[str],
) -> None:
    edges = index.made_by if upstream else index.used_by
    for event in edges.get(artifact_id, []):
        execution = index.executions.get(event.execution_id)
        if execution is None:  # cut off by --max-hops
            continue
        arrow = "<-" if upstream else "->"
        child = node.add(_execution_text(execution, event, names, arrow))
        key = f"e{execution.id}"
        if key in seen:
            child.add(Text("(shown above)", style="dim"))
            continue
        seen.add(key)
        further = index.inputs if upstream else index.outputs
        for next_event in further.get(execution.id, []):
            artifact = index.artifacts.get(next_event.artifact_id)
            if artifact is None:
                continue
            leaf = child.add(_artifact_text(artifact))
            artifact_key = f"a{artifact.id}"
            if artifact_key in seen:
                leaf.add(Text("(shown above)", style="dim"))
                continue
            seen.add(artifact_key)
            _grow(leaf, artifact.id, index, names, upstream=upstream, seen=seen)


# -- Graphviz DOT and Mermaid (shared with the web UI: sluice.service.lineage_export) ------


def to_dot(graph: LineageGraph, root: Artifact) -> str:
    """The lineage as a Graphviz ``digraph``: artifacts as boxes, executions as ellipses."""
    return lineage_export.to_dot(graph, f"a{root.id}")


def to_mermaid(graph: LineageGraph, root: Artifact) -> str:
    """The lineage as a Mermaid ``graph LR``: artifacts as stadiums, executions as boxes."""
    return lineage_export.to_mermaid(graph, f"a{root.id}")


def dumps(data: Any) -> str:
    """JSON text of command output (non-ASCII kept, unknown types as strings)."""
    return json.dumps(data, ensure_ascii=False, default=str)
