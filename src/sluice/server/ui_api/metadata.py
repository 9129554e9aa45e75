"""N10 and N11: artifacts, executions and contexts (filtered, ordered, paged, with their
events) and their lineage, for the metadata pages and the lineage explorer.

Filters are the AIP-160 grammar of docs/metadata.md (what ``sluice.metadata`` and the
Vertex API take); a bad one is a 400 whose message names its column.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import PlainTextResponse

from sluice.server.auth import require_token
from sluice.server.config import state_of
from sluice.server.ui_api.metadata_shapes import (
    ArtifactDetail,
    ArtifactPage,
    ArtifactView,
    ContextDetail,
    ContextPage,
    ContextView,
    EventView,
    ExecutionDetail,
    ExecutionPage,
    ExecutionView,
    LineageGraphView,
)
from sluice.service import lineage_export
from sluice.service.metadata import LineageRows, MetadataService

router = APIRouter(tags=["ui"], dependencies=[Depends(require_token)])

Direction = Literal["upstream", "downstream", "both"]
ExportFormat = Literal["dot", "mermaid"]

_FILTER = Query(
    None,
    max_length=4096,
    description='AIP-160, e.g. schema_title="system.Model" AND '
    "metadata.accuracy.number_value>0.5 (docs/metadata.md).",
)
_ORDER_BY = Query(None, max_length=512, description='e.g. "create_time desc" (default).')
_PAGE_SIZE = Query(50, ge=1, le=1000, description="Rows per page (at most 1000).")
_PAGE_TOKEN = Query(None, max_length=1024, description="The next_page_token of the last page.")
# Ids are SQL integers: a larger number is no id (and SQLite cannot bind it).
# One parameter object per name: FastAPI records the name it first serves on it.
_MAX_ID = 2**63 - 1
ArtifactId = Annotated[int, PathParam(ge=0, le=_MAX_ID)]
ExecutionId = Annotated[int, PathParam(ge=0, le=_MAX_ID)]
ContextId = Annotated[int, PathParam(ge=0, le=_MAX_ID)]
_FORMAT = Query("dot", description="dot or mermaid.")
_DIRECTION = Query("both", description="upstream, downstream or both.")
_HOPS = Query(
    None, ge=0, le=1000, description="Edges to follow (artifact→execution is one); unset: all."
)


def _service(request: Request) -> MetadataService:
    return MetadataService(state_of(request).store)


@router.get("/artifacts", summary="Artifacts, filtered and paged")
def list_artifacts(
    request: Request,
    filter: str | None = _FILTER,
    order_by: str | None = _ORDER_BY,
    page_size: int = _PAGE_SIZE,
    page_token: str | None = _PAGE_TOKEN,
) -> ArtifactPage:
    """One page of artifacts (newest first unless ``order_by`` says otherwise), with the
    filter's field names and the count of each artifact type."""
    service = _service(request)
    page = service.list_artifacts(filter, order_by, limit=page_size, page_token=page_token)
    return ArtifactPage(
        artifacts=[ArtifactView.of(row) for row in page.items],
        next_page_token=page.next_page_token,
        filter_fields=service.filter_fields("artifacts"),
        facets=service.facets("artifacts"),
    )


@router.get("/artifacts/{artifact_id:int}", summary="One artifact with its producer and consumers")
def get_artifact(request: Request, artifact_id: ArtifactId) -> ArtifactDetail:
    """The artifact, the executions that put it out (a cache hit re-outputs it) and those
    that took it in."""
    service = _service(request)
    artifact = service.get_artifact(artifact_id)
    rows = service.lineage([artifact_id], max_hops=1)
    views = {entry.row.id: ExecutionView.of(entry) for entry in rows.executions}
    events = [e for e in rows.events if e.artifact_id == artifact_id]
    return ArtifactDetail(
        artifact=ArtifactView.of(artifact),
        producers=[views[e.execution_id] for e in events if e.type == "OUTPUT"],
        consumers=[views[e.execution_id] for e in events if e.type == "INPUT"],
        events=[EventView.of(e) for e in events],
    )


@router.get("/executions", summary="Executions, filtered and paged")
def list_executions(
    request: Request,
    filter: str | None = _FILTER,
    order_by: str | None = _ORDER_BY,
    page_size: int = _PAGE_SIZE,
    page_token: str | None = _PAGE_TOKEN,
) -> ExecutionPage:
    """One page of executions (attempts and cache hits), with the filter's field names and
    the count in each state."""
    service = _service(request)
    page = service.list_executions(filter, order_by, limit=page_size, page_token=page_token)
    return ExecutionPage(
        executions=[ExecutionView.of(entry) for entry in page.items],
        next_page_token=page.next_page_token,
        filter_fields=service.filter_fields("executions"),
        facets=service.facets("executions"),
    )


@router.get("/executions/{execution_id:int}", summary="One execution with its inputs and outputs")
def get_execution(request: Request, execution_id: ExecutionId) -> ExecutionDetail:
    """The execution and the artifacts it took in and put out, with the events' names."""
    service = _service(request)
    entry = service.get_execution(execution_id)
    rows = service.execution_lineage(execution_id, max_hops=1)
    artifacts = {row.id: ArtifactView.of(row) for row in rows.artifacts}
    return ExecutionDetail(
        execution=ExecutionView.of(entry),
        inputs=[artifacts[e.artifact_id] for e in rows.events if e.type == "INPUT"],
        outputs=[artifacts[e.artifact_id] for e in rows.events if e.type == "OUTPUT"],
        events=[EventView.of(e) for e in rows.events],
    )


