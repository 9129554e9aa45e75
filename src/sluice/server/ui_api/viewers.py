"""N7 and N8: an artifact's content and preview for the viewers, and runs compared.

Only files inside the artifact root of the run that made the artifact are read (the same
check as KFP's ``:read``, ``sluice.server.routers.artifacts``). Content is always sent as an
attachment with ``nosniff`` and a sandbox CSP, so an HTML artifact opened from its URL can
never run as this origin; the UI shows HTML in a sandboxed iframe instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

from sluice.server.auth import require_token
from sluice.server.config import state_of
from sluice.server.errors import bad_request, not_found
from sluice.server.routers.artifacts import resolve_in_roots
from sluice.server.serialize import precise_ts
from sluice.server.ui_api.viewer_shapes import (
    ArtifactPreview,
    ComparedRunView,
    CompareRow,
    Comparison,
    DirectoryEntryView,
    VisualArtifactView,
)
from sluice.service.artifact_preview import (
    MAX_ROWS,
    artifact_with_roots,
    content_type_of,
    json_safe,
    preview,
)
from sluice.service.compare import (
    MAX_RUNS,
    compare_runs,
    compared_run,
    unique_ids,
    visual_artifacts,
)
from sluice.service.local_runs import LocalRunService
from sluice.store.models import ArtifactRow

router = APIRouter(tags=["ui"], dependencies=[Depends(require_token)])

# Artifact ids are INTEGER columns (32-bit on PostgreSQL): a larger id names no artifact
# and must be a 400 here, not a driver overflow.
ArtifactId = Annotated[int, PathParam(ge=1, le=2**31 - 1, description="The artifact's id.")]

_CONTENT_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"}


def _located(request: Request, artifact_id: int) -> tuple[ArtifactRow, Path]:
    server = state_of(request)
    artifact, roots = artifact_with_roots(server.store, artifact_id, server.config.settings.home)
    return artifact, resolve_in_roots(artifact.uri, roots)


@router.get(
    "/artifacts/{artifact_id}:content",
    summary="An artifact's bytes",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}, 206: {"description": "A range"}},
)
def get_artifact_content(artifact_id: ArtifactId, request: Request) -> FileResponse:
    """The artifact's file as a download (``Range`` requests answer 206), with the media
    type its name suggests."""
    artifact, path = _located(request, artifact_id)
    if path.is_dir():
        raise bad_request("the artifact is a directory; GET its :preview to list its files")
    if not path.is_file():
        raise not_found("the artifact has no file yet (not written, or deleted)")
    filename = path.name if path.suffix else (artifact.name or path.name)
    return FileResponse(
        path, media_type=content_type_of(path), filename=filename, headers=_CONTENT_HEADERS
    )


@router.get("/artifacts/{artifact_id}:preview", summary="The head of an artifact's content")
def get_artifact_preview(
    artifact_id: ArtifactId,
    request: Request,
    rows: int = Query(100, ge=1, le=MAX_ROWS, description="Table rows to read at most."),
) -> ArtifactPreview:
    """A table (CSV, TSV, JSON lines, Parquet with pyarrow), an image, text, a directory's
    files, or the size of a binary file; only the head is read."""
    artifact, path = _located(request, artifact_id)
    shown = preview(path, rows=rows, schema_title=artifact.schema_title)
    return ArtifactPreview(
        artifact_id=artifact.id,
        name=artifact.name,
        schema_title=artifact.schema_title,
        uri=artifact.uri,
        metadata=json_safe(dict(artifact.metadata_ or {})),
        kind=shown.kind,
        content_type=shown.content_type,
        size=shown.size,
        columns=shown.columns,
        column_types=shown.column_types,  # type: ignore[arg-type]
        rows=shown.rows,
        text=shown.text,
        entries=[
            DirectoryEntryView(path=e.path, size=e.size, is_dir=e.is_dir) for e in shown.entries
        ],
        truncated=shown.truncated,
        note=shown.note,
    )


def _rows(section: dict[str, Any]) -> list[CompareRow]:
    return [
        CompareRow(name=name, values=json_safe(row["values"]), differs=row["differs"])
        for name, row in section.items()
    ]


@router.get("/compare", summary="Runs side by side")
def get_comparison(
    request: Request,
    run_ids: str = Query(
        ...,
        max_length=MAX_RUNS * 64,
        description=f"Comma-separated run ids (1 to {MAX_RUNS}), in the columns' order.",
    ),
) -> Comparison:
    """Parameters, scalar metrics and outputs of the runs with ``differs`` flags (what
    ``sluice compare`` computes), and their metrics, classification, HTML and Markdown
    artifacts for the viewers."""
    ids = unique_ids(run_ids.split(","))
    if not ids:
        raise bad_request("run_ids: name at least one run id, e.g. run_ids=ID1,ID2")
    if len(ids) > MAX_RUNS:
        raise bad_request(f"run_ids: at most {MAX_RUNS} runs can be compared, got {len(ids)}")
    server = state_of(request)
    service = LocalRunService(server.store, server.config.settings)
    records = [service.get(run_id) for run_id in ids]
    runs = [compared_run(record) for record in records]
    data = compare_runs(runs)
    return Comparison(
        runs=[
            ComparedRunView(
                run_id=record.run.id,
                display_name=record.run.display_name or record.run.name,
                pipeline_name=record.run.pipeline_name,
                state=record.run.state,
                created_at=precise_ts(record.run.created_at),
            )
            for record in records
        ],
        parameters=_rows(data["parameters"]),
        metrics=_rows(data["metrics"]),
        outputs=_rows(data["outputs"]),
        artifacts=[
            VisualArtifactView(
                run_id=visual.run_id,
                key=visual.key,
                task_path=visual.task_path,
                output=visual.output,
                artifact_id=visual.artifact.id,
                name=visual.artifact.name,
                schema_title=visual.artifact.schema_title,
                uri=visual.artifact.uri,
                metadata=json_safe(visual.artifact.metadata),
            )
            for run in runs
            for visual in visual_artifacts(run)
        ],
    )
