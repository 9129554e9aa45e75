"""``/runs/{run_id}/nodes/{node_id}/artifacts/{artifact_name}:read``: an artifact's bytes.

Only files under the artifact root of the run that produced the artifact are ever read:
paths are resolved (symlinks followed) and must stay inside that root, so a crafted
artifact uri or a symlink written by a component cannot expose other files.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request

from sluice.errors import InvalidArgumentError, NotFoundError, UserInputError
from sluice.objectstore import is_remote
from sluice.server.auth import require_token
from sluice.server.config import state_of
from sluice.server.errors import ApiError, bad_request, not_found
from sluice.service.tasks import TaskArtifact, TaskService
from sluice.spec.placeholders import local_path_for_uri

router = APIRouter(tags=["artifacts"], dependencies=[Depends(require_token)])

MAX_READ_BYTES = 32 * 1024 * 1024


def safe_artifact_path(uri: str, roots: list[Path]) -> Path:
    """The local file of ``uri`` if it lies inside one of ``roots``; 400/404 otherwise."""
    resolved = resolve_in_roots(uri, roots)
    if not resolved.is_file():
        raise not_found("artifact file not found (it may be a directory or not yet written)")
    return resolved


def resolve_in_roots(uri: str, roots: list[Path]) -> Path:
    """The local path of ``uri`` (resolved, file, directory or not there yet) if it lies
    inside one of ``roots``; 400 otherwise."""
    try:
        local = local_path_for_uri(uri)
    except UserInputError as exc:
        raise bad_request(f"artifact uri {uri!r} is not a local file") from exc
    candidate = Path(local)
    if not candidate.is_absolute() or ".." in candidate.parts:
        raise bad_request("artifact path is not a plain absolute path")
    resolved = candidate.resolve()  # follows symlinks: a link out of the root is caught below
    if not any(resolved.is_relative_to(root) for root in roots):
        raise bad_request("artifact is outside the run's artifact root")
    return resolved


@router.get("/runs/{run_id}/nodes/{node_id}/artifacts/{artifact_name}:read")
def read_artifact(
    run_id: str, node_id: str, artifact_name: str, request: Request
) -> dict[str, Any]:
    """The content (base64 ``data``) of a task's output artifact file."""
    state = state_of(request)
    found = TaskService(state.store).output_artifact(run_id, node_id, artifact_name)
    if is_remote(found.artifact.uri):
        return {"data": base64.b64encode(_read_remote(found)).decode()}
    # A cache hit republishes an earlier run's artifact: that run's root is allowed too.
    path = safe_artifact_path(found.artifact.uri, found.roots(state.config.settings.home))
    if path.stat().st_size > MAX_READ_BYTES:
        raise ApiError(413, f"artifact is larger than {MAX_READ_BYTES} bytes; read it from {path}")
    return {"data": base64.b64encode(path.read_bytes()).decode()}


def _read_remote(found: TaskArtifact) -> bytes:
    """An artifact under an object-store root, read from the store (in bounded reads)."""
    try:
        fs, path, size = found.open_remote()
    except InvalidArgumentError as exc:
        raise bad_request(str(exc)) from exc
    except NotFoundError as exc:
        raise not_found(str(exc)) from exc
    if size > MAX_READ_BYTES:
        raise ApiError(
            413,
            f"artifact is larger than {MAX_READ_BYTES} bytes; read it from {found.artifact.uri}",
        )
    with fs.open(path, "rb") as source:
        return bytes(source.read(MAX_READ_BYTES + 1)[:MAX_READ_BYTES])
