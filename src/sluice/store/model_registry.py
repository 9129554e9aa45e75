"""The Model Registry's rows: versions of registered models, and their ML-metadata artifacts.

A new version is written in one transaction with the ``google.VertexModel`` artifact that
stands for it in ML metadata, and, when a pipeline run produced the files at its
``artifact_uri``, the lineage from that artifact (an upload execution taking the run's
artifact in and putting the model out, both in the run's ``system.PipelineRun`` context).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, TypeVar

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from sluice.errors import AlreadyExistsError, StoreConflictError
from sluice.store.filters_compile import FilterField, FilterTarget
from sluice.store.models import (
    ArtifactRow,
    AssociationRow,
    AttributionRow,
    ContextRow,
    EventRow,
    ExecutionRow,
    utcnow,
)
from sluice.store.registry_models import DeployedModelRow, EndpointRow, RegisteredModelRow
from sluice.store.repository import Store

# A registry row with an ``updated_at`` column (:func:`update_columns`).
_Updatable = TypeVar("_Updatable", RegisteredModelRow, EndpointRow)

DEFAULT_ALIAS = "default"
NUMBER_BASE = 1000
MODEL_SCHEMA = "google.VertexModel"
UPLOAD_SCHEMA = "system.ContainerExecution"

_M = RegisteredModelRow.__table__.c
MODEL_FILTERS = FilterTarget(
    name="models",
    model=RegisteredModelRow,
    fields=MappingProxyType(
        {
            "id": FilterField(_M.id, "integer"),
            "model": FilterField(_M.model_id, "string"),
            "display_name": FilterField(_M.display_name, "string"),
            "description": FilterField(_M.description, "string", True),
            "artifact_uri": FilterField(_M.artifact_uri, "string"),
            "create_time": FilterField(_M.created_at, "timestamp"),
            "update_time": FilterField(_M.updated_at, "timestamp"),
        }
    ),
    json_fields=MappingProxyType({"labels": (_M.labels,)}),
)
"""What ``Model.list(filter=...)`` can name: Vertex's model fields and ``labels.<key>``."""


@dataclass(frozen=True)
class NewVersion:
    """What a new model version is made of (the columns the client chose)."""

    display_name: str
    description: str | None
    version_description: str | None
    artifact_uri: str
    container_spec: Mapping[str, Any]
    labels: Mapping[str, Any]
    aliases: Sequence[str]
    is_default: bool


def _uri_forms(uri: str) -> list[str]:
    # A run records its artifact's uri as its pipeline root made it; the user may pass the
    # same place as file://..., with a trailing slash, or as the bare path.
    bare = uri.rstrip("/")
    forms = {uri, bare, bare + "/"}
    if bare.startswith("file://"):
        forms.add(bare[len("file://") :])
    elif bare.startswith("/"):
        forms.add("file://" + bare)
    return sorted(f for f in forms if f)


def _source_artifact(session: Session, uri: str) -> ArtifactRow | None:
    if not uri:
        return None
    return session.scalar(
        select(ArtifactRow)
        .where(ArtifactRow.uri.in_(_uri_forms(uri)), ArtifactRow.run_id.is_not(None))
        .order_by(ArtifactRow.id.desc())
        .limit(1)
    )


def _run_contexts(session: Session, artifact_id: int) -> list[int]:
    return list(
        session.scalars(
            select(ContextRow.id)
            .join(AttributionRow, AttributionRow.context_id == ContextRow.id)
            .where(
                AttributionRow.artifact_id == artifact_id,
                ContextRow.type == "system.PipelineRun",
            )
        ).all()
    )


def versions(store: Store, location: str, model_id: str) -> list[RegisteredModelRow]:
    """Every version of a model, oldest first (empty: no such model)."""
    with store.session() as session:
        return list(
            session.scalars(
                select(RegisteredModelRow)
                .where(
                    RegisteredModelRow.location == location,
                    RegisteredModelRow.model_id == model_id,
                )
                .order_by(RegisteredModelRow.version_id)
            ).all()
        )


