"""``sluice.metadata`` bound to one store: what ``sluice.Client(...).metadata`` returns."""

from __future__ import annotations

import builtins
from typing import Generic, Protocol, TypeVar

from sluice.client.metadata_views import Artifact, Context, Execution
from sluice.service.metadata import Page
from sluice.service.stores import Store

_T = TypeVar("_T")


class _Kind(Protocol[_T]):
    """What :class:`Artifact`, :class:`Execution` and :class:`Context` have in common."""

    def list(
        self,
        filter: str | None = ...,
        order_by: str | None = ...,
        *,
        limit: int = ...,
        page_token: str | None = ...,
        store: Store | None = ...,
    ) -> builtins.list[_T]: ...

    def list_page(
        self,
        filter: str | None = ...,
        order_by: str | None = ...,
        *,
        limit: int = ...,
        page_token: str | None = ...,
        store: Store | None = ...,
    ) -> Page[_T]: ...

    def get(self, key: int | str, /, *, store: Store | None = ...) -> _T: ...


class BoundKind(Generic[_T]):
    """``Artifact``, ``Execution`` or ``Context``'s queries with ``store=`` filled in."""

    def __init__(self, kind: _Kind[_T], store: Store) -> None:
        self._kind = kind
        self._store = store

    def list(
        self,
        filter: str | None = None,
        order_by: str | None = None,
        *,
        limit: int = 100,
        page_token: str | None = None,
    ) -> builtins.list[_T]:
        """Matching records (newest first unless ``order_by`` says otherwise)."""
        return self._kind.list(
            filter, order_by, limit=limit, page_token=page_token, store=self._store
        )

    def list_page(
        self,
        filter: str | None = None,
        order_by: str | None = None,
        *,
        limit: int = 100,
        page_token: str | None = None,
    ) -> Page[_T]:
        """One page of :meth:`list`; pass its ``next_page_token`` to get the next."""
        return self._kind.list_page(
            filter, order_by, limit=limit, page_token=page_token, store=self._store
        )

    def get(self, key: int | str) -> _T:
        """One record by id (or uri / name, as the unbound ``get``).

        Raises:
            MetadataNotFoundError: no such record.
        """
        return self._kind.get(key, store=self._store)


class BoundMetadata:
    """The ``sluice.metadata`` API bound to one store (``sluice.Client(...).metadata``).

    Attributes:
        store: the store every query reads.
        Artifact / Execution / Context: their ``list``, ``list_page`` and ``get`` on it;
            the objects returned remember the store, so their own methods use it too.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.Artifact: BoundKind[Artifact] = BoundKind(Artifact, store)
        self.Execution: BoundKind[Execution] = BoundKind(Execution, store)
        self.Context: BoundKind[Context] = BoundKind(Context, store)
