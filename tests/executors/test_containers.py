"""Container mode. No engine runs here, so a stand-in `docker` script plays the CLI."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import pytest

from sluice import executors
from sluice.config import Settings
from sluice.errors import ExecutorError
from sluice.executors.base import ExecutionRequest, ExecutionResult, ExecutorOutput, Resources
from sluice.executors.containers import (
    ContainerEngine,
    ContainerExecutor,
    build_run_command,
    detect_engine,
)

from .support import run, wait_for_line

FAKE_DOCKER = """#!/bin/sh
# Stand-in docker CLI: `info` answers per $FAKE_INFO_CODE; `run` records its argv and prints.
echo "$*" >> "$FAKE_DOCKER_CALLS"
case "$1" in
  info) exit "${FAKE_INFO_CODE:-0}" ;;
  run) echo "container says hi"; [ -n "$FAKE_RUN_SLEEP" ] && sleep "$FAKE_RUN_SLEEP"
       # As a component in the container would: its executor output at the mounted path.
       [ -n "$FAKE_RUN_OUTPUT" ] && printf '%s' '{"parameterValues": {"Output": "boxed"}}' \
         > "$FAKE_RUN_OUTPUT"
       exit "${FAKE_RUN_CODE:-7}" ;;
  rm) exit 0 ;;
