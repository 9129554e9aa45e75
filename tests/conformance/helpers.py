"""Small assertion helpers for the conformance tests (no engine logic here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# States in which a task produced its outputs.
DONE = {"SUCCEEDED", "CACHED"}


def lines(path: str | Path) -> list[str]:
    """The non-empty lines of a marker file, or [] if no component ever wrote it."""
    p = Path(path)
    if not p.exists():
        return []
    return [ln for ln in p.read_text().splitlines() if ln.strip()]


def count(path: str | Path) -> int:
    """How many times components appended to the marker file ``path``."""
    return len(lines(path))


def states(run: Any, name: str) -> list[str]:
    """States of every task called ``name`` (several for loop bodies), in task order."""
    return [t.state for t in run.tasks_named(name)]


def assert_not_run(run: Any, name: str) -> None:
    """A task that must not have executed: absent from the run, or recorded as not run.

    The Go backend never creates tasks below an untriggered condition or after a failed
    upstream, so an engine may either leave them out or record them as SKIPPED; both are
    fine, but it must never report them as run.
    """
    for t in run.tasks_named(name):
        assert t.state not in ("SUCCEEDED", "CACHED", "FAILED", "RUNNING"), (t.path, t.state)
        assert t.attempts == 0, (t.path, t.attempts)


def max_overlap(timeline: str | Path) -> int:
    """Maximum number of intervals open at once in a timeline file.

    Lines are ``start <label>`` / ``end <label>``, appended by components: the start line
    first and the end line last, so the intervals lie inside the engine's real slots, and
    the order of the lines is the order of the events. No clock is involved.
    """
    open_now = best = 0
    for ln in lines(timeline):
        open_now += 1 if ln.split()[0] == "start" else -1
        best = max(best, open_now)
    return best


def read_artifact_text(artifact: Any) -> str:
    """Content of an output artifact returned by the API (``dsl.Artifact`` with a local path)."""
    path = artifact.path
    if path.startswith("file://"):
        path = path[len("file://") :]
    return Path(path).read_text()
