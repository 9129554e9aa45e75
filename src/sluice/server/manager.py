"""The server's run manager: the worker process that executes the server's runs.

Runs created through the API or by a schedule (``executed_by == "server"``) are PENDING
rows in the store; the server never executes them in its own process, where they would
compete with the API for one GIL. :class:`RunManager` starts a worker process
(:mod:`sluice.service.worker`), wakes it when a run is created or retried, restarts it if
it dies, and asks it to cancel runs; the worker executes the runs
(:class:`sluice.service.execution.RunWorker`). The store is the queue, so a server or worker
killed at any moment picks up where it was when it starts again (see "Nothing is lost" in
``docs/architecture.md``).
"""

from __future__ import annotations

from sluice.service.worker_supervisor import WorkerSupervisor

__all__ = ["RunManager"]


class RunManager(WorkerSupervisor):
    """The run manager of one server: its supervised worker process.

    See :class:`sluice.service.worker_supervisor.WorkerSupervisor` for the arguments.
    """
