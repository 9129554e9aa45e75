"""Task logs: the stdout and stderr of a task's attempt, read from the run's directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sluice.config import Settings
from sluice.errors import InvalidArgumentError, NotFoundError
from sluice.service.tasks import TaskService
from sluice.store.repository import Store

# The end of a log is what explains a failure; larger logs are cut from the front.
MAX_LOG_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class LogText:
    """The (end of the) log of one attempt."""

    data: str
    attempt: int
    truncated: bool


def read_log(
    store: Store,
    settings: Settings,
    run_id: str,
    node_id: str,
    attempt: int | None = None,
    *,
    max_bytes: int = MAX_LOG_BYTES,
) -> LogText:
    """The log of a task's last attempt (or of ``attempt``), at most ``max_bytes`` of its end.

    Only log files under the run's own working directory are ever read.

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
        path = path.parent.parent / f"attempt-{attempt}" / path.name
    root = (settings.runs_dir / run.id).resolve()
    resolved = path.resolve()
    if not resolved.is_relative_to(root) or not resolved.is_file():
        raise NotFoundError(f"task '{task.path}' has no log for attempt {number}")
    size = resolved.stat().st_size
    with resolved.open("rb") as handle:
        handle.seek(max(0, size - max_bytes))
        data = handle.read().decode("utf-8", errors="replace")
    return LogText(data, number, size > max_bytes)