def all_versions(store: Store) -> list[RegisteredModelRow]:
    """Every version of every model in every location, by model then version."""
    with store.session() as session:
        return list(
            session.scalars(
                select(RegisteredModelRow).order_by(
                    RegisteredModelRow.location,
                    RegisteredModelRow.model_id,
                    RegisteredModelRow.version_id,
                )
            ).all()
        )


def add_version(
    store: Store, location: str, model_id: str | None, new: NewVersion, *, parent: bool
) -> RegisteredModelRow:
    """Record a version: the first of a new model, or (``parent``) the next of ``model_id``.

    ``default`` moves to this version when ``new.is_default`` (the first version always
    has it); another alias a version of the model holds already refuses the upload.

    Raises:
        AlreadyExistsError: a new model's id is taken, or an alias is held by another version.
    """
    now = utcnow()
    aliases = [a for a in dict.fromkeys(new.aliases) if a != DEFAULT_ALIAS]
    try:
        with store.session() as session:
            existing = (
                list(
                    session.scalars(
                        select(RegisteredModelRow)
                        .where(
                            RegisteredModelRow.location == location,
                            RegisteredModelRow.model_id == model_id,
                        )
                        .with_for_update()
                    ).all()
                )
                if model_id is not None
                else []
            )
            if existing and not parent:
                raise AlreadyExistsError(
                    f"{location}/models/{model_id} already exists; upload a new version "
                    "with parent_model=, or choose another model_id"
                )
            for row in existing:
                taken = set(aliases) & set(row.version_aliases)
                if taken:
                    raise AlreadyExistsError(
                        f"alias {sorted(taken)[0]!r} is held by version {row.version_id} of "
                        f"model {model_id}; remove it there first (remove_version_aliases)"
                    )
            is_default = new.is_default or not existing
            if is_default:
                for row in existing:
                    if DEFAULT_ALIAS in row.version_aliases:
                        row.version_aliases = [a for a in row.version_aliases if a != DEFAULT_ALIAS]
            version = max((r.version_id for r in existing), default=0) + 1
            row = RegisteredModelRow(
                location=location,
                model_id=model_id or f"new-{now.timestamp()}",
                version_id=version,
                display_name=new.display_name,
                description=new.description,
                version_description=new.version_description,
                artifact_uri=new.artifact_uri,
                container_spec=dict(new.container_spec),
                labels=dict(new.labels),
                version_aliases=([DEFAULT_ALIAS] if is_default else []) + aliases,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.flush()
            if model_id is None:
                row.model_id = numbered(row.id)
            _record_metadata(session, row)
            session.flush()
            session.expunge(row)
    except StoreConflictError as exc:
        raise AlreadyExistsError(f"{location}/models/{model_id} already exists") from exc
    return row


def numbered(row_id: int) -> str:
    """The id of a resource the server names: a number, as Vertex names models and endpoints.

    Never one digit: the SDK refuses an id of one character.
    """
    return str(NUMBER_BASE + row_id)


def resource_name(row: RegisteredModelRow) -> str:
    """``projects/p/locations/l/models/{id}``."""
    return f"{row.location}/models/{row.model_id}"


def _record_metadata(session: Session, row: RegisteredModelRow) -> None:
    region = row.location.rsplit("/", 1)[-1]
    name = resource_name(row)
    artifact = ArtifactRow(
        location=row.location,
        uri=f"https://{region}-aiplatform.googleapis.com/v1/{name}@{row.version_id}",
        name=f"{row.display_name}@{row.version_id}",
        display_name=row.display_name,
        schema_title=MODEL_SCHEMA,
        schema_version="0.0.1",
        metadata_={
            "resourceName": f"{name}@{row.version_id}",
            "artifactUri": row.artifact_uri,
            "versionId": str(row.version_id),
        },
        description=row.description,
        state="LIVE",
        created_at=row.created_at,
        updated_at=row.created_at,
    )
    session.add(artifact)
    session.flush()
    row.artifact_id = artifact.id
    source = _source_artifact(session, row.artifact_uri)
    if source is None:
        return
    row.source_artifact_id = source.id
    execution = ExecutionRow(
        location=row.location,
        run_id=None,
        task_id=None,
        pipeline_name="",
        component_name=f"upload-model-{row.model_id}-{row.version_id}",
        display_name=f"upload-model-{row.model_id}-{row.version_id}",
        type=UPLOAD_SCHEMA,
        attempt=1,
        state="COMPLETE",
        input_parameters={},
        output_parameters={},
        metadata_={"model": f"{name}@{row.version_id}"},
        started_at=row.created_at,
        finished_at=row.created_at,
        updated_at=row.created_at,
    )
    session.add(execution)
    session.flush()
    session.add_all(
        [
            EventRow(artifact_id=source.id, execution_id=execution.id, type="INPUT", name="model"),
            EventRow(
                artifact_id=artifact.id, execution_id=execution.id, type="OUTPUT", name="model"
            ),
        ]
    )
    for context_id in _run_contexts(session, source.id):
        session.add(AttributionRow(context_id=context_id, artifact_id=artifact.id))
        session.add(AssociationRow(context_id=context_id, execution_id=execution.id))


def find(
    store: Store, location: str, model_id: str, version: str | None
) -> RegisteredModelRow | None:
    """A version by number or alias; without one, the ``default`` version."""
    wanted = version or DEFAULT_ALIAS
    for row in versions(store, location, model_id):
        if wanted.isdigit() and row.version_id == int(wanted):
            return row
        if wanted in row.version_aliases:
            return row
    return None


def list_default_versions(
    store: Store,
    location: str,
    condition: ColumnElement[bool] | None,
    order: list[ColumnElement[Any]],
    offset: int,
    limit: int,
) -> list[RegisteredModelRow]:
    """The models of a location as their default versions, filtered and ordered."""
    with store.session() as session:
        query = select(RegisteredModelRow).where(RegisteredModelRow.location == location)
        if condition is not None:
            query = query.where(condition)
        rows = session.scalars(query.order_by(*order)).all()
    defaults = [r for r in rows if DEFAULT_ALIAS in r.version_aliases]
    return defaults[offset : offset + limit]


def update(store: Store, row_id: int, changes: Mapping[str, Any]) -> RegisteredModelRow:
    """Set these columns of a version (``display_name``, ``labels``, ``description``...)."""
    return update_columns(store, RegisteredModelRow, row_id, changes)


def update_columns(
    store: Store, kind: type[_Updatable], row_id: int, changes: Mapping[str, Any]
) -> _Updatable:
    """Set these columns of one registry row (a model version, an endpoint) and its
    ``updated_at``, under a row lock; the row, detached."""
    with store.session() as session:
        row = session.get(kind, row_id, with_for_update=True)
        assert row is not None, row_id
        for key, value in changes.items():
            setattr(row, key, value)
        row.updated_at = utcnow()
        session.flush()
        session.expunge(row)
    return row


def set_aliases(store: Store, location: str, model_id: str, aliases: dict[int, list[str]]) -> None:
    """Replace the aliases of these versions (row id -> aliases), checked by the caller."""
    with store.session() as session:
        for row_id, held in aliases.items():
            row = session.get(RegisteredModelRow, row_id, with_for_update=True)
            assert row is not None and row.model_id == model_id, row_id
            row.version_aliases = held
            row.updated_at = utcnow()


def deployed_versions(store: Store, row_ids: Sequence[int]) -> dict[int, int]:
    """How many deployments each of these versions has (only those with any)."""
    if not row_ids:
        return {}
    with store.session() as session:
        rows = session.execute(
            select(DeployedModelRow.model_row_id, func.count())
            .where(DeployedModelRow.model_row_id.in_(list(row_ids)))
            .group_by(DeployedModelRow.model_row_id)
        ).all()
    return {int(r): int(n) for r, n in rows}


def delete_versions(store: Store, row_ids: Sequence[int]) -> None:
    """Delete these versions (their ML-metadata artifacts stay, as records of what was)."""
    with store.session() as session:
        session.execute(delete(RegisteredModelRow).where(RegisteredModelRow.id.in_(list(row_ids))))
