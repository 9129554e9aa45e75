"""The JSON shapes of the web UI's API (``/apis/sluice/v1``), as pydantic models.

They are declared, not built ad hoc, so the OpenAPI document describes every field and the
UI's TypeScript types (``ui/src/api/schema.d.ts``, made by ``npm run api``) follow them.
Times are ISO 8601 UTC with microseconds; an unset time is null.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

NodeKind = Literal["container", "importer", "dag", "loop", "iteration", "condition", "exit_handler"]


class Session(BaseModel):
    """Whether the server requires a token, and whether this request carries it."""

    auth_required: bool
    authenticated: bool


class SessionIn(BaseModel):
    """The token to trade for a session cookie."""

    token: str = Field(max_length=4096)


class RunSummary(BaseModel):
    """What a row of the run list shows, in one call for the whole page."""

    run_id: str
    display_name: str
    state: str
    pipeline_name: str
    experiment_id: str | None
    experiment_name: str | None
    storage_state: str
    created_at: str | None
    started_at: str | None
    finished_at: str | None
    error: str | None
    task_counts: dict[str, int] = Field(
        description="How many container and importer tasks are in each state."
    )
    scheduled_at: str | None = Field(
        None, description="The slot a recurring run started this run for (null otherwise)."
    )
    metrics: dict[str, float] = Field(
        default_factory=dict,
        description="The numbers the run's system.Metrics artifacts logged, by name (the "
        "first artifact's value when two log the same name).",
    )
    parameters: dict[str, Any] = Field(description="The run's arguments, by input name.")


class RunDetail(RunSummary):
    """What the run page shows beyond its list row: outputs, where it writes."""

    description: str | None
    outputs: dict[str, Any] = Field(description="The pipeline's output parameters, by name.")
    pipeline_root: str
    recurring_run_id: str | None


class RunSpec(BaseModel):
    """The compiled pipeline a run runs (KFP's IR), as stored."""

    pipeline_spec: dict[str, Any]
    platform_spec: dict[str, Any] | None


class RunSummaryPage(BaseModel):
    """One page of run summaries, newest first; ``next_page_token`` is null on the last."""

    runs: list[RunSummary]
    total_size: int
    next_page_token: str | None
    event_id: int = Field(
        description="Follow /apis/sluice/v1/events after this id to hear of later changes."
    )


class RunGroupSummary(BaseModel):
    """One experiment's or recurring run's run count and newest runs."""

    id: str = Field(description="The experiment's or recurring run's id, as asked for.")
    total_size: int = Field(description="How many runs it has (in the storage state asked).")
    runs: list[RunSummary] = Field(description="Its newest runs, newest first.")


class RunGroupSummaryPage(BaseModel):
    """The groups of ``GET /runs:latest``, in the order of the ids asked for."""

    groups: list[RunGroupSummary]


class AttemptSpan(BaseModel):
    """When one attempt of a task ran (the Timeline draws each as a segment)."""

    attempt: int
    state: str
    started_at: str | None
    finished_at: str | None
    exit_code: int | None


class GraphNode(BaseModel):
    """A task of the run graph, or one of the pipeline's tasks that has not started yet
    (``task_id`` null, ``state`` null). ``id`` is the task's path, unique in the run."""

    id: str
    task_id: str | None
    name: str
    display_name: str
    kind: NodeKind
    parent: str | None = Field(description="The id of the sub-DAG box holding it, if any.")
    iteration_index: int | None
    state: str | None
    attempts: int
    cached_from_task_id: str | None
    component: str
    started_at: str | None
    finished_at: str | None
    error: str | None
    iterations: int | None = Field(
        description="For a loop: how many iterations have started (null for other kinds)."
    )
    iteration_total: int | None = Field(
        description="For a loop: how many iterations it has in all, once its items are known "
        "(a raw list from the spec, else the list the loop read when it started); else null."
    )
    created_at: str | None = Field(
        description="When the task was recorded, ready to run: the Timeline's queued time "
        "runs from here to its first attempt."
    )
    attempt_spans: list[AttemptSpan] = Field(
        description="Its attempts (executions), oldest first; empty for sub-DAGs and tasks "
        "that have not run."
    )


class GraphEdge(BaseModel):
    """``source`` must end before ``target`` starts; both are in the same sub-DAG.

    ``kind`` is ``data`` when ``target`` reads an output of ``source`` (``names`` are the
    inputs it feeds), else ``control`` (an ``.after()``, an exit handler).
    """

    source: str
    target: str
    kind: Literal["data", "control"]
    names: list[str]


class ArtifactUse(BaseModel):
    """A task that reads an artifact, and the input it reads it as."""

    task: str = Field(description="The consumer's node id (its task path).")
    input: str = Field(description="The consumer's input name.")


class GraphArtifactItem(BaseModel):
    """One stored artifact of an output: a list output has one per item."""

    artifact_id: int
    name: str
    uri: str


class GraphArtifact(BaseModel):
    """An output artifact of a task, drawn (when asked for) between its producer and the
    tasks of the same level that read it. Before its producer writes it (and always in a
    version's static graph) it is a placeholder: ``artifact_id``, ``name`` and ``uri``
    are null and ``items`` is empty. A list of artifacts (a ``dsl.Collected`` fan-in, a
    nested pipeline returning ``List[Dataset]``) is one node whose ``items`` are all of
    them."""

    id: str = Field(description="``<producer path>.<output key>``, unique in the graph.")
    producer: str = Field(description="The producing task's node id.")
    output_key: str
    parent: str | None = Field(description="The sub-DAG box holding it (its producer's).")
    schema_title: str = Field(description="Its type, e.g. ``system.Model``.")
    is_list: bool = Field(
        description="Whether the output is a list of artifacts (``isArtifactList`` in the "
        "IR), even before it is written."
    )
    artifact_id: int | None = Field(
        description="The stored artifact, once produced (for a list: the first of ``items``)."
    )
    name: str | None = Field(description="The stored artifact's name (a list: the first's).")
    uri: str | None = Field(description="The stored artifact's URI (a list: the first's).")
    items: list[GraphArtifactItem] = Field(
        description="Every stored artifact the output holds, in its order: one for a "
        "single artifact, each item of a list; empty until written."
    )
    consumers: list[ArtifactUse] = Field(description="Its readers at the same level.")


class RunGraph(BaseModel):
    """A run's tasks as a graph: every level of sub-DAGs, loop iterations as they start."""

    run_id: str
    state: str
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    event_id: int = Field(
        description="Follow /apis/sluice/v1/events?run_id= after this id for later changes."
    )
    artifacts: list[GraphArtifact] = Field(
        default_factory=list,
        description="The tasks' output artifacts, with ?artifacts=true (else empty).",
    )


class PipelineGraph(BaseModel):
    """A pipeline version's graph before any run: a run's graph has the same node ids."""

    pipeline_id: str
    version_id: str
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    artifacts: list[GraphArtifact] = Field(
        default_factory=list,
        description="The tasks' output artifacts by name and type, with ?artifacts=true.",
    )


class CronPreview(BaseModel):
    """The next fire times of a recurring run's trigger, as the scheduler computes them."""

    cron: str
    tz: str | None = Field(description="The zone the expression is read in (null: UTC).")
    times: list[str] = Field(description="ISO 8601 UTC, earliest first.")


class PackageText(BaseModel):
    """A compiled pipeline package as text."""

    yaml: str = Field(description="The package's YAML (or JSON), as `kfp compile` writes it.")


class ParsedPackage(BaseModel):
    """A pipeline package read, not stored."""

    name: str
    pipeline_spec: dict[str, Any]
    platform_spec: dict[str, Any] | None


class Attempt(BaseModel):
    """One attempt of a task (an execution)."""

    attempt: int
    state: str
    started_at: str | None
    finished_at: str | None
    exit_code: int | None
    error: str | None
    how: str | None


class StateChange(BaseModel):
    """One entry of a state history."""

    state: str
    message: str | None
    at: str | None


class TaskArtifactView(BaseModel):
    """An artifact a task reads or writes."""

    id: int
    name: str
    direction: Literal["input", "output"]
    output_key: str = Field(description="The input or output name the task gives it.")
    schema_title: str
    uri: str
    metadata: dict[str, Any]
    size: int | None = Field(
        default=None,
        description="The file's size in bytes; null for a directory, a remote URI or a file"
        " not written yet.",
    )


class TaskDetail(BaseModel):
    """Everything the task side panel shows of one task."""

    run_id: str
    task_id: str
    path: str
    name: str
    display_name: str
    kind: NodeKind
    component: str
    state: str
    attempt_count: int
    input_parameters: dict[str, Any]
    output_parameters: dict[str, Any]
    parameter_types: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="The declared type of each parameter (NUMBER_INTEGER, NUMBER_DOUBLE,"
        " BOOLEAN, STRING, LIST, STRUCT), as {'inputs': {name: type}, 'outputs': {...}},"
        " from the component's definitions in the run's spec.",
    )
    artifacts: list[TaskArtifactView]
    fingerprint: str | None
    cached_from_task_id: str | None
    image: str | None
    resources: dict[str, Any]
    error: str | None
    error_details: dict[str, Any] | None
    notices: list[Any]
    created_at: str | None
    started_at: str | None
    finished_at: str | None
    attempts: list[Attempt]
    history: list[StateChange]


