"""Opening a store: the handle every service takes, its URL for a log line, and the claim
a server lays on it at start-up.

An interface holds a :class:`Store` only to hand it to the services (the Python API
lets a caller name one with ``store=``); it calls none of its methods itself.
"""

from __future__ import annotations

from sluice.config import Settings
from sluice.executors.registry import check_name
from sluice.store.db import masked_url as _masked_url
from sluice.store.locks import HeldLock, lock_store_for_server
from sluice.store.repository import Store

__all__ = [
    "HeldLock",
    "Store",
    "claim_store_for_server",
    "lock_for_server",
    "masked_url",
    "open_store",
]


def open_store(settings: Settings) -> Store:
    """The store for these settings (engines are shared per URL, so this is cheap)."""
    return Store(settings.db_url)


def masked_url(url: str) -> str:
    """``url`` for a log line: a password in it (``user:secret@`` or ``?password=``) as ***."""
    return _masked_url(url)


def claim_store_for_server(settings: Settings) -> HeldLock:
    """Check a server's settings and take its lock on the store, before anything starts.

    The lock is held until it is released or this process ends, so a second server on the
    same store is refused with one line instead of failing half way through its start-up.

    Raises:
        UnknownExecutorError: no executor has the name ``settings.executor``.
        StoreBusyError: another server holds the store.
    """
    check_name(settings.executor)
    return lock_for_server(open_store(settings))


def lock_for_server(store: Store) -> HeldLock:
    """The server's lock on the whole store, held for the server's life.

    Raises:
        StoreBusyError: another server holds it.
    """
    return lock_store_for_server(store.engine)
