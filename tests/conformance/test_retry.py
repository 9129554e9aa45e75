"""set_retry: attempts are counted, exhausted retries fail the run."""

from __future__ import annotations

from pathlib import Path

import sluice

from .helpers import count
from .pipelines import retry


def test_retry_until_success(files: Path) -> None:
    """Fails twice, succeeds on the third of four allowed attempts."""
    marker = files / "attempts"
    run = sluice.run(retry.retry_succeeds, {"marker": str(marker), "fail_times": 2})
    assert run.state == "SUCCEEDED", run.error
    assert count(marker) == 3
    assert run.outputs["Output"] == 3
    task = run.task("flaky")
    assert task.state == "SUCCEEDED"
    assert task.attempts == 3
    assert task.error is None or task.state == "SUCCEEDED"


def test_retries_exhausted(files: Path) -> None:
    """num_retries=2: three attempts, then FAILED with the component's message."""
    marker = files / "attempts"
    run = sluice.run(retry.retry_exhausted, {"marker": str(marker)})
    assert run.state == "FAILED"
    assert count(marker) == 3
    task = run.task("flaky")
    assert task.state == "FAILED"
    assert task.attempts == 3
    assert run.error is not None
    assert "flaky" in run.error
    assert "flaky attempt 3 failed" in run.error
    assert task.log_path is not None
    assert "flaky attempt 3 failed" in Path(task.log_path).read_text()
