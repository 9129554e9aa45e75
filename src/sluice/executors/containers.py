"""Running an attempt in Docker or Podman (``use_container=True``)."""

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
from sluice.executors.base import ExecutionRequest
from sluice.executors.processes import run_logged

__all__ = ["ContainerEngine", "build_run_command", "detect_engine", "run_in_container"]

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
        "use_container=True needs Docker or Podman with a running engine, and none answered ("
        + "; ".join(problems)
        + "). Start one, or run without use_container to run tasks on this host."
    )


def build_run_command(
    engine: ContainerEngine, request: ExecutionRequest, *, name: str
) -> list[str]:
    """The ``<engine> run`` command line for ``request``.

    The resolved command becomes the entrypoint and its arguments; ``request.env`` is passed
    (not the host's environment); every mount and the work dir appear at the same path inside,
    so resolved paths in the command stay valid.
    """
    argv = [engine.path, "run", "--rm", "--name", name, "--workdir", str(request.work_dir)]
    mounts: list[Path] = list(dict.fromkeys(request.mounts))
    if not any(_is_within(request.work_dir, m) for m in mounts):
        mounts.append(request.work_dir)
    for mount in mounts:
        argv += ["--volume", f"{mount}:{mount}"]
    for key, value in request.env.items():
        argv += ["--env", f"{key}={value}"]
    if request.command:
        argv += ["--entrypoint", request.command[0], request.image, *request.command[1:]]
    else:
        argv.append(request.image)  # no command: the image's own entrypoint runs
    return argv


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
