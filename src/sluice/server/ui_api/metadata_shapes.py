"""The JSON shapes of the UI API's metadata calls (N10 artifacts, executions, contexts;
N11 lineage; N12 search), as pydantic models. See :mod:`sluice.server.ui_api.shapes`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from sluice.server.serialize import precise_ts
from sluice.service.metadata import EventEntry, ExecutionEntry
from sluice.store.models import ArtifactRow, ContextRow


class ArtifactView(BaseModel):
    """An artifact as the metadata pages show it."""

    id: int
    name: str
    display_name: str
    uri: str
    schema_title: str
    schema_version: str
    metadata: dict[str, Any]
    state: str
    description: str | None
    run_id: str | None
    producer_task_id: str | None
    digest: str | None
    created_at: str | None
    updated_at: str | None

    @classmethod
    def of(cls, row: ArtifactRow) -> ArtifactView:
        """The view of a stored artifact."""
        return cls(
            id=row.id,
            name=row.name,
            display_name=row.display_name or row.name,
            uri=row.uri,
            schema_title=row.schema_title,
            schema_version=row.schema_version,
            metadata=dict(row.metadata_ or {}),
            state=row.state,
            description=row.description,
            run_id=row.run_id,
            producer_task_id=row.producer_task_id,
            digest=row.digest,
            created_at=precise_ts(row.created_at),
            updated_at=precise_ts(row.updated_at),
        )


class ExecutionView(BaseModel):
    """An execution (one attempt of a task, or a cache hit) as the metadata pages show it."""

    id: int
    schema_title: str
    component: str
    state: str
    attempt: int
    run_id: str | None
    task_id: str | None
    task_path: str | None = Field(description="The task's path in its run, e.g. for-1[0]/train.")
    exit_code: int | None
    error: str | None
    fingerprint: str | None
    cached_execution_id: int | None
    input_parameters: dict[str, Any]
    output_parameters: dict[str, Any]
    started_at: str | None
    finished_at: str | None

    @classmethod
    def of(cls, entry: ExecutionEntry) -> ExecutionView:
        """The view of a stored execution."""
        row = entry.row
        return cls(
            id=row.id,
            schema_title=row.type,
            component=row.component_name,
            state=row.state,
            attempt=row.attempt,
            run_id=row.run_id,
            task_id=row.task_id,
            task_path=entry.task_path,
            exit_code=row.exit_code,
            error=row.error,
            fingerprint=row.fingerprint,
            cached_execution_id=row.cached_execution_id,
            input_parameters=dict(row.input_parameters or {}),
            output_parameters=dict(row.output_parameters or {}),
            started_at=precise_ts(row.started_at),
            finished_at=precise_ts(row.finished_at),
        )


class ContextView(BaseModel):
    """A context (a pipeline, run or experiment) as the metadata pages show it."""

    id: int
    name: str
    display_name: str
    schema_title: str
    properties: dict[str, Any]
    description: str | None
    created_at: str | None

    @classmethod
    def of(cls, row: ContextRow) -> ContextView:
        """The view of a stored context."""
        return cls(
            id=row.id,
            name=row.name,
            display_name=row.display_name or row.name,
            schema_title=row.type,
            properties=dict(row.properties or {}),
            description=row.description,
            created_at=precise_ts(row.created_at),
        )


class EventView(BaseModel):
    """An artifact going into (INPUT) or coming out of (OUTPUT) an execution."""

    artifact_id: int
    execution_id: int
    type: Literal["INPUT", "OUTPUT"]
    name: str = Field(description="The input or output name the task gives the artifact.")
    position: int

    @classmethod
    def of(cls, event: EventEntry) -> EventView:
        """The view of a stored event."""
        return cls(
            artifact_id=event.artifact_id,
            execution_id=event.execution_id,
            type="INPUT" if event.type == "INPUT" else "OUTPUT",
            name=event.name,
            position=event.position,
        )


class ListInfo(BaseModel):
    """What a metadata list page offers besides its rows."""

    next_page_token: str | None
    filter_fields: list[str] = Field(
        description="Names a filter may use (a name ending in '.' takes '<key>.number_value'"
        " and the like; 'in_context(' takes a quoted context name)."
    )
    facets: dict[str, int] = Field(
        description="How many there are of each type (artifacts, contexts) or state (executions)."
    )


class ArtifactPage(ListInfo):
    """One page of artifacts."""

    artifacts: list[ArtifactView]


class ExecutionPage(ListInfo):
    """One page of executions."""

    executions: list[ExecutionView]


class ContextPage(ListInfo):
    """One page of contexts."""

    contexts: list[ContextView]


class ArtifactDetail(BaseModel):
    """An artifact with the execution that produced it and those that read it."""

    artifact: ArtifactView
    producers: list[ExecutionView]
    consumers: list[ExecutionView]
    events: list[EventView]


class ExecutionDetail(BaseModel):
    """An execution with the artifacts it took in and put out."""

    execution: ExecutionView
    inputs: list[ArtifactView]
    outputs: list[ArtifactView]
    events: list[EventView]


class ContextDetail(BaseModel):
    """A context with its artifacts and executions."""

    context: ContextView
    artifacts: list[ArtifactView]
    executions: list[ExecutionView]
    artifacts_truncated: bool = Field(description="More artifacts than were listed.")
    executions_truncated: bool = Field(description="More executions than were listed.")


class LineageGraphView(BaseModel):
    """A lineage subgraph as Vertex's ``LineageSubgraph``, each list ordered by id;
    ``root`` is the node it was walked from (``a<id>`` or ``e<id>``)."""

    root: str
    direction: Literal["upstream", "downstream", "both"]
    max_hops: int | None
    artifacts: list[ArtifactView]
    executions: list[ExecutionView]
    events: list[EventView]


class SearchHit(BaseModel):
    """One hit of the search palette: what it is, its id and name, and the UI page."""

    kind: Literal["run", "pipeline", "experiment", "artifact"]
    id: str
    name: str
    detail: str | None = Field(description="A second line: state, type or description.")
    url: str = Field(description="The UI route of its page, e.g. /runs/<id>.")


class SearchResult(BaseModel):
    """Search hits, best first (an exact id first, then names that start with the query)."""

    hits: list[SearchHit]
