"""In-memory values the engine passes between tasks while a run executes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sluice.engine.states import TaskState


@dataclass(frozen=True, kw_only=True)
class ArtifactRef:
    """An artifact as tasks see it: its store id, uri, type and metadata."""

    id: int
    name: str
    uri: str
    schema_title: str
    schema_version: str
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_executor_json(self) -> dict[str, Any]:
        """The artifact in the executor-input (protojson) shape."""
        return {
            "name": self.name,
            "type": {"schemaTitle": self.schema_title, "schemaVersion": self.schema_version},
            "uri": self.uri,
            "metadata": self.metadata,
        }


@dataclass(kw_only=True)
class TaskResult:
    """How a task ended and what it produced.

    ``parameters`` and ``artifacts`` hold the task's outputs (for a DAG: its DAG
    outputs). A loop's outputs are the collected lists over its iterations.
    """

    state: TaskState
    parameters: dict[str, Any] = field(default_factory=dict)
    artifacts: dict[str, list[ArtifactRef]] = field(default_factory=dict)
    error: str | None = None
    task_id: str | None = None
    # The failing task's own path and error, carried up so the run can name them.
    failed_task: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the task produced its outputs."""
        return self.state.is_success


@dataclass(kw_only=True)
class Scope:
    """What tasks inside one DAG can read: the DAG's inputs and the results of its tasks."""

    parameters: dict[str, Any]
    artifacts: dict[str, list[ArtifactRef]]
    results: dict[str, TaskResult] = field(default_factory=dict)
    # The task-record path of the DAG that owns this scope ("" for the root).
    path: str = ""
    parent_task_id: str | None = None

    def child_path(self, name: str) -> str:
        """Path of a task named ``name`` inside this DAG."""
        return f"{self.path}/{name}" if self.path else name


def artifact_ids(artifacts: dict[str, list[ArtifactRef]]) -> dict[str, list[int]]:
    """The store ids of a name → artifacts mapping."""
    return {name: [a.id for a in refs] for name, refs in artifacts.items()}
