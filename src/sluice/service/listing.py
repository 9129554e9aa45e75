"""The list queries every service's ``list`` accepts, and the pages it answers with.

An interface parses its own request shape (KFP's ``filter`` JSON, ``sort_by`` and page
tokens; Vertex's or the UI's later) into a :class:`ListQuery` of neutral
:class:`Predicate`\\ s; the store compiles it against the resource's columns. The types
are the store's own (``sluice.store.listing``), named here so that an interface never
imports a store module.
"""

from __future__ import annotations

from sluice.store.listing import OPERATIONS, ListQuery, Page, Predicate

__all__ = ["OPERATIONS", "ListQuery", "Page", "Predicate"]