esac
"""


@pytest.fixture
def fake_docker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "docker"
    script.write_text(FAKE_DOCKER)
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    calls = tmp_path / "docker-calls.txt"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_DOCKER_CALLS", str(calls))
    return calls


def request_for(tmp_path: Path) -> ExecutionRequest:
    return ExecutionRequest(
        task_name="t",
        image="python:3.11",
        command=["sh", "-c", "echo $0 > /out/x", "hello"],
        env={"A": "1", "B": "two words"},
        log_path=tmp_path / "logs" / "t.log",
        work_dir=tmp_path / "root" / "work" / "t",
        mounts=(tmp_path / "root", tmp_path / "data"),
    )


def test_build_run_command(tmp_path: Path) -> None:
    request = request_for(tmp_path)
    argv = build_run_command(ContainerEngine("docker", "/usr/bin/docker"), request, name="n1")
    root, data, work = tmp_path / "root", tmp_path / "data", request.work_dir
    assert argv == [
        "/usr/bin/docker", "run", "--rm", "--name", "n1", "--workdir", str(work),
        "--volume", f"{root}:{root}", "--volume", f"{data}:{data}",
        "--env", "A=1", "--env", "B=two words",
        "--entrypoint", "sh", "python:3.11", "-c", "echo $0 > /out/x", "hello",
    ]  # fmt: skip


def test_the_gcs_emulation_is_passed_to_containers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = ContainerEngine("docker", "docker")
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "http://127.0.0.1:8765")
    monkeypatch.setenv("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")
    argv = build_run_command(engine, request_for(tmp_path), name="g1")
    assert argv[argv.index("--network") + 1] == "host"  # the host's loopback
    envs = [argv[i + 1] for i, flag in enumerate(argv) if flag == "--env"]
    assert envs == [
        "STORAGE_EMULATOR_HOST=http://127.0.0.1:8765",
        "GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT=false",
        "A=1",
        "B=two words",
    ]
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "http://10.0.0.5:8765")
    argv = build_run_command(engine, request_for(tmp_path), name="g2")
    assert "--network" not in argv and "--env" in argv


def test_resources_become_run_flags(tmp_path: Path) -> None:
    resources = Resources(
        cpu_request=0.5,
        cpu_limit=2.0,
        memory_request=256_000_000,
        memory_limit=512_000_000,
        accelerator_type="nvidia.com/gpu",
        accelerator_count=1,
    )
    request = ExecutionRequest(**{**request_for(tmp_path).__dict__, "resources": resources})
    argv = build_run_command(ContainerEngine("docker", "docker"), request, name="n3")
    flags = argv[argv.index("--env", argv.index("--env") + 1) + 2 : argv.index("--entrypoint")]
    assert flags == [
        "--cpus", "2", "--memory", "512000000", "--memory-reservation", "256000000",
        "--gpus", "1",
    ]  # fmt: skip
    # Only a request: it caps the CPUs; no accelerator type: no GPUs.
    only = Resources(cpu_request=0.5, accelerator_count=0)
    request = ExecutionRequest(**{**request.__dict__, "resources": only})
    argv = build_run_command(ContainerEngine("docker", "docker"), request, name="n4")
    assert argv[argv.index("--cpus") + 1] == "0.5" and "--gpus" not in argv


def test_work_dir_is_mounted_when_no_mount_covers_it(tmp_path: Path) -> None:
    request = ExecutionRequest(**{**request_for(tmp_path).__dict__, "mounts": (), "command": []})
    argv = build_run_command(ContainerEngine("podman", "podman"), request, name="n2")
    work = request.work_dir
    assert argv[argv.index("--volume") + 1] == f"{work}:{work}"
    assert argv[-1] == "python:3.11" and "--entrypoint" not in argv


def test_no_engine_installed() -> None:
    with pytest.raises(ExecutorError, match="sluice-no-engine-a: not installed"):
        run(detect_engine(("sluice-no-engine-a", "sluice-no-engine-b")))


def test_engine_installed_but_not_running(
    fake_docker: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_INFO_CODE", "1")
    with pytest.raises(ExecutorError, match=r"docker: installed, but 'docker info' failed"):
        run(detect_engine(("docker",)))


def test_executor_runs_the_container_command(fake_docker: Path, tmp_path: Path) -> None:
    request = request_for(tmp_path)

    async def main() -> ExecutionResult:
        executor = ContainerExecutor(engines=("docker",))
        try:
            return await executor.execute(request)
        finally:
            await executor.aclose()

    assert run(main()) == ExecutionResult(exit_code=7, how="docker")
    assert request.log_path.read_text() == "container says hi\n"
    calls = fake_docker.read_text().splitlines()
    assert calls[0] == "info"
    assert calls[1].startswith("run --rm --name sluice-")
    assert calls[1].endswith("--entrypoint sh python:3.11 -c echo $0 > /out/x hello")


def test_cancel_removes_the_container(
    fake_docker: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_RUN_SLEEP", "60")
    request = request_for(tmp_path)

    async def main() -> None:
        executor = ContainerExecutor(engines=("docker",))
        task = asyncio.create_task(executor.execute(request))
        # Cancel only once the container runs (it has printed), however long that takes.
        await wait_for_line(request.log_path, "container says hi")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await executor.aclose()

    run(main())
    calls = fake_docker.read_text().splitlines()
    name = calls[1].split()[3]
    assert calls[-1] == f"rm --force {name}"


def test_no_engine_fails_the_execute_call(tmp_path: Path) -> None:
    async def main() -> None:
        executor = ContainerExecutor(engines=("sluice-none",))
        try:
            await executor.execute(request_for(tmp_path))
        finally:
            await executor.aclose()

    with pytest.raises(ExecutorError, match="the container executor needs Docker or Podman"):
        run(main())


def test_docker_executor_returns_the_outputs_written_in_the_container(
    fake_docker: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output_file = tmp_path / "root" / "task" / "executor_output.json"
    output_file.parent.mkdir(parents=True)
    monkeypatch.setenv("FAKE_RUN_OUTPUT", str(output_file))
    monkeypatch.setenv("FAKE_RUN_CODE", "0")
    executor_input = {
        "inputs": {"parameterValues": {}},
        "outputs": {
            "parameters": {"Output": {"outputFile": str(tmp_path / "root" / "task" / "Output")}},
            "artifacts": {},
            "outputFile": str(output_file),
        },
    }
    request = ExecutionRequest(
        **{**request_for(tmp_path).__dict__, "executor_input": executor_input}
    )

    async def main() -> ExecutionResult:
        executor = executors.get("docker", Settings(home=tmp_path / "home", db_url="sqlite://"))
        try:
            return await executor.execute(request)
        finally:
            await executor.aclose()

    result = run(main())
    assert result == ExecutionResult(
        exit_code=0, how="docker", output=ExecutorOutput(parameter_values={"Output": "boxed"})
    )
