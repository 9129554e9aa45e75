"""The store handle every service is built over.

An interface opens one :class:`Store` per database (``open_store`` in
``sluice.service.runs``) and hands it to the services it calls; it never calls the
store's own methods. The class is named here so that an interface can annotate the
handle it holds without importing a store module.
"""

from __future__ import annotations

from sluice.store.repository import Store

__all__ = ["Store"]
