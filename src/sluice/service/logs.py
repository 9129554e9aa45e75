"""Task logs: the stdout and stderr of a task's attempt, read from the run's directory."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sluice.config import Settings
from sluice.engine.layout import RunLayout, attempt_log, attempts_with_log
from sluice.errors import InvalidArgumentError, NotFoundError
from sluice.logfiles import CHUNK_BYTES, read_tail
from sluice.service.tasks import TaskService
from sluice.store.repository import Store

__all__ = [
    "MAX_LOG_BYTES",
    "LogFile",
    "LogText",
    "attempt_log",
    "attempts_with_log",
    "find_log",
    "log_chunks",
    "read_log",
]

# The end of a log is what explains a failure; larger logs are cut from the front.
MAX_LOG_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class LogFile:
    """Where one attempt's log is, and which attempt it is."""

    path: Path
    attempt: int


@dataclass(frozen=True)
class LogText:
    """The (end of the) log of one attempt."""

    data: str
    attempt: int
    truncated: bool


def find_log(
    store: Store, settings: Settings, run_id: str, node_id: str, attempt: int | None = None
) -> LogFile:
    """The log file of a task's last attempt (or of ``attempt``).

    Only log files under the run's own working directory are ever named.

    Raises:
        RunNotFoundError: no such run or task.
        NotFoundError: the task has no log (it was cached or never ran), or not for
            that attempt.
        InvalidArgumentError: ``attempt`` is less than 1.
    """
    tasks = TaskService(store)
    run = tasks.run(run_id)
    task = tasks.find(run_id, node_id)
    if not task.log_path:
        reason = "it came from the cache" if task.state == "CACHED" else "it did not run"
        raise NotFoundError(f"task '{task.path}' has no log: {reason} (state {task.state})")
    path = Path(task.log_path)
    number = attempt if attempt is not None else task.attempts
    if attempt is not None:
        if attempt < 1:
            raise InvalidArgumentError("attempt must be 1 or more")
        path = attempt_log(path, attempt)
    layout = RunLayout(
        settings=settings, run_id=run.id, run_name=run.name, pipeline_root=run.pipeline_root
    )
    resolved = path.resolve()
    if not layout.holds(resolved) or not resolved.is_file():
        raise NotFoundError(f"task '{task.path}' has no log for attempt {number}")
    return LogFile(resolved, number)


def read_log(
    store: Store,
    settings: Settings,
    run_id: str,
    node_id: str,
    attempt: int | None = None,
    *,
    max_bytes: int = MAX_LOG_BYTES,
) -> LogText:
    """At most ``max_bytes`` of the end of a task's log; see :func:`find_log` for errors."""
    log = find_log(store, settings, run_id, node_id, attempt)
    tail, truncated = read_tail(log.path, max_bytes)
    return LogText(tail.decode("utf-8", errors="replace"), log.attempt, truncated)


def log_chunks(path: Path, size: int) -> Iterator[bytes]:
    """The first ``size`` bytes of ``path`` (its size when asked: a running task appends)."""
    with path.open("rb") as handle:
        while size > 0:
            chunk = handle.read(min(CHUNK_BYTES, size))
            if not chunk:
                return
            size -= len(chunk)
            yield chunk
