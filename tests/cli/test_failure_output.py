"""What ``sluice run`` prints about a failed task: the right task, its own traceback."""

from __future__ import annotations

import textwrap
from pathlib import Path

from typer.testing import CliRunner

from sluice.cli.main import app

runner = CliRunner()

LOOPS = """
from kfp import dsl


@dsl.component(base_image="python:3.11")
def train(i: int, failing: list, wait_for: str):
    import os
    import sqlite3
    import time

    print(f"log-marker iteration {i}")
    if wait_for and i != 1:
        # Fail only once iteration 1 is recorded as failed: the run's error names iteration 1
        # although iteration 0 was created first.
        db = os.path.join(os.environ["SLUICE_HOME"], "sluice.db")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with sqlite3.connect(db, timeout=30) as conn:
                row = conn.execute(
                    "SELECT state FROM tasks WHERE path = ?", (wait_for,)
                ).fetchone()
            if row and row[0] == "FAILED":
                break
            time.sleep(0.05)
    if i in failing:
        raise ValueError(f"iteration {i} failed")


@dsl.pipeline(name="loop-fails")
def loop_fails(failing: list = [1], wait_for: str = ""):
    with dsl.ParallelFor([0, 1, 2]) as i:
        train(i=i, failing=failing, wait_for=wait_for)
"""


def _loops(tmp_path: Path) -> Path:
    path = tmp_path / "loops.py"
    path.write_text(textwrap.dedent(LOOPS))
    return path


def _failed_block(output: str) -> str:
    """What is printed from the 'Failed task:' line on."""
    assert "Failed task: " in output, output
    return output[output.index("Failed task: ") :]


def test_only_iteration_1_fails_and_its_log_is_shown(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", str(_loops(tmp_path)), "-p", "failing=[1]"])

    assert result.exit_code == 1, result.output
    assert "error: task 'for-loop-2[1]/train' failed: ValueError: iteration 1" in result.output
    block = _failed_block(result.output)
    assert block.startswith("Failed task: for-loop-2[1]/train")
    assert "log-marker iteration 1" in block
    assert "log-marker iteration 0" not in block and "log-marker iteration 2" not in block


def test_iteration_1_failing_first_is_the_one_shown(tmp_path: Path) -> None:
    args = ["-p", "failing=[0, 1]", "-p", "wait_for=for-loop-2[1]"]
    result = runner.invoke(app, ["run", str(_loops(tmp_path)), *args])

    assert result.exit_code == 1, result.output
    assert "error: task 'for-loop-2[1]/train' failed: ValueError: iteration 1" in result.output
    block = _failed_block(result.output)
    assert block.startswith("Failed task: for-loop-2[1]/train")
    assert "iteration 1 failed" in block and "log-marker iteration 1" in block
    assert "iteration 0" not in block
