"""Tasks of a run: find one by id, path or name; its output artifacts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sluice.engine.staging import is_remote
from sluice.errors import InvalidArgumentError, NotFoundError, RunNotFoundError
from sluice.names import safe_component, under
from sluice.spec.placeholders import local_path_for_uri
from sluice.store.models import ArtifactRow, RunRow, TaskRow
from sluice.store.repository import Store
from sluice.store.runs import RunRepository


@dataclass(frozen=True)
class TaskArtifact:
    """An output artifact of a task, the run it is in and the run that produced it.

    ``producer`` differs from ``run`` for a cache hit, which republishes an earlier run's
    artifact; it is None when that run was deleted.
    """

    run: RunRow
    task: TaskRow
    artifact: ArtifactRow
    producer: RunRow | None

    def remote_roots(self) -> list[str]:
        """Where in its object store the artifact may be: the run's (and, for a cache hit,
        the producer's) ``<pipeline root>/<run name>/``; empty for local roots."""
        runs = [self.run] + ([self.producer] if self.producer is not None else [])
        return [
            under(r.pipeline_root, safe_component(r.name)) + "/"
            for r in runs
            if is_remote(r.pipeline_root)
        ]

    def open_remote(self) -> tuple[Any, str, int]:
        """The filesystem, path and size of an artifact in an object store.

        Only an object under :meth:`remote_roots` is opened: a crafted URI cannot make the
        server read elsewhere with its credentials.

        Raises:
            InvalidArgumentError: the URI is not under the roots.
            NotFoundError: there is no such object, or it is a directory.
        """
        import fsspec

        uri = self.artifact.uri
        inside = any(uri.startswith(root) for root in self.remote_roots())
        if not inside or "/../" in uri or uri.endswith("/.."):
            raise InvalidArgumentError("artifact is outside the run's artifact root")
        fs, path = fsspec.core.url_to_fs(uri)
        try:
            info = fs.info(path)
        except FileNotFoundError as exc:
            raise NotFoundError(f"artifact {uri} is not in its store") from exc
        if info.get("type") == "directory":
            raise NotFoundError("artifact is a directory; read its files from the store")
        return fs, path, int(info.get("size") or 0)

    def roots(self, home: Path) -> list[Path]:
        """Where on this machine the artifact's file may be: the output roots of ``run``
        and, for a cache hit, of ``producer`` (resolved; ``home`` is Sluice's home)."""
        roots = [run_artifact_root(self.run, home)]
        if self.producer is not None and self.producer.id != self.run.id:
            roots.append(run_artifact_root(self.producer, home))
        return roots


def run_artifact_root(run: RunRow, home: Path) -> Path:
    """Where a run's output artifacts are on this machine (resolved)."""
    if is_remote(run.pipeline_root):
        # Remote roots are staged here before upload (engine/context.py).
        return (home / "staging" / run.id).resolve()
    root = Path(local_path_for_uri(run.pipeline_root.rstrip("/")))
    return (root / safe_component(run.name)).resolve()


class TaskService:
    """Tasks of the runs in one store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.runs = RunRepository(store)

    def run(self, run_id: str) -> RunRow:
        """The run with exactly this id.

        Raises:
            RunNotFoundError: there is none.
        """
        row = self.runs.get(run_id)
        if row is None:
            raise RunNotFoundError(f"no run '{run_id}'")
        return row

    def find(self, run_id: str, node_id: str) -> TaskRow:
        """The task of a run with this id, else this path, else this name (if unique).

        Raises:
            RunNotFoundError: the run has no such task.
        """
        tasks = self.store.tasks_of_run(run_id)
        for match in (
            [t for t in tasks if t.id == node_id],
            [t for t in tasks if t.path == node_id],
            [t for t in tasks if t.name == node_id],
        ):
            if len(match) == 1:
                return match[0]
        raise RunNotFoundError(f"run '{run_id}' has no task '{node_id}'")

    def output_artifact(self, run_id: str, node_id: str, name: str) -> TaskArtifact:
        """The output artifact ``name`` of a task (the first, for a list of them).

        Raises:
            RunNotFoundError: no such run or task.
            NotFoundError: the task has no such output, or its artifact was deleted.
        """
        run = self.run(run_id)
        task = self.find(run_id, node_id)
        ids = ((task.outputs or {}).get("artifacts") or {}).get(name)
        if not ids:
            raise NotFoundError(f"task '{task.name}' has no output artifact '{name}'")
        artifact_id = int(ids[0] if isinstance(ids, list) else ids)
        artifact = self.store.get_artifacts([artifact_id]).get(artifact_id)
        if artifact is None:
            raise NotFoundError(f"artifact '{name}' is no longer in the store")
        producer = self.runs.get(artifact.run_id) if artifact.run_id else None
        return TaskArtifact(run, task, artifact, producer)
