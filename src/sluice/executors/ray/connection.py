"""The one connection of this process to a Ray cluster (``ray.init`` is per process).

Every run of the process (the server's worker executes several at once, each in its own
executor object) shares it; it is never shut down by a run: Ray's exit hook does that when
the process ends.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from sluice.errors import ExecutorError

__all__ = ["ADDRESS_VARIABLE", "connect", "import_ray", "resolve_address"]

#: The environment variable `sluice run/server --ray-address` sets (and operators may set).
ADDRESS_VARIABLE = "SLUICE_RAY_ADDRESS"

_lock = threading.Lock()


def import_ray() -> Any:
    """The ``ray`` module.

    Raises:
        ExecutorError: Ray is not installed; the message says how to install it.
    """
    try:
        import ray
    except ImportError as exc:
        raise ExecutorError(
            "the ray executor needs Ray, which is not installed here: "
            "pip install 'sluice[ray]' (the same Ray and Python versions as the cluster)"
        ) from exc
    return ray


def resolve_address(address: str | None) -> str | None:
    """The cluster to use: ``address``, else ``$SLUICE_RAY_ADDRESS``, else ``$RAY_ADDRESS``.

    None means what ``ray.init()`` does without an address: start a Ray instance of this
    process's own (for trying the executor out on one machine).
    """
    return address or os.environ.get(ADDRESS_VARIABLE) or os.environ.get("RAY_ADDRESS") or None


def connect(address: str | None) -> Any:
    """Connect this process to the cluster at ``address`` once; the ``ray`` module.

    A process already connected (by an earlier run, or by the user's own ``ray.init``) keeps
    its connection; asking for another cluster then is an error, since one process can be
    connected to one cluster only.

    Raises:
        ExecutorError: Ray is missing, the cluster cannot be reached, or the process is
            connected to another cluster.
    """
    ray = import_ray()
    wanted = resolve_address(address)
    with _lock:
        if ray.is_initialized():
            _check_same_cluster(ray, wanted)
            return ray
        try:
            # Task output comes back through each attempt's log stream; printing it on the
            # driver's stdout too would mix every task's lines into Sluice's own output.
            ray.init(
                address=wanted,
                log_to_driver=False,
                logging_level="WARNING",
                include_dashboard=False if wanted is None else None,
            )
        except Exception as exc:
            where = wanted or "a new local Ray instance"
            raise ExecutorError(
                f"cannot connect to the Ray cluster at {where}: {type(exc).__name__}: "
                f"{_first_line(exc)} (set --ray-address / ${ADDRESS_VARIABLE} to the head's "
                f"GCS address, e.g. 10.0.0.5:6379)"
            ) from exc
    return ray


def _check_same_cluster(ray: Any, wanted: str | None) -> None:
    if wanted is None or wanted in ("auto", "local") or wanted.startswith("ray://"):
        return
    try:
        current = str(ray.get_runtime_context().gcs_address)
    except Exception:  # a Ray Client connection has no GCS address to compare
        return
    if _host_port(current) != _host_port(wanted):
        raise ExecutorError(
            f"this process is already connected to the Ray cluster at {current}, not {wanted}; "
            f"one process can use one cluster: run with --ray-address {current} or in a "
            f"process of its own"
        )


def _host_port(address: str) -> str:
    address = address.split("://", 1)[-1]
    return address.replace("localhost", "127.0.0.1")


def _first_line(exc: BaseException) -> str:
    return next(iter(str(exc).strip().splitlines()), "")
