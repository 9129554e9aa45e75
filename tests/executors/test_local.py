"""LocalExecutor end to end: real compiled components, real processes."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest

from sluice.executors.base import ExecutionRequest, ExecutionResult
from sluice.executors.local import LocalExecutor

from . import components as c
from .support import executor_output, make_request, run

T = TypeVar("T")


def with_executor(
    tmp_path: Path, body: Callable[[LocalExecutor], Awaitable[T]], **options: bool
) -> T:
    """Run ``body`` with a fresh executor in a fresh event loop, closing it afterwards."""

    async def main() -> T:
        executor = LocalExecutor(venv_root=tmp_path / "venvs", **options)
        try:
            return await body(executor)
        finally:
            await executor.aclose()

    return run(main())


def execute(tmp_path: Path, request: ExecutionRequest, **options: bool) -> ExecutionResult:
    return with_executor(tmp_path, lambda ex: ex.execute(request), **options)


def process_gone(pid: int, timeout: float = 30.0) -> bool:
    """Whether ``pid`` has exited (a zombie nobody reaped yet counts as exited).

    Waits up to ``timeout`` seconds for it: a deadline for a loaded machine, not a measure.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            status = Path(f"/proc/{pid}/stat").read_text()
        except (FileNotFoundError, ProcessLookupError):  # gone before (or while) read
            return True
        if status.rsplit(")", 1)[1].split()[0] in ("Z", "X"):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)


async def wait_for_file(path: Path, timeout: float = 30) -> str:
    for _ in range(int(timeout / 0.02)):
        if path.exists() and path.read_text():
            return path.read_text()
        await asyncio.sleep(0.02)
    raise AssertionError(f"{path} never appeared")


@pytest.mark.parametrize("fork", [True, False])
def test_return_value_reaches_executor_output(tmp_path: Path, fork: bool) -> None:
    request = make_request(c.add, tmp_path, {"a": 2, "b": 40})
    result = execute(tmp_path, request, use_fork_worker=fork)
    assert result == ExecutionResult(exit_code=0, how="fork-worker" if fork else "subprocess")
    assert executor_output(request) == {"parameterValues": {"Output": 42}}
    # The launcher's contract: the source sits in the work dir as ephemeral_component.py.
    assert "def add(" in (request.work_dir / "ephemeral_component.py").read_text()
    assert "Wrote executor output file" in request.log_path.read_text()
    assert not (tmp_path / "venvs").exists()


def test_artifact_output(tmp_path: Path) -> None:
    request = make_request(c.writes_dataset, tmp_path, {"rows": 3})
    assert execute(tmp_path, request).exit_code == 0
    assert (tmp_path / "task" / "data").read_text() == "x\n" * 3
    output = executor_output(request)
    assert output["artifacts"]["data"]["artifacts"][0]["metadata"] == {"rows": 3}


@pytest.mark.parametrize("fork", [True, False])
def test_failure_gives_exit_code_and_traceback(tmp_path: Path, fork: bool) -> None:
    request = make_request(c.fail, tmp_path, {"message": "boom-123"})
    result = execute(tmp_path, request, use_fork_worker=fork)
    assert result.exit_code == 1
    log = request.log_path.read_text()
    assert "Traceback (most recent call last)" in log
    assert "ValueError: boom-123" in log


# Frames of whatever runs the component: Sluice's fork worker, runpy, kfp's executor.
_LAUNCHER_FRAMES = (
    "zygote.py",
    "attempt_main.py",
    "runpy",
    "executor_main.py",
    "kfp/dsl/executor.py",
)


@pytest.mark.parametrize("fork", [True, False])
def test_failure_records_the_exception_with_the_components_frames_only(
    tmp_path: Path, fork: bool
) -> None:
    request = dataclasses.replace(
        make_request(c.fail, tmp_path, {"message": "boom-123"}),
        exception_path=tmp_path / "exception.json",
    )
    result = execute(tmp_path, request, use_fork_worker=fork)
    assert result.exit_code == 1
    assert result.exception is not None
    assert (result.exception.type, result.exception.message) == ("ValueError", "boom-123")
    lines = result.exception.traceback.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert "ephemeral_component.py" in lines[1] and lines[1].endswith(", in fail")
    assert lines[-1] == "ValueError: boom-123"
    assert not [ln for ln in lines if any(f in ln for f in _LAUNCHER_FRAMES)]
    # The log keeps the whole traceback, as under the KFP launcher.
    log = request.log_path.read_text()
    assert "executor_main.py" in log and "ValueError: boom-123" in log


