"""executors layer: what runs a task attempt, chosen by name (see :mod:`.registry`)."""

from sluice.executors.registry import available, check_name, get

__all__ = ["available", "check_name", "get"]
