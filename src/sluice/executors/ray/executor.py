"""The ``ray`` executor: each task attempt as a Ray task on a Ray cluster.

The driver (the process executing the run) submits :func:`~sluice.executors.ray.remote.run_attempt`
with the task's resources as Ray options (:mod:`sluice.executors.ray.resources`), appends the
log chunks it streams back to the attempt's log as they arrive, and returns the outputs the
worker read. Ray itself never retries an attempt (``max_retries=0``): the task's retry policy
is the engine's, so a node lost mid-attempt is one failed attempt (an ``ExecutorError``, not
the component's failure), retried as the policy says.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import re
import time
from typing import Any

from sluice.config import Settings
from sluice.errors import ExecutorError
from sluice.executors.base import ExecutionRequest, ExecutionResult
from sluice.executors.processes import append_log_line, open_log
from sluice.executors.ray.connection import connect, import_ray, resolve_address
from sluice.executors.ray.resources import RayRequest, infeasible_reason, ray_request

__all__ = ["AUTOSCALER_VARIABLE", "STORE_ENDPOINT_VARIABLES", "RayExecutor"]

#: Set to 1 when an autoscaler may add nodes (KubeRay): a request no alive node can meet
#: then waits for one instead of failing.
AUTOSCALER_VARIABLE = "SLUICE_RAY_AUTOSCALER"

# A task still waiting for resources after this long says so in its log (and again at
# every multiple): the user sees why nothing happens.
_PENDING_NOTE_SECONDS = 30.0

# How long a cancelled attempt's Ray task gets to report that it was killed.
_CANCEL_WAIT_SECONDS = 15.0

# The Ray errors that mean the attempt's worker or node went away (not the component).
_LOST = (
    "NodeDiedError",
    "WorkerCrashedError",
    "LocalRayletDiedError",
    "ObjectLostError",
    "OwnerDiedError",
    "ObjectFetchTimedOutError",
    "RaySystemError",
)


#: Where the object store of an ``s3://`` / ``gs://`` pipeline root is: passed on to the
#: node that stages a task's artifacts (credentials are not: they are the nodes' own, from
#: their environment, instance role or workload identity).
STORE_ENDPOINT_VARIABLES = (
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "FSSPEC_S3_ENDPOINT_URL",
    "STORAGE_EMULATOR_HOST",
    "GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT",
)


def _store_environment() -> dict[str, str]:
    return {k: os.environ[k] for k in STORE_ENDPOINT_VARIABLES if os.environ.get(k)}


def autoscaling() -> bool:
    """Whether ``$SLUICE_RAY_AUTOSCALER`` says nodes may be added on demand."""
    return os.environ.get(AUTOSCALER_VARIABLE, "").strip().lower() in ("1", "true", "yes")


class RayExecutor:
    """Runs attempts as Ray tasks on the cluster at ``address`` (see the module docstring).

    Args:
        settings: the settings (``settings.ray_address``, else ``$SLUICE_RAY_ADDRESS``,
            else ``$RAY_ADDRESS``, else a Ray instance of this process's own).
        address: the cluster's address, over the settings.
        check_feasibility: fail an attempt at once when no alive node can ever run it
            (default: unless ``$SLUICE_RAY_AUTOSCALER`` is set).
    """

    # Tasks run on the Ray nodes' hosts, not in their images (a Ray runtime_env with a
    # container is a later step).
    uses_images = False
    # With an object-store root, the node downloads the inputs and uploads the outputs
    # itself (remote.stage_in/stage_out): the artifacts never pass through the driver.
    stages_artifacts = True

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        address: str | None = None,
        check_feasibility: bool | None = None,
    ) -> None:
        configured = getattr(settings, "ray_address", None) if settings is not None else None
        self.address = resolve_address(address or configured)
        self.check_feasibility = (
            not autoscaling() if check_feasibility is None else check_feasibility
        )
        self._remote: Any = None

    def _remote_function(self) -> Any:
        if self._remote is None:
            ray = connect(self.address)
            from sluice.executors.ray.remote import run_attempt

            # Sluice's retry policy decides about retries: Ray must not run an attempt twice.
            self._remote = ray.remote(num_returns="streaming", max_retries=0)(run_attempt)
        return self._remote

    async def execute(self, request: ExecutionRequest) -> ExecutionResult:
        """Run the attempt as a Ray task; stream its log here; return its outputs.

        Raises:
            ExecutorError: Ray could not be reached, no node can run the task, or the worker
                or node running it died (the task's retry policy applies).
        """
        remote = await asyncio.to_thread(self._remote_function)
        wanted = ray_request(request.resources)
        if self.check_feasibility:
            reason = await asyncio.to_thread(_infeasible, wanted)
            if reason:
                raise ExecutorError(f"task '{request.task_name}' {reason}")
        request.log_path.parent.mkdir(parents=True, exist_ok=True)
        # Positions in the worker's log (a component's output span) are shifted by what
        # this log already holds (the engine's notices).
        offset = request.log_path.stat().st_size if request.log_path.exists() else 0
        options = wanted.options()
        if request.staging is not None and (store_env := _store_environment()):
            options["runtime_env"] = {"env_vars": store_env}
        stream = remote.options(**options, name=f"sluice:{request.task_name}").remote(request)
        try:
            return await self._follow(stream, request, wanted, offset)
        except asyncio.CancelledError:
            await _cancel(stream)
            raise

    async def _follow(
        self, stream: Any, request: ExecutionRequest, wanted: RayRequest, offset: int
    ) -> ExecutionResult:
        """Read the task's stream to its end; the attempt's result."""
        watch = _PendingWatch(stream, request, wanted, check=self.check_feasibility)
        fd = open_log(request.log_path)
        node = ""
        try:
            async for ref in stream:
                try:
                    kind, payload = await ref
                except Exception as exc:
                    raise watch.error() or _lost_or_failed(exc, request.task_name, node) from exc
                if kind == "started":
                    node = str(payload["node"])
                    watch.started()
                elif kind == "log":
                    os.write(fd, payload)
                elif kind == "error":
                    raise ExecutorError(f"on Ray node {node[:12]}: {payload}")
                else:
                    return _shifted(payload, offset, node)
        except ExecutorError:
            raise
        except Exception as exc:  # the stream itself failed (a lost node, a dead owner)
            raise watch.error() or _lost_or_failed(exc, request.task_name, node) from exc
        finally:
            watch.stop()
            os.close(fd)
        raise ExecutorError(f"the Ray task of '{request.task_name}' ended without a result")

    async def aclose(self) -> None:
        """Nothing to release: the process's Ray connection is shared by its runs."""


class _PendingWatch:
    """While the task waits for resources: a note in its log every so often, and, unless an
    autoscaler may add nodes, the end of the wait once no alive node can run it any more
    (the node it would fit on died since it was submitted): Ray would queue it forever."""

    def __init__(
        self, stream: Any, request: ExecutionRequest, wanted: RayRequest, *, check: bool
    ) -> None:
        self._stream, self._request, self._wanted, self._check = stream, request, wanted, check
        self._started = asyncio.Event()
        self._reason: str | None = None
        self._task = asyncio.create_task(self._watch())

    def started(self) -> None:
        """The task holds its resources on a node: nothing more to watch."""
        self._started.set()

    def stop(self) -> None:
        """The attempt ended (or was cancelled)."""
        self._task.cancel()

    def error(self) -> ExecutorError | None:
        """Why the watch ended the wait, if it did."""
        if self._reason is None:
            return None
        return ExecutorError(f"task '{self._request.task_name}' {self._reason}")

    async def _watch(self) -> None:
        began = time.monotonic()
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._started.wait(), timeout=_PENDING_NOTE_SECONDS)
                return
            waited = time.monotonic() - began
            append_log_line(
                self._request.log_path,
                f"sluice: waiting {waited:.0f}s for a Ray node with {self._wanted.describe()}",
            )
            if self._check and (reason := await asyncio.to_thread(_infeasible, self._wanted)):
                self._reason = reason
                ray = import_ray()
                with contextlib.suppress(Exception):
                    ray.cancel(self._stream, force=True)
                return


def _infeasible(wanted: RayRequest) -> str | None:
    ray = import_ray()
    return infeasible_reason(wanted, ray.nodes())


async def _cancel(stream: Any) -> None:
    """Kill the attempt's Ray task and its processes (``force=True``), and wait for it."""
    ray = import_ray()
    with contextlib.suppress(Exception):
        ray.cancel(stream, force=True)

    async def drain() -> None:
        with contextlib.suppress(Exception):
            async for ref in stream:
                await ref

    with contextlib.suppress(Exception):
        await asyncio.wait_for(drain(), timeout=_CANCEL_WAIT_SECONDS)


def _lost_or_failed(exc: Exception, task_name: str, node: str) -> ExecutorError:
    """The one-line error of a Ray task that failed (not the component: it reports a code)."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    first = _first_line(exc)
    cause = getattr(exc, "cause", None)  # a RayTaskError wraps what was raised on the node
    if isinstance(cause, BaseException) and cause is not exc:
        first = f"{type(cause).__name__}: {_first_line(cause)}"
    where = f"Ray node {node[:12]}" if node else "its Ray node"
    if names & set(_LOST):
        return ExecutorError(
            f"the Ray worker running '{task_name}' was lost ({type(exc).__name__} on {where}): "
            f"{first}; the task's retry policy applies"
        )
    hint = ""
    if "No module named 'sluice" in str(exc):
        hint = " (install sluice[ray], the driver's version, on every Ray node)"
    return ExecutorError(f"the Ray task of '{task_name}' failed on {where}: {first}{hint}")


def _first_line(exc: BaseException) -> str:
    """The first line of an error's text, without the colours Ray puts in it."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip()
    return next(iter(text.splitlines()), type(exc).__name__)


def _shifted(result: ExecutionResult, offset: int, node: str) -> ExecutionResult:
    """The worker's result, its log positions moved to this log, its node in ``how``."""
    how = f"ray:{node[:12]}/{result.how}" if node else f"ray/{result.how}"
    exception = result.exception
    if exception is not None and exception.output is not None and offset:
        start, end = exception.output
        exception = dataclasses.replace(exception, output=(start + offset, end + offset))
    return dataclasses.replace(result, how=how, exception=exception)
