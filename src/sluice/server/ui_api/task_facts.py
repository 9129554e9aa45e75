"""What the task panel shows beside a task's stored values: each parameter's declared type
(from the component's definitions in the run's spec) and each artifact file's size.

A value alone does not say its type (JSON has one number type, so an int and a float that
happens to be whole look alike); the spec does.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sluice.server.errors import ApiError
from sluice.server.routers.artifacts import resolve_in_roots
from sluice.service.tasks import run_artifact_root
from sluice.store.models import ArtifactRow, RunRow


def parameter_types(run: RunRow, component: str) -> tuple[dict[str, str], dict[str, str]]:
    """The declared types (``NUMBER_INTEGER``, ``NUMBER_DOUBLE``, ``BOOLEAN``, ``STRING``,
    ``LIST``, ``STRUCT``) of the component's input and output parameters, by name."""
    stored = run.pipeline_spec or {}
    spec = stored.get("pipeline_spec", stored)
    components = spec.get("components") if isinstance(spec, dict) else None
    definition = components.get(component) if isinstance(components, dict) else None
    if not isinstance(definition, dict):
        return {}, {}
    return (
        _types(definition.get("inputDefinitions")),
        _types(definition.get("outputDefinitions")),
    )


def _types(definitions: Any) -> dict[str, str]:
    parameters = definitions.get("parameters") if isinstance(definitions, dict) else None
    if not isinstance(parameters, dict):
        return {}
    return {
        str(name): str(spec["parameterType"])
        for name, spec in parameters.items()
        if isinstance(spec, dict) and isinstance(spec.get("parameterType"), str)
    }


def artifact_sizes(
    get_run: Callable[[str], RunRow | None], artifacts: list[ArtifactRow], home: Path
) -> dict[int, int]:
    """The size in bytes of each artifact that is a local file inside the artifact root of
    the run that made it (the same check as the content endpoint); directories, remote
    URIs, files not written yet and paths outside the root have none. ``get_run`` reads a
    run's row (the server's store, which an interface does not import)."""
    roots: dict[str, Path | None] = {}
    sizes: dict[int, int] = {}
    for artifact in artifacts:
        run_id = artifact.run_id
        if not run_id:
            continue
        if run_id not in roots:
            run = get_run(run_id)
            roots[run_id] = run_artifact_root(run, home) if run is not None else None
        root = roots[run_id]
        if root is None:
            continue
        try:
            path = resolve_in_roots(artifact.uri, [root])
        except ApiError:  # remote, or outside the root (an imported file): no size to tell
            continue
        if path.is_file():
            sizes[artifact.id] = path.stat().st_size
    return sizes
