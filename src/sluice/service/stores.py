"""The store handle the interfaces hold, and the server's lock on a store.

Interfaces never import :mod:`sluice.store`: they open a store here, pass the handle to the
services, and take the server lock through :func:`lock_for_server`.
"""

from __future__ import annotations

from sluice.store.locks import HeldLock, lock_store_for_server
from sluice.store.repository import Store

__all__ = ["HeldLock", "Store", "lock_for_server", "open_store_at"]


def open_store_at(db_url: str) -> Store:
    """The store at ``db_url`` (created and migrated on first use)."""
    return Store(db_url)


def lock_for_server(store: Store) -> HeldLock:
    """The server's lock on the whole store, held for the server's life.

    Raises:
        StoreBusyError: another server holds it.
    """
    return lock_store_for_server(store.engine)
