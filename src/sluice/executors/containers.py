"""The ``docker`` and ``podman`` executors: each attempt in a container of the task's image.

``--use-container`` (``use_container=True``) chooses whichever of the two is installed
(:func:`sluice.executors.registry.container_executor_name`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sluice.errors import ExecutorError
from sluice.executors.base import (
    ExecutionRequest,
    ExecutionResult,
    Resources,
    read_executor_output,
)
from sluice.executors.processes import run_logged

__all__ = [
    "ContainerEngine",
    "ContainerExecutor",
    "build_run_command",
    "detect_engine",
    "resource_flags",
    "run_in_container",
]

DEFAULT_ENGINES = ("docker", "podman")


@dataclass(frozen=True)
class ContainerEngine:
    """A container CLI whose daemon answered ``info``.

    Attributes:
        name: ``"docker"`` or ``"podman"`` (how the result is reported).
        path: the CLI executable.
    """

    name: str
    path: str


async def detect_engine(candidates: Sequence[str] = DEFAULT_ENGINES) -> ContainerEngine:
    """The first of ``candidates`` on PATH whose ``<engine> info`` succeeds.

    Raises:
        ExecutorError: none is installed, or none of the installed ones has a running engine.
    """
    problems: list[str] = []
    for name in candidates:
        path = shutil.which(name)
        if path is None:
            problems.append(f"{name}: not installed")
            continue
        try:
            proc = await asyncio.create_subprocess_exec(
                path,
                "info",
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
        except OSError as exc:
            problems.append(f"{name}: {exc}")
            continue
        try:
            code = await asyncio.wait_for(proc.wait(), 20)
        except asyncio.TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            problems.append(f"{name}: '{name} info' did not answer within 20 s")
            continue
        if code == 0:
            return ContainerEngine(name=os.path.basename(name), path=path)
        problems.append(f"{name}: installed, but '{name} info' failed (is its daemon running?)")
    raise ExecutorError(
        "the container executor needs Docker or Podman with a running engine, and none "
        "answered (" + "; ".join(problems) + "). Start one, or use the local executor "
        "(--executor local, no --use-container) to run tasks on this host."
    )


def build_run_command(
    engine: ContainerEngine, request: ExecutionRequest, *, name: str
) -> list[str]:
    """The ``<engine> run`` command line for ``request``.

    The resolved command becomes the entrypoint and its arguments; ``request.env`` is passed
    (not the host's environment, but for :data:`PASSED_THROUGH`); every mount and the work
    dir appear at the same path inside, so resolved paths in the command stay valid.
    """
    argv = [engine.path, "run", "--rm", "--name", name, "--workdir", str(request.work_dir)]
    mounts: list[Path] = list(dict.fromkeys(request.mounts))
    if not any(_is_within(request.work_dir, m) for m in mounts):
        mounts.append(request.work_dir)
    for mount in mounts:
        argv += ["--volume", f"{mount}:{mount}"]
    passed = _passed_through()
    if _on_loopback(passed.get("STORAGE_EMULATOR_HOST", "")):
        # The emulation listens on this host's loopback, which a container reaches only on
        # the host's network.
        argv += ["--network", "host"]
    for key, value in {**passed, **request.env}.items():
        argv += ["--env", f"{key}={value}"]
    argv += resource_flags(request.resources)
    if request.command:
        argv += ["--entrypoint", request.command[0], request.image, *request.command[1:]]
    else:
        argv.append(request.image)  # no command: the image's own entrypoint runs
    return argv


#: Variables of this process a container gets too (it gets no other of the host's): where
#: `sluice server --emulate-gcs` serves gs://, so that a task's own google-cloud-storage or
#: gcsfs calls reach it, as a local task's do.
PASSED_THROUGH = ("STORAGE_EMULATOR_HOST", "GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT")


def _passed_through() -> dict[str, str]:
    return {key: os.environ[key] for key in PASSED_THROUGH if os.environ.get(key)}


def _on_loopback(url: str) -> bool:
    host = url.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0].strip("[]")
    return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")


def resource_flags(resources: Resources) -> list[str]:
    """``docker run``/``podman run`` flags for a task's resources.

    A container engine caps, it does not schedule: the CPU limit (else the request) becomes
    ``--cpus``, the memory limit ``--memory`` and the memory request ``--memory-reservation``;
    NVIDIA accelerators become ``--gpus N`` (both engines accept it). Other accelerator
    types have no flag; the pipeline's resource check already warned about them.
    """
    flags: list[str] = []
    cpus = resources.cpu_limit if resources.cpu_limit is not None else resources.cpu_request
    if cpus is not None and cpus > 0:
        flags += ["--cpus", f"{cpus:g}"]
    if resources.memory_limit:
        flags += ["--memory", str(resources.memory_limit)]
    if resources.memory_request:
        flags += ["--memory-reservation", str(resources.memory_request)]
    kind = (resources.accelerator_type or "").lower()
    if resources.accelerator_count > 0 and ("nvidia" in kind or kind.startswith("tesla")):
        flags += ["--gpus", str(resources.accelerator_count)]
    return flags


def _is_within(path: Path, parent: Path) -> bool:
    try:
        path.resolve().relative_to(parent.resolve())
    except ValueError:
        return False
    return True


async def run_in_container(engine: ContainerEngine, request: ExecutionRequest) -> int:
    """Run ``request`` in a container; output appended to its log; return the exit code.

    Cancelling removes the container (``rm -f``): killing the CLI alone would leave it running.
    So does the death of this process: the shepherd of the CLI runs the same ``rm -f``.
    """
    name = f"sluice-{uuid.uuid4().hex[:12]}"
    argv = build_run_command(engine, request, name=name)
    request.work_dir.mkdir(parents=True, exist_ok=True)
    try:
        return await run_logged(
            argv,
            cwd=request.work_dir,
            env=dict(os.environ),
            log_path=request.log_path,
            on_orphan=[engine.path, "rm", "--force", name],
        )
    except asyncio.CancelledError:
        proc = await asyncio.create_subprocess_exec(
            engine.path,
            "rm",
            "--force",
            name,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(proc.wait(), 30)
        raise


class ContainerExecutor:
    """Runs every attempt with ``<engine> run`` in the task's image.

    Args:
        engines: the CLIs tried, in order, the first time an attempt runs (the first whose
            ``info`` answers is used for the rest of the run).
    """

    uses_images = True

    def __init__(self, *, engines: Sequence[str] = DEFAULT_ENGINES) -> None:
        self._engines = tuple(engines)
        self._engine: ContainerEngine | None = None

    async def execute(self, request: ExecutionRequest) -> ExecutionResult:
        """Run the attempt in a container; its outputs are read from the mounted paths.

        Raises:
            ExecutorError: no container engine answered.
            ComponentError: the attempt exited with 0 but its executor output is not JSON.
        """
        request.log_path.parent.mkdir(parents=True, exist_ok=True)
        if self._engine is None:
            self._engine = await detect_engine(self._engines)
        code = await run_in_container(self._engine, request)
        # The paths are mounted at the same place inside, so the outputs are where the
        # executor input put them on this machine.
        output = read_executor_output(request) if code == 0 and request.executor_input else None
        return ExecutionResult(exit_code=code, how=self._engine.name, output=output)

    async def aclose(self) -> None:
        """Nothing to release: each container is removed when its attempt ends."""
