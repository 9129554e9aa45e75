"""Failures on a real Ray cluster (loopback): cancel kills the task's processes, a node lost
mid-task is an attempt the retry policy covers, a waiting request whose only node goes away
fails, and a killed driver takes its task processes with it."""

from pathlib import Path

import pytest
from kfp import dsl

import sluice

from .conftest import T4, RayCluster
from .support import process_gone, require_ray, wait_for

require_ray()

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


@dsl.component
def where(tag: str) -> str:
    """Which node ran the task."""
    import os

    return f"{tag}|{os.environ.get('SLUICE_RAY_NODE_ID', '')}"


@dsl.component
def sleeper(seconds: int) -> None:
    import os
    import time

    print(f"pid={os.getpid()}", flush=True)
    time.sleep(seconds)


@dsl.pipeline
def sleeping() -> None:
    sleeper(seconds=600)


def _logged_pid(handle: sluice.RunHandle) -> int | None:
    run = handle.get()
    for task in run.tasks:
        if task.state == "RUNNING" and task.log_path and Path(task.log_path).exists():
            for line in Path(task.log_path).read_text().splitlines():
                if line.startswith("pid="):
                    return int(line.removeprefix("pid="))
    return None


def test_cancel_kills_the_task_process(on_ray: RayCluster) -> None:
    handle = sluice.submit(sleeping, executor="ray")
    # The line arrives while the task still runs: the log is streamed, not copied at the end.
    pid = wait_for("the task's pid in its log", lambda: _logged_pid(handle))
    assert not process_gone(pid)
    handle.cancel()
    run = handle.wait(timeout=60)
    assert run.state == "CANCELED"
    wait_for(f"task process {pid} to be killed", lambda: process_gone(pid), timeout=30)


@dsl.component
def survivor(marker: str) -> str:
    """The first attempt waits to be killed with its node; the next returns its node."""
    import os
    import time

    node = os.environ["SLUICE_RAY_NODE_ID"]
    if not os.path.exists(marker):
        open(marker, "w").close()
        print(f"node={node}", flush=True)
        time.sleep(600)
    return node


@dsl.pipeline
def node_loss(marker: str) -> str:
    task = survivor(marker=marker).set_accelerator_type("NVIDIA_TESLA_T4")
    return task.set_accelerator_limit(1).set_retry(num_retries=1, backoff_duration="0s").output


def test_a_node_lost_mid_task_is_an_attempt_the_retry_policy_covers(
    on_ray: RayCluster, tmp_path: Path
) -> None:
    on_ray.add_gpu_node()  # the survivor: two GPU nodes, one of which is about to go
    wait_for("two GPU nodes", lambda: len(on_ray.node_ids_with(T4)) == 2)
    handle = sluice.submit(node_loss, {"marker": str(tmp_path / "marker")}, executor="ray")

    def doomed() -> str | None:
        for task in handle.get().tasks:
            if task.log_path and Path(task.log_path).exists():
                for line in Path(task.log_path).read_text().splitlines():
                    if line.startswith("node="):
                        return line.removeprefix("node=")
        return None

    node_id = wait_for("the first attempt's node in its log", doomed)
    (node,) = (n for n in on_ray.cluster.list_all_nodes() if n.node_id == node_id)
    on_ray.cluster.remove_node(node)
    run = handle.wait(timeout=90)
    assert run.state == "SUCCEEDED", run.error
    (task,) = run.tasks
    assert task.attempts == 2
    assert task.outputs["Output"] != node_id
    assert task.failure is None  # the lost attempt was not the component failing


@dsl.pipeline
def on_a_doomed_node() -> str:
    return where(tag="doomed").set_accelerator_type("DOOMED").set_accelerator_limit(1).output


def test_a_waiting_request_fails_once_no_node_can_run_it_any_more(
    on_ray: RayCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The only node that fits goes away while the task waits for it: Ray would queue the
    task forever, so the attempt ends with the line naming what is missing."""
    import time

    import ray

    from sluice.executors.ray import executor

    monkeypatch.setattr(executor, "_PENDING_NOTE_SECONDS", 0.5)
    node = on_ray.cluster.add_node(num_cpus=1, num_gpus=1, resources={"accelerator_type:DOOMED": 1})
    wait_for("the DOOMED node", lambda: on_ray.node_ids_with("accelerator_type:DOOMED"))

    # Something else holds the node's one GPU, so the task waits (busy, not infeasible).
    def hold(seconds: float) -> None:
        time.sleep(seconds)

    holder = ray.remote(num_gpus=1, resources={"accelerator_type:DOOMED": 0.001})(hold)
    held = holder.remote(600)
    handle = sluice.submit(on_a_doomed_node, executor="ray")

    def waiting() -> bool:
        for task in handle.get().tasks:
            if task.log_path and Path(task.log_path).exists():
                return "sluice: waiting" in Path(task.log_path).read_text()
        return False

    wait_for("the task to wait for the DOOMED node", waiting)
    on_ray.cluster.remove_node(node)
    run = handle.wait(timeout=60)
    ray.cancel(held, force=True)
    assert run.state == "FAILED"
    (task,) = run.tasks
    assert "asks for CPU 1, GPU 1, accelerator_type:DOOMED but no alive Ray node" in str(task.error)


DRIVER = """
from kfp import dsl
import sluice

@dsl.component
def sleeper(path: str):
    import os, time
    open(path + ".tmp", "w").write(str(os.getpid()))
    os.replace(path + ".tmp", path)
    time.sleep(600)

@dsl.pipeline
def p(path: str):
    sleeper(path=path)

sluice.run(p, {"path": %r}, executor="ray")
"""


def test_a_killed_driver_takes_its_task_processes_with_it(
    on_ray: RayCluster, tmp_path: Path
) -> None:
    """kill -9 of the process running the run: Ray kills the tasks it owned, and with them
    the attempt's processes; nothing keeps running on the node."""
    import os
    import signal
    import subprocess
    import sys

    pid_file = tmp_path / "child.pid"
    src = str(Path(__file__).resolve().parents[3] / "src")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    script = tmp_path / "driver.py"
    script.write_text(DRIVER % str(pid_file))  # a file: kfp reads the component's source
    driver = subprocess.Popen(
        ["timeout", "120", sys.executable, str(script)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "driver.log").open("wb"),
        start_new_session=True,
    )
    try:

        def started() -> str | None:
            assert driver.poll() is None, (tmp_path / "driver.log").read_text()[-3000:]
            return pid_file.read_text() if pid_file.exists() else None

        wait_for("the task's pid", started, 90)
        child = int(pid_file.read_text())
        os.killpg(driver.pid, signal.SIGKILL)
        driver.wait()
        wait_for(f"task process {child} to die with its driver", lambda: process_gone(child), 30)
    finally:
        if driver.poll() is None:
            os.killpg(driver.pid, signal.SIGKILL)
            driver.wait()
