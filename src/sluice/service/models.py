"""The Model Registry: versions of registered models, their aliases, labels and deletion.

A model is named ``projects/p/locations/l/models/{id}``; each upload makes a version
(``{id}@1``, ``{id}@2``...) and the ``default`` alias names the one a bare ``{id}``
means. Every version is also a ``google.VertexModel`` artifact in ML metadata, with lineage
to the pipeline run that produced its files (:mod:`sluice.store.model_registry`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sluice.errors import FailedPreconditionError, InvalidArgumentError, NotFoundError
from sluice.store import endpoints as endpoint_rows
from sluice.store import model_registry as registry
from sluice.store.endpoints import Deployment
from sluice.store.filters import compile_filter, compile_order_by
from sluice.store.model_registry import DEFAULT_ALIAS, NewVersion
from sluice.store.registry_models import RegisteredModelRow
from sluice.store.repository import Store

__all__ = ["Deployment", "ModelService", "NewVersion", "split_name"]

_ALIAS = re.compile(r"^[a-z][a-z0-9-]{0,126}[a-z0-9]$|^[a-z]$")
_MODEL_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_UPDATABLE = {
    "displayName": "display_name",
    "description": "description",
    "versionDescription": "version_description",
    "labels": "labels",
}


def split_name(name: str) -> tuple[str, str | None]:
    """``{id}`` or ``{id}@{version or alias}`` (or a full resource name) -> (id, version)."""
    tail = name.rsplit("/models/", 1)[-1]
    model_id, _, version = tail.partition("@")
    return model_id, version or None


def _check_aliases(aliases: Sequence[str]) -> None:
    for alias in aliases:
        if alias.isdigit() or not _ALIAS.match(alias):
            raise InvalidArgumentError(
                f"version alias {alias!r} is invalid: use lowercase letters, digits and '-', "
                "starting with a letter (not a version number)"
            )


@dataclass(frozen=True)
class ModelPage:
    """One page of ``Model.list``."""

    models: list[RegisteredModelRow]
    next_offset: int | None


class ModelService:
    """The registered models of one store, seen from one location at a time."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def upload(
        self,
        location: str,
        new: NewVersion,
        *,
        model_id: str | None = None,
        parent_model: str | None = None,
    ) -> RegisteredModelRow:
        """Register a model (its version 1), or a new version of ``parent_model``.

        Raises:
            InvalidArgumentError: no display name, a bad id or alias.
            NotFoundError: ``parent_model`` does not exist.
            AlreadyExistsError: ``model_id`` is taken, or an alias is held by another version.
        """
        if not new.display_name:
            raise InvalidArgumentError("a model needs a display_name")
        _check_aliases([a for a in new.aliases if a != DEFAULT_ALIAS])
        if parent_model:
            parent_id, _ = split_name(parent_model)
            if not registry.versions(self.store, location, parent_id):
                raise NotFoundError(
                    f"parent_model {location}/models/{parent_id} does not exist; upload it "
                    "first, or leave parent_model out to register a new model"
                )
            return registry.add_version(self.store, location, parent_id, new, parent=True)
        if model_id is not None and not _MODEL_ID.match(model_id):
            raise InvalidArgumentError(
                f"model_id {model_id!r} is invalid: 1-63 of lowercase letters, digits and '-'"
            )
        return registry.add_version(self.store, location, model_id, new, parent=False)

    def deployments(self, row: RegisteredModelRow | None = None) -> list[Deployment]:
        """Where a version (or every version) is deployed, oldest first."""
        found = endpoint_rows.deployments(self.store)
        return found if row is None else [d for d in found if d.model.id == row.id]

    def everywhere(self) -> list[RegisteredModelRow]:
        """Every version of every model in every location (``sluice models list``)."""
        return registry.all_versions(self.store)

    def get(self, location: str, name: str) -> RegisteredModelRow:
        """A version by ``{id}``, ``{id}@{version}`` or ``{id}@{alias}``.

        Raises:
            NotFoundError: no such model or version.
        """
        model_id, version = split_name(name)
        row = registry.find(self.store, location, model_id, version)
        if row is None:
            what = f"{model_id}@{version}" if version else model_id
            raise NotFoundError(f"model {location}/models/{what} does not exist")
        return row

    def versions(self, location: str, name: str) -> list[RegisteredModelRow]:
        """Every version of the model, oldest first.

        Raises:
            NotFoundError: no such model.
        """
        model_id, _ = split_name(name)
        rows = registry.versions(self.store, location, model_id)
        if not rows:
            raise NotFoundError(f"model {location}/models/{model_id} does not exist")
        return rows

    def list_models(
        self,
        location: str,
        *,
        filter_text: str | None = None,
        order_by: str | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> ModelPage:
        """A page of the location's models (their default versions).

        Raises:
            InvalidFilterError: a malformed filter or order.
        """
        condition = compile_filter(filter_text, registry.MODEL_FILTERS)
        order = compile_order_by(order_by, registry.MODEL_FILTERS)
        rows = registry.list_default_versions(
            self.store, location, condition, order, offset, limit + 1
        )
        more = len(rows) > limit
        return ModelPage(rows[:limit], offset + limit if more else None)

    def update(
        self, location: str, name: str, fields: Mapping[str, Any], mask: Sequence[str] | None
    ) -> RegisteredModelRow:
        """Set the fields the mask names (all of ``fields`` the API lets change without one).

        Raises:
            InvalidArgumentError: the mask names a field that cannot change.
        """
        row = self.get(location, name)
        paths = list(mask) if mask else [k for k in _UPDATABLE if k in fields]
        changes: dict[str, Any] = {}
        for path in paths:
            column = _UPDATABLE.get(path) or _UPDATABLE.get(_camel(path))
            if column is None:
                raise InvalidArgumentError(
                    f"updateMask names {path!r}; a model's {', '.join(_UPDATABLE)} can change"
                )
            value = fields.get(_camel(path))
            changes[column] = dict(value or {}) if column == "labels" else value
        return registry.update(self.store, row.id, changes) if changes else row

    def merge_aliases(self, location: str, name: str, aliases: Sequence[str]) -> RegisteredModelRow:
        """Add (``a``) or remove (``-a``) aliases of a version; an added alias moves to it.

        Raises:
            InvalidArgumentError: a bad alias, or removing ``default`` (give it to another
                version instead).
        """
        row = self.get(location, name)
        add = [a for a in aliases if not a.startswith("-")]
        remove = {a[1:] for a in aliases if a.startswith("-")}
        _check_aliases([a for a in [*add, *remove] if a != DEFAULT_ALIAS])
        if DEFAULT_ALIAS in remove:
            raise InvalidArgumentError(
                "the default alias cannot be removed; add it to another version to move it"
            )
        held: dict[int, list[str]] = {}
        for other in registry.versions(self.store, location, row.model_id):
            current = list(other.version_aliases)
            if other.id == row.id:
                current = [a for a in current if a not in remove]
                current += [a for a in add if a not in current]
            else:
                current = [a for a in current if a not in add]
            if current != other.version_aliases:
                held[other.id] = current
        if held:
            registry.set_aliases(self.store, location, row.model_id, held)
        return self.get(location, f"{row.model_id}@{row.version_id}")

    def delete(self, location: str, name: str) -> None:
        """Delete a model and all its versions (none may be deployed).

        Raises:
            FailedPreconditionError: a version is deployed to an endpoint.
        """
        rows = self.versions(location, name)
        self._not_deployed(rows)
        registry.delete_versions(self.store, [r.id for r in rows])

    def delete_version(self, location: str, name: str) -> None:
        """Delete one version; not the default one while others exist, nor a deployed one.

        Raises:
            FailedPreconditionError: the version is the default of several, or deployed.
        """
        row = self.get(location, name)
        others = [
            r for r in registry.versions(self.store, location, row.model_id) if r.id != row.id
        ]
        if others and DEFAULT_ALIAS in row.version_aliases:
            raise FailedPreconditionError(
                f"version {row.version_id} is the default version of model {row.model_id}; "
                "make another version the default first (add_version_aliases(['default']))"
            )
        self._not_deployed([row])
        registry.delete_versions(self.store, [row.id])

    def _not_deployed(self, rows: Sequence[RegisteredModelRow]) -> None:
        deployed = registry.deployed_versions(self.store, [r.id for r in rows])
        if deployed:
            versions = ", ".join(str(r.version_id) for r in rows if r.id in deployed)
            raise FailedPreconditionError(
                f"model {rows[0].model_id} version(s) {versions} are deployed to an endpoint; "
                "undeploy them first (endpoint.undeploy_all())"
            )


def _camel(path: str) -> str:
    head, *rest = path.split("_")
    return head + "".join(p.title() for p in rest)