@router.get("/contexts", summary="Contexts (pipelines, runs, experiments), filtered and paged")
def list_contexts(
    request: Request,
    filter: str | None = _FILTER,
    order_by: str | None = _ORDER_BY,
    page_size: int = _PAGE_SIZE,
    page_token: str | None = _PAGE_TOKEN,
) -> ContextPage:
    """One page of contexts, with the filter's field names and the count of each type."""
    service = _service(request)
    page = service.list_contexts(filter, order_by, limit=page_size, page_token=page_token)
    return ContextPage(
        contexts=[ContextView.of(row) for row in page.items],
        next_page_token=page.next_page_token,
        filter_fields=service.filter_fields("contexts"),
        facets=service.facets("contexts"),
    )


_MEMBERS = Query(
    200,
    ge=0,
    le=1000,
    description="Artifacts and executions to list, each (the oldest first; at most 1000). "
    'The rest are paged by the lists\' filter in_context("<id>").',
)


@router.get("/contexts/{context_id:int}", summary="One context with its artifacts and executions")
def get_context(request: Request, context_id: ContextId, limit: int = _MEMBERS) -> ContextDetail:
    """The context, the artifacts attributed to it and the executions associated with it
    (the first ``limit`` of each; ``*_truncated`` says there are more: a pipeline's or an
    experiment's context holds every run's)."""
    service = _service(request)
    row = service.get_context(context_id)
    artifacts = service.artifacts_of_context(row.id, limit + 1)
    executions = service.executions_of_context(row.id, limit + 1)
    return ContextDetail(
        context=ContextView.of(row),
        artifacts=[ArtifactView.of(a) for a in artifacts[:limit]],
        executions=[ExecutionView.of(e) for e in executions[:limit]],
        artifacts_truncated=len(artifacts) > limit,
        executions_truncated=len(executions) > limit,
    )


def _graph(
    rows: LineageRows, root: str, direction: Direction, hops: int | None
) -> LineageGraphView:
    return LineageGraphView(
        root=root,
        direction=direction,
        max_hops=hops,
        artifacts=[ArtifactView.of(row) for row in rows.artifacts],
        executions=[ExecutionView.of(entry) for entry in rows.executions],
        events=[EventView.of(event) for event in rows.events],
    )


def _artifact_graph(
    request: Request, artifact_id: int, direction: Direction, hops: int | None
) -> LineageGraphView:
    service = _service(request)
    service.get_artifact(artifact_id)  # a 404, not an empty graph
    rows = service.lineage([artifact_id], direction=direction, max_hops=hops)
    return _graph(rows, f"a{artifact_id}", direction, hops)


def _execution_graph(
    request: Request, execution_id: int, direction: Direction, hops: int | None
) -> LineageGraphView:
    rows = _service(request).execution_lineage(execution_id, direction=direction, max_hops=hops)
    return _graph(rows, f"e{execution_id}", direction, hops)


def _export(graph: LineageGraphView, output: ExportFormat) -> PlainTextResponse:
    render = lineage_export.to_dot if output == "dot" else lineage_export.to_mermaid
    extension = "dot" if output == "dot" else "mmd"
    return PlainTextResponse(
        render(graph, graph.root),
        headers={"Content-Disposition": f'attachment; filename="lineage-{graph.root}.{extension}"'},
    )


@router.get("/artifacts/{artifact_id:int}/lineage", summary="An artifact's lineage subgraph")
def get_artifact_lineage(
    request: Request,
    artifact_id: ArtifactId,
    direction: Direction = _DIRECTION,
    max_hops: int | None = _HOPS,
) -> LineageGraphView:
    """What the artifact was made from (upstream) and what was made from it (downstream),
    hop by hop over INPUT and OUTPUT events (``sluice lineage``)."""
    return _artifact_graph(request, artifact_id, direction, max_hops)


@router.get("/executions/{execution_id:int}/lineage", summary="An execution's lineage subgraph")
def get_execution_lineage(
    request: Request,
    execution_id: ExecutionId,
    direction: Direction = _DIRECTION,
    max_hops: int | None = _HOPS,
) -> LineageGraphView:
    """Upstream from the artifacts the execution took in, downstream from those it put out."""
    return _execution_graph(request, execution_id, direction, max_hops)


@router.get(
    "/artifacts/{artifact_id:int}/lineage:export",
    summary="An artifact's lineage as Graphviz DOT or Mermaid",
    response_class=PlainTextResponse,
)
def export_artifact_lineage(
    request: Request,
    artifact_id: ArtifactId,
    format: ExportFormat = _FORMAT,
    direction: Direction = _DIRECTION,
    max_hops: int | None = _HOPS,
) -> PlainTextResponse:
    """The same graph as ``sluice lineage --format dot|mermaid`` prints."""
    return _export(_artifact_graph(request, artifact_id, direction, max_hops), format)


@router.get(
    "/executions/{execution_id:int}/lineage:export",
    summary="An execution's lineage as Graphviz DOT or Mermaid",
    response_class=PlainTextResponse,
)
def export_execution_lineage(
    request: Request,
    execution_id: ExecutionId,
    format: ExportFormat = _FORMAT,
    direction: Direction = _DIRECTION,
    max_hops: int | None = _HOPS,
) -> PlainTextResponse:
    """An execution's lineage as DOT or Mermaid text."""
    return _export(_execution_graph(request, execution_id, direction, max_hops), format)
