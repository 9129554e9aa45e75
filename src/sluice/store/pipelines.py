"""Pipelines and their versions (KFP's): a named pipeline holds compiled specs."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, bindparam, func, select

from sluice.errors import AlreadyExistsError, FailedPreconditionError, StoreConflictError
from sluice.store.listing import ListQuery, Page, list_page
from sluice.store.models import PipelineRow, PipelineVersionRow
from sluice.store.repository import Store

COLUMNS = {
    "pipeline_id": PipelineRow.id,
    "id": PipelineRow.id,
    "display_name": PipelineRow.display_name,
    "name": PipelineRow.name,
    "created_at": PipelineRow.created_at,
    "description": PipelineRow.description,
    "namespace": PipelineRow.namespace,
}
VERSION_COLUMNS = {
    "pipeline_version_id": PipelineVersionRow.id,
    "id": PipelineVersionRow.id,
    "display_name": PipelineVersionRow.display_name,
    "name": PipelineVersionRow.name,
    "created_at": PipelineVersionRow.created_at,
    "description": PipelineVersionRow.description,
}
LIST_KEYS = frozenset(COLUMNS)
VERSION_LIST_KEYS = frozenset(VERSION_COLUMNS)

# A run from a version names it on every create; these read only its ids (Core, built
# once), not the spec, whose JSON a loaded-pipeline cache makes needless to decode.
_VERSIONS = cast(Table, PipelineVersionRow.__table__)
_VERSION_REF = select(_VERSIONS.c.id, _VERSIONS.c.pipeline_id).where(
    _VERSIONS.c.id == bindparam("ref_version_id")
)
_LATEST_REF = (
    select(_VERSIONS.c.id, _VERSIONS.c.pipeline_id)
    .where(_VERSIONS.c.pipeline_id == bindparam("ref_pipeline_id"))
    .order_by(_VERSIONS.c.created_at.desc(), _VERSIONS.c.id.desc())
    .limit(1)
)


class PipelineRepository:
    """Reads and writes of the ``pipelines`` and ``pipeline_versions`` tables."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- pipelines ----------------------------------------------------------------------------

    def add(self, pipeline: PipelineRow, version: PipelineVersionRow | None = None) -> None:
        """Insert a pipeline and, in the same transaction, its first version.

        Raises:
            AlreadyExistsError: the namespace has a pipeline of that name.
        """
        try:
            with self.store.session() as session:
                session.add(pipeline)
                session.flush()  # the version's foreign key needs the pipeline first
                if version is not None:
                    session.add(version)
        except StoreConflictError as exc:
            raise AlreadyExistsError(f"a pipeline named '{pipeline.name}' already exists") from exc

    def get(self, pipeline_id: str) -> PipelineRow | None:
        """The pipeline with this id, or None."""
        with self.store.session() as session:
            return session.get(PipelineRow, pipeline_id)

    def named(self, namespace: str, name: str) -> PipelineRow | None:
        """The pipeline of this name in the namespace, or None."""
        with self.store.session() as session:
            return session.scalar(
                select(PipelineRow).where(
                    PipelineRow.name == name, PipelineRow.namespace == namespace
                )
            )

    def page(self, query: ListQuery, *, namespace: str | None = None) -> Page[PipelineRow]:
        """One page of pipelines (of one namespace, if given)."""
        where = [PipelineRow.namespace == namespace] if namespace else []
        return list_page(
            self.store, PipelineRow, COLUMNS, query, tiebreak=PipelineRow.id, where=where
        )

    def delete(self, pipeline_id: str, *, cascade: bool) -> None:
        """Delete a pipeline; its versions too when ``cascade``, in one transaction.

        Raises:
            FailedPreconditionError: it has versions and ``cascade`` is false.
        """
        with self.store.session() as session:
            versions = list(
                session.scalars(
                    select(PipelineVersionRow).where(PipelineVersionRow.pipeline_id == pipeline_id)
                )
            )
            if versions and not cascade:
                raise FailedPreconditionError(
                    f"pipeline '{pipeline_id}' has {len(versions)} version(s); delete them "
                    "first or pass cascade=true"
                )
            for version in versions:
                session.delete(version)
            row = session.get(PipelineRow, pipeline_id)
            if row is not None:
                session.delete(row)

    # -- versions -----------------------------------------------------------------------------

    def add_version(self, version: PipelineVersionRow) -> None:
        """Insert a version.

        Raises:
            AlreadyExistsError: the pipeline has a version of that name.
        """
        try:
            with self.store.session() as session:
                session.add(version)
        except StoreConflictError as exc:
            raise AlreadyExistsError(
                f"the pipeline already has a version named '{version.name}'"
            ) from exc

    def get_version(self, version_id: str) -> PipelineVersionRow | None:
        """The version with this id, or None."""
        with self.store.session() as session:
            return session.get(PipelineVersionRow, version_id)

    def version_ref(self, version_id: str) -> tuple[str, str] | None:
        """The (id, pipeline id) of the version with this id, or None; no spec is read."""
        with self.store.engine.connect() as connection:
            found = connection.execute(_VERSION_REF, {"ref_version_id": version_id}).first()
        return None if found is None else (str(found[0]), str(found[1]))

    def latest_version_ref(self, pipeline_id: str) -> tuple[str, str] | None:
        """The (id, pipeline id) of a pipeline's newest version, or None; no spec is read."""
        with self.store.engine.connect() as connection:
            found = connection.execute(_LATEST_REF, {"ref_pipeline_id": pipeline_id}).first()
        return None if found is None else (str(found[0]), str(found[1]))

    def latest_version(self, pipeline_id: str) -> PipelineVersionRow | None:
        """The newest version of a pipeline (the id breaking ties), or None."""
        with self.store.session() as session:
            return session.scalar(
                select(PipelineVersionRow)
                .where(PipelineVersionRow.pipeline_id == pipeline_id)
                .order_by(PipelineVersionRow.created_at.desc(), PipelineVersionRow.id.desc())
                .limit(1)
            )

    def version_count(self, pipeline_id: str) -> int:
        """How many versions a pipeline has."""
        with self.store.session() as session:
            count = session.scalar(
                select(func.count())
                .select_from(PipelineVersionRow)
                .where(PipelineVersionRow.pipeline_id == pipeline_id)
            )
        return int(count or 0)

    def list_versions(self, pipeline_id: str, query: ListQuery) -> Page[PipelineVersionRow]:
        """One page of a pipeline's versions."""
        return list_page(
            self.store,
            PipelineVersionRow,
            VERSION_COLUMNS,
            query,
            tiebreak=PipelineVersionRow.id,
            where=[PipelineVersionRow.pipeline_id == pipeline_id],
        )

    def delete_version(self, version_id: str) -> None:
        """Delete a version (runs made from it keep their own copy of the spec)."""
        with self.store.session() as session:
            row = session.get(PipelineVersionRow, version_id)
            if row is not None:
                session.delete(row)
