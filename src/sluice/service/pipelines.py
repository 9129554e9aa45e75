"""Pipelines and versions: create, get (by id or name), list, delete; the latest version."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from sluice.errors import NotFoundError
from sluice.spec.loader import LoadedPipeline, load_pipeline
from sluice.store.listing import ListQuery, Page
from sluice.store.models import PipelineRow, PipelineVersionRow
from sluice.store.pipelines import LIST_KEYS, VERSION_LIST_KEYS, PipelineRepository
from sluice.store.repository import Store, new_id

__all__ = [
    "LIST_KEYS",
    "VERSION_LIST_KEYS",
    "NewPipeline",
    "NewVersion",
    "PipelineService",
    "RunSource",
]


@dataclass(frozen=True, kw_only=True)
class NewPipeline:
    """A pipeline to create: names and tags checked by the interface that received it."""

    name: str
    display_name: str | None = None
    description: str | None = None
    namespace: str = ""
    tags: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class NewVersion:
    """A version to create: its checked name and its stored (two-document) spec."""

    name: str
    pipeline_spec: dict[str, Any]
    display_name: str | None = None
    description: str | None = None
    code_source_url: str | None = None
    tags: dict[str, Any] = field(default_factory=dict)


# A version's spec never changes once it is stored (versions are created and deleted, never
# updated), so the pipeline it holds, parsed strictly, is kept per version: every run from
# a version would otherwise parse the same spec again (json_format.ParseDict, about 0.1 ms
# per KB of spec). Each run still checks the pipeline and its arguments.
_LOADED_VERSIONS: OrderedDict[tuple[str, str], LoadedPipeline] = OrderedDict()
_LOADED_VERSIONS_MAX = 64
_LOADED_LOCK = threading.Lock()


@dataclass(frozen=True, kw_only=True)
class RunSource:
    """The pipeline a run from a stored version runs, loaded, with the version's ids."""

    pipeline: LoadedPipeline
    pipeline_id: str
    version_id: str


