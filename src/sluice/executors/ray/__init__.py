"""The ``ray`` executor (``pip install 'sluice[ray]'``): task attempts as Ray tasks.

See docs/scale.md. Importing this package does not import Ray; using the executor does.
"""

from sluice.executors.ray.executor import RayExecutor

__all__ = ["RayExecutor"]
