"""The contract between the engine and whatever runs one task attempt.

The engine resolves everything (placeholders, inputs, output locations) and hands
an executor a fully resolved command line. The executor only runs it, sends its
stdout/stderr to ``log_path``, and reports the exit code. Reading outputs back
(``executor_output.json``, parameter files, artifacts) is the engine's job.
"""

from __future__ import annotations

import json
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
        exception_path: where a lightweight Python component run on the host records an
            uncaught exception (see :class:`ComponentException`); None: not recorded.
    """

    task_name: str
    image: str
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    log_path: Path
    work_dir: Path
    use_container: bool = False
    mounts: tuple[Path, ...] = ()
    exception_path: Path | None = None


@dataclass(frozen=True, kw_only=True)
class ComponentException:
    """The uncaught exception of a Python component, as its own process recorded it.

    Attributes:
        type: the exception's type as a traceback names it (``ValueError``, ``mod.MyError``).
        message: ``str()`` of the exception.
        traceback: the exception chain as Python prints it, with only the component's own
            frames (from its function down; none of Sluice's, runpy's or kfp's executor's).
        output: the byte range ``(start, end)`` of the log that the component's function
            printed before it raised; None if unknown.
    """

    type: str
    message: str
    traceback: str
    output: tuple[int, int] | None = None


def read_component_exception(path: Path) -> ComponentException | None:
    """The exception a component recorded in ``path``; None if there is none or it is unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        return None
    span = data.get("output")
    output = None
    if isinstance(span, list) and len(span) == 2 and all(isinstance(n, int) for n in span):
        output = (span[0], span[1])
    return ComponentException(
        type=data["type"],
        message=str(data.get("message") or ""),
        traceback=str(data.get("traceback") or ""),
        output=output,
    )


@dataclass(frozen=True, kw_only=True)
class ExecutionResult:
    """What came of one attempt.

    Attributes:
        exit_code: the process's exit code (negative: killed by that signal).
        how: how it ran, e.g. ``"fork-worker"``, ``"subprocess"``, ``"venv:<hash>"``, ``"docker"``.
        exception: the component's uncaught Python exception, when it recorded one.
    """

    exit_code: int
    how: str = "subprocess"
    exception: ComponentException | None = None


class Executor(Protocol):
    """Runs one task attempt. Cancelling the awaiting coroutine must kill the process."""

    async def execute(self, request: ExecutionRequest) -> ExecutionResult:
        """Run the attempt to completion and return its exit code."""
        ...

    async def aclose(self) -> None:
        """Release long-lived resources (worker processes, ...)."""
        ...