@pytest.mark.parametrize("fork", [True, False])
def test_chained_exceptions_stay_whole(tmp_path: Path, fork: bool) -> None:
    request = dataclasses.replace(
        make_request(c.fail_chained, tmp_path, {"message": "x1"}),
        exception_path=tmp_path / "exception.json",
    )
    result = execute(tmp_path, request, use_fork_worker=fork)
    assert result.exception is not None
    assert (result.exception.type, result.exception.message) == ("RuntimeError", "chained: x1")
    text = result.exception.traceback
    # Three exceptions, in Python's order, with both of its linking lines.
    order = [
        "ValueError: invalid literal for int() with base 10: 'x1'",
        "The above exception was the direct cause of the following exception:",
        "KeyError: 'lookup'",
        "During handling of the above exception, another exception occurred:",
        "RuntimeError: chained: x1",
    ]
    positions = [text.index(part) for part in order]
    assert positions == sorted(positions)
    assert text.count("Traceback (most recent call last):") == 3
    assert ", in parse" in text and "FakeError" not in text
    assert not [ln for ln in text.splitlines() if any(f in ln for f in _LAUNCHER_FRAMES)]
    # What the function printed (a fake traceback here) is told apart from the real one.
    assert result.exception.output is not None
    start, end = result.exception.output
    printed = request.log_path.read_bytes()[start:end].decode()
    assert (
        printed
        == "Traceback (most recent call last):\n  File 'fake.py', line 1\nFakeError: printed\n"
    )


def test_no_exception_is_recorded_for_sys_exit_or_success(tmp_path: Path) -> None:
    requests = [
        dataclasses.replace(
            make_request(comp, tmp_path, inputs, name=name),
            exception_path=tmp_path / f"{name}.json",
        )
        for comp, inputs, name in ((c.exits, {"code": 3}, "exits"), (c.add, {"a": 1, "b": 2}, "ok"))
    ]

    async def body(ex: LocalExecutor) -> list[ExecutionResult]:
        return [await ex.execute(r) for r in requests]

    exited, succeeded = with_executor(tmp_path, body)
    assert (exited.exit_code, exited.exception) == (3, None)
    assert (succeeded.exit_code, succeeded.exception) == (0, None)


def test_sys_exit_code_is_respected(tmp_path: Path) -> None:
    requests = [make_request(c.exits, tmp_path, {"code": n}, name=f"e{n}") for n in (0, 3)]

    async def body(ex: LocalExecutor) -> list[int]:
        return [(await ex.execute(r)).exit_code for r in requests]

    assert with_executor(tmp_path, body) == [0, 3]


def test_print_output_and_env_in_log(tmp_path: Path) -> None:
    chatty = make_request(c.chatty, tmp_path, {"text": "hello-log"}, name="chatty")
    env = make_request(
        c.read_env, tmp_path, {"name": "SLUICE_TEST_VAR"}, env={"SLUICE_TEST_VAR": "v1"}
    )

    async def body(ex: LocalExecutor) -> None:
        assert (await ex.execute(chatty)).exit_code == 0
        assert (await ex.execute(env)).exit_code == 0

    with_executor(tmp_path, body)
    log = chatty.log_path.read_text()
    assert "stdout says hello-log" in log
    assert "stderr says hello-log" in log
    assert executor_output(env)["parameterValues"]["Output"] == "v1|true"


def test_python_env_vars_force_a_fresh_interpreter(tmp_path: Path) -> None:
    request = make_request(
        c.read_env, tmp_path, {"name": "PYTHONPATH"}, env={"PYTHONPATH": str(tmp_path)}
    )
    result = execute(tmp_path, request)
    assert result == ExecutionResult(exit_code=0, how="subprocess")
    assert executor_output(request)["parameterValues"]["Output"] == f"{tmp_path}|true"


def test_leaked_file_is_flushed_at_exit(tmp_path: Path) -> None:
    target = tmp_path / "leaked.txt"
    request = make_request(c.leaks_open_file, tmp_path, {"path": str(target)})
    assert execute(tmp_path, request).exit_code == 0
    assert target.read_text() == "flushed at exit"


def test_imported_modules_do_not_leak_between_tasks(tmp_path: Path) -> None:
    module = "email.mime.text"
    first = make_request(c.imports_module, tmp_path, {"name": module}, name="first")
    second = make_request(c.imports_module, tmp_path, {"name": module}, name="second")

    async def body(ex: LocalExecutor) -> None:
        for request in (first, second):
            assert await ex.execute(request) == ExecutionResult(exit_code=0, how="fork-worker")

    with_executor(tmp_path, body)
    assert executor_output(first)["parameterValues"]["Output"] is False
    assert executor_output(second)["parameterValues"]["Output"] is False


