"""What runs on a Ray worker: one attempt, with its log sent back to the driver as it grows.

The Ray task is a streaming generator (``num_returns="streaming"``). It yields, in order:

* ``("started", {"node": ..., "host": ..., "pid": ...})`` once the task holds its resources
  on a node (before it, the task is waiting for them);
* ``("log", bytes)`` chunks of the attempt's stdout/stderr while it runs;
* last, ``("result", ExecutionResult)`` or ``("error", "<one line>")`` for an attempt that
  could not be started or supervised there.

The attempt itself runs in this Ray worker process's :class:`~sluice.executors.local.LocalExecutor`
(the same dispatch as on a single machine: the warm fork worker, cached venvs for
``packages_to_install`` under the node's ``$SLUICE_HOME/venvs``, host processes), on an
event loop thread the Ray worker keeps between tasks, so the fork worker stays warm.

Its log goes to a file of the node's own; nothing the driver reads is written on the node.
When the driver's attempt directory is not visible here (another machine, no shared
filesystem), the attempt runs in a scratch copy of it on the node: the paths of the command,
the environment and the executor input are rewritten to it, and the outputs read there are
returned (the contract of :func:`~sluice.executors.base.read_executor_output`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import json
import os
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sluice.errors import SluiceError
from sluice.executors.base import ExecutionRequest, ExecutionResult

__all__ = ["NODE_ID_VARIABLE", "run_attempt"]

#: Set in every attempt's environment: the Ray node it runs on.
NODE_ID_VARIABLE = "SLUICE_RAY_NODE_ID"

# How often the log file is looked at while the attempt runs, and the most sent at once.
_POLL_SECONDS = 0.1
_CHUNK_BYTES = 1 << 20

_runtime_lock = threading.Lock()
_runtime: tuple[asyncio.AbstractEventLoop, Any] | None = None


def _local_runtime() -> tuple[asyncio.AbstractEventLoop, Any]:
    """This Ray worker's loop thread and local executor, started on first use."""
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            from sluice.config import Settings
            from sluice.executors.local import LocalExecutor

            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="sluice-attempts", daemon=True).start()
            executor = LocalExecutor(venv_root=Settings.from_env().venvs_dir)
            _runtime = (loop, executor)
        return _runtime


def run_attempt(request: ExecutionRequest) -> Iterator[tuple[str, Any]]:
    """The body of the Ray task: run ``request`` here, streaming its log (see the module)."""
    import ray

    node = ray.get_runtime_context().get_node_id()
    yield ("started", {"node": node, "host": socket.gethostname(), "pid": os.getpid()})
    scratch: Path | None = None
    stage: Path | None = None
    fd, log_name = tempfile.mkstemp(prefix="sluice-attempt-", suffix=".log")
    os.close(fd)
    log = Path(log_name)
    try:
        attempt_dir = request.log_path.parent
        if not attempt_dir.is_dir():
            scratch = Path(tempfile.mkdtemp(prefix="sluice-attempt-"))
            request = _relocate(request, attempt_dir, scratch)
        if request.staging is not None:
            # An object-store root: the artifacts go through the store, never through the
            # driver's disk (which this node may not see), staged in a directory of its own.
            stage = Path(tempfile.mkdtemp(prefix="sluice-stage-"))
            request = _relocate(request, request.staging.staging_dir, stage)
            try:
                stage_in(request)
            except SluiceError as exc:
                yield ("error", str(exc))
                return
        request = dataclasses.replace(
            request, log_path=log, env={**request.env, NODE_ID_VARIABLE: node}
        )
        loop, executor = _local_runtime()
        future = asyncio.run_coroutine_threadsafe(executor.execute(request), loop)
        with log.open("rb") as reader:
            while True:
                done = _wait(future)
                while chunk := reader.read(_CHUNK_BYTES):
                    yield ("log", chunk)
                if done:
                    break
        try:
            result: ExecutionResult = future.result()
            if result.exit_code == 0 and request.staging is not None:
                stage_out(request)
        except SluiceError as exc:
            yield ("error", str(exc))
            return
        yield ("result", result)
    finally:
        log.unlink(missing_ok=True)
        for directory in (scratch, stage):
            if directory is not None:
                shutil.rmtree(directory, ignore_errors=True)


def _wait(future: concurrent.futures.Future[Any]) -> bool:
    """Whether the attempt ended, after waiting for it at most one poll."""
    with contextlib.suppress(concurrent.futures.TimeoutError):
        future.exception(timeout=_POLL_SECONDS)
        return True
    return future.done()


def _relocate(request: ExecutionRequest, old: Path, new: Path) -> ExecutionRequest:
    """``request`` with every path under ``old`` (the driver's attempt directory) under ``new``."""
    before, after = str(old), str(new)

    def moved(text: str) -> str:
        return text.replace(before, after)

    def moved_path(path: Path) -> Path:
        return Path(moved(str(path)))

    executor_input = json.loads(moved(json.dumps(request.executor_input)))
    staging = request.staging
    if staging is not None:
        staging = dataclasses.replace(
            staging,
            staging_dir=moved_path(staging.staging_dir),
            inputs=tuple((uri, moved_path(local)) for uri, local in staging.inputs),
            outputs=tuple((moved_path(local), uri) for local, uri in staging.outputs),
        )
    relocated = dataclasses.replace(
        request,
        command=[moved(part) for part in request.command],
        env={key: moved(value) for key, value in request.env.items()},
        work_dir=moved_path(request.work_dir),
        executor_input=executor_input,
        exception_path=moved_path(request.exception_path) if request.exception_path else None,
        mounts=tuple(moved_path(m) for m in request.mounts),
        staging=staging,
    )
    relocated.work_dir.mkdir(parents=True, exist_ok=True)
    outputs = executor_input.get("outputs") or {}
    # The parents of every output path, as the driver (and the Go launcher) makes them.
    files = [spec.get("outputFile") for spec in outputs.get("parameters", {}).values()]
    files += [a["artifacts"][0]["uri"] for a in outputs.get("artifacts", {}).values()]
    files.append(outputs.get("outputFile"))
    for file in files:
        if file and "://" not in file:
            Path(file).parent.mkdir(parents=True, exist_ok=True)
    return relocated


def stage_in(request: ExecutionRequest) -> None:
    """Download the attempt's input artifacts from the store to its staged paths.

    Raises:
        ArtifactTransferError: the store failed (the attempt fails; its retries apply).
    """
    from sluice.objectstore import download, transfer

    assert request.staging is not None
    for uri, local in request.staging.inputs:
        transfer(download, uri, local, f"input artifact at {uri}: cannot download it")


def stage_out(request: ExecutionRequest) -> None:
    """Upload the output artifacts the attempt wrote to the store.

    Raises:
        ArtifactTransferError: the store failed (the attempt fails; its retries apply).
    """
    from sluice.objectstore import transfer, upload

    assert request.staging is not None
    for local, uri in request.staging.outputs:
        if local.exists():  # an output the component did not write stays unwritten
            transfer(upload, local, uri, f"output artifact '{local.name}': cannot upload it")
