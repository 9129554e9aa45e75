"""Why an attempt of a container task failed, read from the end of its log.

The one-line reason (``failure_summary``) and the record kept on the task
(``failure_details``: the component's exception, or the last lines of its log).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sluice.executors.base import ComponentException
from sluice.logfiles import tail_lines

_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b.*")

# How many lines of a log stand in for the traceback of a component that raised none.
FAILURE_TAIL_LINES = 20
# How many lines of what a component printed before it raised are kept with its traceback.
FAILURE_OUTPUT_LINES = 10


def _log_lines(log_path: Path) -> list[str]:
    """The lines at the end of a log (its last 256 KiB): it may hold gigabytes before them."""
    return [ln.rstrip() for line in tail_lines(log_path, None) for ln in line.splitlines()]


def failure_summary(log_path: Path, exit_code: int) -> str:
    """One line saying why an attempt failed: the component's exception, or its exit code.

    Only the end of the log is read: a task may have printed gigabytes before failing.
    """
    lines = _log_lines(log_path)
    for line in reversed(lines):
        if _EXCEPTION_LINE.match(line):
            return line
    tail = next((ln for ln in reversed(lines) if ln.strip()), "")
    reason = f"exit code {exit_code}"
    return f"{reason}: {tail}" if tail else reason


def failure_details(
    log_path: Path, exit_code: int, exception: ComponentException | None
) -> dict[str, Any]:
    """What is recorded on a task about a failed attempt (``TaskRow.error_details``).

    ``exception_type``, ``message`` and ``traceback`` come from the exception the component's
    process recorded (its own frames only), and ``output`` holds the last lines its function
    printed before it raised; without an exception (a shell command, a container, a component
    killed by a signal) ``message`` is the one-line reason and ``traceback`` the last lines of
    the log.
    """
    if exception is not None:
        return {
            "exit_code": exit_code,
            "exception_type": exception.type,
            "message": exception.message,
            "traceback": exception.traceback,
            "output": _output_tail(log_path, exception.output),
        }
    tail = "\n".join(_log_lines(log_path)[-FAILURE_TAIL_LINES:]).strip("\n")
    return {
        "exit_code": exit_code,
        "exception_type": None,
        "message": failure_summary(log_path, exit_code),
        "traceback": tail or None,
        "output": None,
    }


# The most of a log read to find the last lines a component printed before it raised.
_OUTPUT_READ_BYTES = 64 * 1024


def _output_tail(log_path: Path, span: tuple[int, int] | None) -> str | None:
    """The last lines the component's function printed before it raised (None: none known)."""
    if span is None:
        return None
    start, end = span
    start = max(start, end - _OUTPUT_READ_BYTES)
    if end <= start:
        return None
    try:
        with log_path.open("rb") as f:
            f.seek(start)
            data = f.read(end - start)
    except OSError:
        return None
    lines = data.decode("utf-8", "replace").splitlines()
    if start > span[0] and lines:
        lines = lines[1:]  # cut mid-line
    text = "\n".join(lines[-FAILURE_OUTPUT_LINES:]).strip("\n")
    return text or None
