"""What ``sluice run`` prints about a failed task: the right task, its own traceback."""

from __future__ import annotations

import textwrap
from pathlib import Path

from typer.testing import CliRunner

import sluice
from sluice.cli.main import app

from .helpers import run_pipeline

runner = CliRunner()

# Frames of whatever runs a lightweight component: Sluice's fork worker, runpy, kfp's executor.
LAUNCHER_FRAMES = ("sluice/executors", "runpy", "executor_main.py", "kfp/dsl/executor.py")

FAILURES = """
from kfp import dsl


@dsl.component(base_image="python:3.11")
def boom(rows: int):
    def check(n: int) -> None:
        if n > 2:
            raise ValueError(f"bad rows: {n}")

    print("about to check", rows)
    try:
        check(rows)
    except ValueError as exc:
        raise RuntimeError("checking failed") from exc


@dsl.container_component
def shell_fails():
    return dsl.ContainerSpec(
        image="alpine:3.19",
        command=["sh", "-c"],
        args=["for i in $(seq 1 30); do echo shell-line-$i; done; exit 3"],
    )


@dsl.pipeline(name="raises")
def raises(rows: int = 5):
    boom(rows=rows)


@dsl.pipeline(name="shell")
def shell():
    shell_fails()
"""

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


def _failures(tmp_path: Path) -> Path:
    path = tmp_path / "failures.py"
    path.write_text(textwrap.dedent(FAILURES))
    return path


def test_a_raising_component_shows_its_output_and_own_frames(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", str(_failures(tmp_path)), "--pipeline", "raises"])

    assert result.exit_code == 1, result.output
    assert "error: task 'boom' failed: RuntimeError: checking failed" in result.output
    block = _failed_block(result.output)
    assert "about to check 5" in block
    # The whole chain, from the component's function down, and nothing of what runs it.
    for part in (
        ", in boom",
        ", in check",
        "ValueError: bad rows: 5",
        "The above exception was the direct cause of the following exception:",
        "RuntimeError: checking failed",
    ):
        assert part in block
    assert not [ln for ln in block.splitlines() if any(f in ln for f in LAUNCHER_FRAMES)]
    assert "[KFP Executor" not in block  # kfp's own log lines before the function ran
    # The full log stays as it was.
    task = sluice.get_run(_run_id(result.output)).task("boom")
    assert task.log_path is not None
    log = task.log_path.read_text()
    assert "executor_main.py" in log and "RuntimeError: checking failed" in log


def test_the_failure_is_recorded_on_the_task(tmp_path: Path) -> None:
    run = sluice.run(str(_failures(tmp_path)), pipeline_name="raises")

    task = run.task("boom")
    assert task.failure is not None
    assert task.failure.exit_code == 1
    assert task.failure.exception_type == "RuntimeError"
    assert task.failure.message == "checking failed"
    assert task.failure.output == "about to check 5"
    tb = task.failure.traceback
    assert tb is not None and tb.endswith("RuntimeError: checking failed\n")
    assert "ValueError: bad rows: 5" in tb
    assert not [ln for ln in tb.splitlines() if any(f in ln for f in LAUNCHER_FRAMES)]
    assert task.error == "RuntimeError: checking failed"


def test_json_of_a_failed_run_has_the_failure_and_notices(tmp_path: Path) -> None:
    data = run_pipeline(runner, _failures(tmp_path), "raises")

    (task,) = data["tasks"]
    assert task["failure"]["exception_type"] == "RuntimeError"
    assert task["failure"]["traceback"].endswith("RuntimeError: checking failed\n")
    assert task["notices"] == []
    shell = run_pipeline(runner, _failures(tmp_path), "shell")["tasks"][0]
    assert shell["failure"]["exit_code"] == 3
    assert shell["notices"][0].startswith("task shell-fails: image alpine:3.19 is not used")


def test_a_shell_component_exiting_non_zero_shows_its_log_tail(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", str(_failures(tmp_path)), "--pipeline", "shell"])

    assert result.exit_code == 1, result.output
    assert "error: task 'shell-fails' failed: exit code 3: shell-line-30" in result.output
    block = _failed_block(result.output)
    assert "Last 20 lines of its log" in block
    assert "shell-line-30" in block and "shell-line-11" in block
    assert "shell-line-10\n" not in block
    failure = sluice.get_run(_run_id(result.output)).task("shell-fails").failure
    assert failure is not None
    assert (failure.exit_code, failure.exception_type) == (3, None)
    assert failure.message == "exit code 3: shell-line-30"
    assert failure.traceback is not None
    assert failure.traceback.splitlines()[-1] == "shell-line-30"


def _run_id(output: str) -> str:
    """The run id from ``Started run NAME (ID) of pipeline ...``."""
    first = output.splitlines()[0]
    return first.split("(", 1)[1].split(")", 1)[0]


IMAGES = """
from kfp import dsl


@dsl.component(base_image="python:3.11")
def plain(x: int) -> int:
    return x


@dsl.component(base_image="example.com/team/trainer:1.0")
def custom(x: int) -> int:
    return x


@dsl.container_component
def shell(x: int):
    return dsl.ContainerSpec(image="alpine:3.19", command=["sh", "-c"], args=["echo hi"])


@dsl.container_component
def other_shell():
    return dsl.ContainerSpec(image="busybox:1.36", command=["echo"], args=["hello"])


@dsl.pipeline(name="images")
def images():
    with dsl.ParallelFor([1, 2]) as i:
        plain(x=i)
        custom(x=i)
        shell(x=i)
    other_shell()
"""


def test_an_unused_image_gets_one_notice_per_image_per_run(tmp_path: Path) -> None:
    path = tmp_path / "images.py"
    path.write_text(textwrap.dedent(IMAGES))
    result = runner.invoke(app, ["run", str(path)])

    assert result.exit_code == 0, result.output
    notices = [ln for ln in result.output.splitlines() if " NOTICE " in ln]
    by_image = {
        image: [ln for ln in notices if f"image {image} is not used" in ln]
        for image in ("alpine:3.19", "busybox:1.36", "example.com/team/trainer:1.0")
    }
    assert all(len(found) == 1 for found in by_image.values()), notices
    assert len(notices) == 3, notices  # none for the lightweight components on python:3.11
    assert "running on the host — --use-container runs it in Docker/Podman" in notices[0]
    assert "running on the host's Python" in by_image["example.com/team/trainer:1.0"][0]

    run = sluice.get_run(_run_id(result.output))
    noted = {t.path: t.notices for t in run.tasks if t.notices}
    shells = [p for p in noted if p.endswith("/shell")]
    assert len(shells) == 1 and len(noted) == 3, noted
    # The notice is in the task's record and at the top of its log.
    task = run.task(shells[0])
    assert len(task.notices) == 1 and task.notices[0].startswith(f"task {shells[0]}: image")
    assert by_image["alpine:3.19"][0].endswith(f"NOTICE    {task.notices[0]}")
    assert task.log_path is not None
    first = task.log_path.read_text().splitlines()[0]
    assert first == f"sluice: {task.notices[0]}"
    assert run.task("other-shell").notices and not run.tasks_named("plain")[0].notices