class PipelineService:
    """Pipelines and their versions in one store."""

    def __init__(self, store: Store) -> None:
        self.repo = PipelineRepository(store)
        self._url = store.url

    # -- pipelines ----------------------------------------------------------------------------

    def create(
        self, pipeline: NewPipeline, first_version: NewVersion | None = None
    ) -> tuple[PipelineRow, PipelineVersionRow | None]:
        """Create a pipeline and (optionally) its first version, both or neither.

        Raises:
            AlreadyExistsError: the namespace has a pipeline of that name.
        """
        row = PipelineRow(
            id=new_id(),
            name=pipeline.name,
            display_name=pipeline.display_name or pipeline.name,
            description=pipeline.description or None,
            namespace=pipeline.namespace,
            tags=dict(pipeline.tags),
        )
        version = self._version_row(row.id, first_version) if first_version else None
        self.repo.add(row, version)
        return row, version

    def get(self, pipeline_id: str) -> PipelineRow:
        """The pipeline with this id.

        Raises:
            NotFoundError: there is none.
        """
        row = self.repo.get(pipeline_id)
        if row is None:
            raise NotFoundError(f"no pipeline '{pipeline_id}'")
        return row

    def get_by_name(self, name: str, namespace: str = "") -> PipelineRow:
        """The pipeline with this name in the namespace.

        Raises:
            NotFoundError: there is none.
        """
        row = self.repo.named(namespace, name)
        if row is None:
            raise NotFoundError(f"no pipeline named '{name}'")
        return row

    def list(self, query: ListQuery, *, namespace: str | None = None) -> Page[PipelineRow]:
        """One page of pipelines (of one namespace, if given)."""
        return self.repo.page(query, namespace=namespace)

    def delete(self, pipeline_id: str, *, cascade: bool = False) -> None:
        """Delete a pipeline; with its versions only when ``cascade`` (as KFP).

        Raises:
            NotFoundError: no such pipeline.
            FailedPreconditionError: it has versions and ``cascade`` is false.
        """
        self.get(pipeline_id)
        self.repo.delete(pipeline_id, cascade=cascade)

    # -- versions -----------------------------------------------------------------------------

    @staticmethod
    def _version_row(pipeline_id: str, version: NewVersion) -> PipelineVersionRow:
        return PipelineVersionRow(
            id=new_id(),
            pipeline_id=pipeline_id,
            name=version.name,
            display_name=version.display_name or version.name,
            description=version.description or None,
            pipeline_spec=version.pipeline_spec,
            code_source_url=version.code_source_url,
            tags=dict(version.tags),
        )

    def create_version(self, pipeline_id: str, version: NewVersion) -> PipelineVersionRow:
        """Add a version to a pipeline.

        Raises:
            NotFoundError: no such pipeline.
            AlreadyExistsError: it has a version of that name.
        """
        self.get(pipeline_id)
        row = self._version_row(pipeline_id, version)
        self.repo.add_version(row)
        return row

    def get_version(self, pipeline_id: str, version_id: str) -> PipelineVersionRow:
        """The version of this pipeline (of any pipeline when ``pipeline_id`` is empty).

        Raises:
            NotFoundError: there is none.
        """
        row = self.repo.get_version(version_id)
        if row is None or (pipeline_id and row.pipeline_id != pipeline_id):
            raise NotFoundError(f"no version '{version_id}' of pipeline '{pipeline_id}'")
        return row

    def latest_version(self, pipeline_id: str) -> PipelineVersionRow:
        """The newest version of a pipeline.

        Raises:
            NotFoundError: it has none (or there is no such pipeline).
        """
        row = self.repo.latest_version(pipeline_id)
        if row is None:
            raise NotFoundError(f"pipeline '{pipeline_id}' has no versions")
        return row

    def list_versions(self, pipeline_id: str, query: ListQuery) -> Page[PipelineVersionRow]:
        """One page of a pipeline's versions.

        Raises:
            NotFoundError: no such pipeline.
        """
        self.get(pipeline_id)
        return self.repo.list_versions(pipeline_id, query)

    def delete_version(self, pipeline_id: str, version_id: str) -> None:
        """Delete a version (runs made from it keep their own copy of the spec).

        Raises:
            NotFoundError: no such version of this pipeline.
        """
        self.get_version(pipeline_id, version_id)
        self.repo.delete_version(version_id)

    def run_source(self, pipeline_id: str | None, version_id: str | None) -> RunSource | None:
        """What :meth:`source_of` names, with its pipeline loaded (kept per version).

        None when neither id is given.

        Raises:
            NotFoundError: the version or the pipeline's latest version does not exist.
            InvalidPipelineError: the stored spec does not load.
        """
        if version_id:
            ref = self.repo.version_ref(version_id)
            if ref is None or (pipeline_id and ref[1] != pipeline_id):
                raise NotFoundError(f"no version '{version_id}' of pipeline '{pipeline_id or ''}'")
        elif pipeline_id:
            ref = self.repo.latest_version_ref(pipeline_id)
            if ref is None:
                raise NotFoundError(f"pipeline '{pipeline_id}' has no versions")
        else:
            return None
        return RunSource(pipeline=self._loaded(ref[0]), pipeline_id=ref[1], version_id=ref[0])

    def _loaded(self, version_id: str) -> LoadedPipeline:
        key = (self._url, version_id)
        with _LOADED_LOCK:
            loaded = _LOADED_VERSIONS.get(key)
            if loaded is not None:
                _LOADED_VERSIONS.move_to_end(key)
                return loaded
        row = self.repo.get_version(version_id)
        if row is None:  # deleted since its ids were read
            raise NotFoundError(f"no version '{version_id}'")
        loaded = load_pipeline(row.pipeline_spec)
        with _LOADED_LOCK:
            _LOADED_VERSIONS[key] = loaded
            while len(_LOADED_VERSIONS) > _LOADED_VERSIONS_MAX:
                _LOADED_VERSIONS.popitem(last=False)
        return loaded

    def source_of(
        self, pipeline_id: str | None, version_id: str | None
    ) -> PipelineVersionRow | None:
        """The version a run or recurring run names: ``version_id``, else the latest.

        None when neither id is given.

        Raises:
            NotFoundError: the version or the pipeline's latest version does not exist.
        """
        if version_id:
            return self.get_version(pipeline_id or "", version_id)
        if pipeline_id:
            return self.latest_version(pipeline_id)
        return None
