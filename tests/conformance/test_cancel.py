"""Canceling a running run through its handle."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import sluice

from .helpers import assert_not_run, lines
from .pipelines import cancel


def _wait_for(predicate: Callable[[], bool], what: str, limit: float = 30.0) -> None:
    """Polls ``predicate`` (bounded): the tests wait for events, they never time them."""
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_cancel_running_run(files: Path) -> None:
    """cancel(): the run and the running task end CANCELED, the process is stopped,
    and the downstream task never runs."""
    marker, release = files / "m", files / "release"
    handle = sluice.submit(cancel.cancelable, {"marker": str(marker), "release": str(release)})
    _wait_for(lambda: bool(lines(marker)), "the blocker task to start")
    pid = int(lines(marker)[0].split()[1])
    handle.cancel()
    run = handle.wait()
    assert run.state == "CANCELED"
    assert run.task("blocker").state == "CANCELED"
    assert_not_run(run, "after-block")
    _wait_for(lambda: not _alive(pid), "the canceled component process to exit")
    # Released afterwards, nothing more happens: the component was really stopped. Its
    # process is gone and so is the thread that ran the run, so nothing is left that could
    # write to the marker: checking at once is as good as checking later.
    assert handle.done()
    release.write_text("go")
    assert [ln.split()[0] for ln in lines(marker)] == ["started"]
    assert sluice.get_run(run.id).state == "CANCELED"


def test_cancel_during_a_retry_backoff_ends_the_task_canceled(files: Path) -> None:
    """A task waiting out its retry backoff is stopped by a cancel: CANCELED, not left
    RUNNING, and its retry never starts."""
    from .pipelines import retry

    marker = files / "attempts"
    handle = sluice.submit(retry.retry_waits, {"marker": str(marker)})
    _wait_for(lambda: bool(lines(marker)), "the first attempt to fail")
    _wait_for(
        lambda: [e.state for e in sluice.metadata.Execution.list()] == ["FAILED"],
        "the first attempt to be recorded failed (the retry now waits out its backoff)",
    )
    handle.cancel()
    run = handle.wait(timeout=30)
    assert run.state == "CANCELED"
    assert run.task("flaky").state == "CANCELED"
    assert lines(marker) == ["attempt"]