class CacheSource(BaseModel):
    """The execution a cache hit reused, or the one a miss was compared with."""

    execution_id: int
    run_id: str | None
    run_name: str | None = Field(description="The run's display name.")
    task_path: str | None


CacheChangePart = Literal[
    "parameter", "artifact", "image", "command", "output_artifact", "output_parameter", "cache_key"
]


class CacheChange(BaseModel):
    """One part of a missed task's cache key that differs from the source's."""

    part: CacheChangePart = Field(
        description="An input parameter or artifact, the image, the command (a Python "
        "component's code), an output's spec, or a custom cache key."
    )
    name: str | None = Field(description="The input's or output's name.")
    old: Any = Field(description="The source's value (None for a command).")
    new: Any = Field(description="This task's value (None for a command).")
    origin: str | None = Field(description="Where an input's value came from, in words.")
    origin_task: str | None = Field(
        description="The path of the task (in this run) whose output it reads."
    )
    diff: list[str] = Field(description="A changed command's lines, as a unified diff.")


class CacheInfo(BaseModel):
    """Why a task was or was not a cache hit (what ``sluice cache explain`` says)."""

    hit: bool
    reason: str
    fingerprint: str | None
    differences: list[str] = Field(description="For a miss: what differs from the source's key.")
    changes: list[CacheChange] = Field(
        description="The same differences, part by part, with values."
    )
    source: CacheSource | None
