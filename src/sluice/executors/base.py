"""The contract between the engine and whatever runs one task attempt.

The engine resolves everything (placeholders, inputs, output locations) and hands
an executor a fully resolved command line. The executor only runs it, sends its
stdout/stderr to ``log_path``, and reports the exit code. Reading outputs back
(``executor_output.json``, parameter files, artifacts) is the engine's job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True, kw_only=True)
class ExecutionRequest:
    """One attempt of one container task, fully resolved.

    Attributes:
        task_name: the task's name, for messages.
        image: the container image named by the component (recorded; used in container mode).
        command: the resolved ``command + args`` of the container spec.
        env: environment variables the component declares (added on top of the host's).
        log_path: file that receives the attempt's stdout and stderr (created; appended).
        work_dir: an empty scratch directory for this attempt (the process's cwd).
        use_container: run in Docker/Podman instead of on the host.
        mounts: host paths a container must see at the same path (pipeline root, work dir).
    """

    task_name: str
    image: str
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    log_path: Path
    work_dir: Path
    use_container: bool = False
    mounts: tuple[Path, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ExecutionResult:
    """What came of one attempt.

    Attributes:
        exit_code: the process's exit code (negative: killed by that signal).
        how: how it ran, e.g. ``"fork-worker"``, ``"subprocess"``, ``"venv:<hash>"``, ``"docker"``.
    """

    exit_code: int
    how: str = "subprocess"


class Executor(Protocol):
    """Runs one task attempt. Cancelling the awaiting coroutine must kill the process."""

    async def execute(self, request: ExecutionRequest) -> ExecutionResult:
        """Run the attempt to completion and return its exit code."""
        ...

    async def aclose(self) -> None:
        """Release long-lived resources (worker processes, ...)."""
        ...
