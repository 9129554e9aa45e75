"""Interfaces for Python users: the local client (``sluice.run`` and friends)."""