def test_fifty_concurrent_attempts(tmp_path: Path) -> None:
    requests = [make_request(c.add, tmp_path, {"a": i, "b": 1}, name=f"t{i}") for i in range(50)]

    async def body(ex: LocalExecutor) -> list[ExecutionResult]:
        return await asyncio.gather(*(ex.execute(r) for r in requests))

    results = with_executor(tmp_path, body)
    assert {r.exit_code for r in results} == {0}
    for i, request in enumerate(requests):
        assert executor_output(request)["parameterValues"]["Output"] == i + 1


@pytest.mark.parametrize("fork", [True, False])
def test_cancel_kills_the_attempt(tmp_path: Path, fork: bool) -> None:
    pid_file = tmp_path / "pid"
    request = make_request(c.sleeper, tmp_path, {"pid_file": str(pid_file), "seconds": 60})

    async def body(ex: LocalExecutor) -> int:
        task = asyncio.create_task(ex.execute(request))
        pid = int(await wait_for_file(pid_file))
        assert not process_gone(pid, timeout=0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return pid

    pid = with_executor(tmp_path, body, use_fork_worker=fork)
    assert process_gone(pid)
    assert not (tmp_path / "task" / "executor_output.json").exists()


def test_crashed_worker_is_restarted_and_the_attempt_runs_again(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    sleeping = make_request(c.sleeper, tmp_path, {"pid_file": str(pid_file), "seconds": 60})
    after = make_request(c.add, tmp_path, {"a": 1, "b": 1}, name="after")

    async def body(ex: LocalExecutor) -> tuple[int, int, int | None]:
        task = asyncio.create_task(ex.execute(sleeping))
        child = int(await wait_for_file(pid_file))
        worker = ex._worker.pid
        assert worker is not None
        pid_file.unlink()
        os.kill(worker, signal.SIGKILL)
        # Not the task's failure: the attempt starts again in a new worker.
        again = int(await wait_for_file(pid_file))
        assert again != child
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        result = await ex.execute(after)
        assert result == ExecutionResult(exit_code=0, how="fork-worker")
        return worker, child, ex._worker.pid

    old_worker, child, new_worker = with_executor(tmp_path, body)
    assert new_worker is not None and new_worker != old_worker
    assert process_gone(child)  # the orphan of the dead worker was killed
    assert executor_output(after)["parameterValues"]["Output"] == 2
    assert "the fork worker died" in sleeping.log_path.read_text()


def test_installed_packages_skip_the_prelude(tmp_path: Path) -> None:
    request = make_request(c.uses_six, tmp_path)
    assert execute(tmp_path, request) == ExecutionResult(exit_code=0, how="fork-worker")
    assert executor_output(request)["parameterValues"]["Output"] == "six"
    assert not (tmp_path / "venvs").exists()


def test_container_component_runs_on_the_host(tmp_path: Path) -> None:
    echo = make_request(c.echo, tmp_path, {"message": "hi from echo"}, name="echo")
    out_file = tmp_path / "outputs" / "out"
    write = make_request(c.write_file, tmp_path, {"text": "written"}, name="write")
    write = ExecutionRequest(**{**write.__dict__, "command": [*write.command[:-1], str(out_file)]})

    async def body(ex: LocalExecutor) -> None:
        assert await ex.execute(echo) == ExecutionResult(exit_code=0, how="subprocess")
        assert (await ex.execute(write)).exit_code == 0

    with_executor(tmp_path, body)
    assert echo.log_path.read_text() == "hi from echo\n"
    assert out_file.read_text() == "written\n"


def test_python3_means_this_interpreter(tmp_path: Path) -> None:
    request = ExecutionRequest(
        task_name="py",
        image="python:3.11",
        command=["python3", "-c", "import sys, os; print(sys.executable, os.getcwd())"],
        log_path=tmp_path / "py.log",
        work_dir=tmp_path / "work",
    )
    assert execute(tmp_path, request).exit_code == 0
    assert request.log_path.read_text() == f"{sys.executable} {tmp_path / 'work'}\n"


def test_missing_program_is_exit_127_with_a_log_line(tmp_path: Path) -> None:
    request = make_request(c.missing_program, tmp_path)
    assert execute(tmp_path, request) == ExecutionResult(exit_code=127, how="subprocess")
    assert request.log_path.read_text() == (
        "sluice: command not found on this host: 'sluice-no-such-tool' (the component expects "
        "image 'example.com/tool:1'; run with use_container=True if Docker/Podman is "
        "available)\n"
    )


def test_log_is_appended_across_attempts(tmp_path: Path) -> None:
    request = make_request(c.chatty, tmp_path, {"text": "again"})

    async def body(ex: LocalExecutor) -> None:
        for _ in range(2):
            assert (await ex.execute(request)).exit_code == 0

    with_executor(tmp_path, body)
    assert request.log_path.read_text().count("stdout says again") == 2
    assert json.loads((tmp_path / "task" / "executor_output.json").read_text())
