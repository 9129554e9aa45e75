"""executors layer: what runs a task attempt, chosen by name (see :mod:`.registry`).

``available``, ``check_name`` and ``get`` are imported on first use, so importing one
executor module does not import the registry.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sluice.executors.registry import available, check_name, get

__all__ = ["available", "check_name", "get"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("sluice.executors.registry"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
