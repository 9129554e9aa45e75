"""Pipelines on a real three-node Ray cluster (loopback): placement, retries, ParallelFor,
artifacts between tasks, packages on the worker, logs streamed while a task runs, cancel, an
infeasible request refused before the run, and a node lost mid-task.

The same compiled pipelines run unchanged locally; only ``executor="ray"`` differs.
"""

from pathlib import Path

import pytest
from kfp import dsl

import sluice
from sluice.config import Settings
from sluice.errors import ResourceUnavailableError
from sluice.store.repository import Store

from .conftest import T4, RayCluster
from .support import process_gone, require_ray, wait_for

require_ray()

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


@dsl.component
def where(tag: str) -> str:
    """Which node ran the task and which GPUs it was given."""
    import os

    node = os.environ.get("SLUICE_RAY_NODE_ID", "")
    return f"{tag}|{node}|{os.environ.get('CUDA_VISIBLE_DEVICES', '')}"


@dsl.pipeline
def placement() -> str:
    one = where(tag="one-gpu").set_accelerator_type("NVIDIA_TESLA_T4").set_accelerator_limit(1)
    two = where(tag="two-gpus").set_accelerator_type("NVIDIA_TESLA_T4").set_accelerator_limit(2)
    two.after(one)
    return where(tag="cpus").set_cpu_limit("2").after(two).output


def _tasks(run: sluice.Run) -> dict[str, sluice.TaskRun]:
    return {t.path: t for t in run.tasks}


def test_resources_place_each_task_on_a_node_that_has_them(on_ray: RayCluster) -> None:
    run = sluice.run(placement, executor="ray")
    assert run.state == "SUCCEEDED", run.error
    tasks = _tasks(run)
    outputs = {t.outputs["Output"].split("|")[0]: t.outputs["Output"] for t in tasks.values()}
    gpu_nodes = on_ray.node_ids_with(T4)
    _, node, devices = outputs["one-gpu"].split("|")
    assert node in gpu_nodes and devices in ("0", "1")
    _, node, devices = outputs["two-gpus"].split("|")
    assert node in gpu_nodes and sorted(devices.split(",")) == ["0", "1"]
    # 2 CPUs: only the `cpu` node has that many.
    _, node, _ = outputs["cpus"].split("|")
    two_cpus = {n["NodeID"] for n in on_ray.alive_nodes() if n["Resources"].get("CPU", 0) >= 2}
    assert node in two_cpus and node not in gpu_nodes
    # The task's log came back to this machine's log file through Ray.
    log = Path(str(tasks["where"].log_path)).read_text()
    assert "Got executor_input" in log


@dsl.component
def flaky(marker: str) -> str:
    """Fails its first attempt (no marker yet), succeeds the next."""
    import os

    if not os.path.exists(marker):
        open(marker, "w").close()
        raise RuntimeError("first attempt fails on purpose")
    return "second"


@dsl.pipeline
def retried(marker: str) -> str:
    return flaky(marker=marker).set_retry(num_retries=2, backoff_duration="0s").output


def test_a_failed_attempt_is_retried_by_the_task_policy(on_ray: RayCluster, tmp_path: Path) -> None:
    run = sluice.run(retried, {"marker": str(tmp_path / "marker")}, executor="ray")
    assert run.state == "SUCCEEDED", run.error
    (task,) = run.tasks
    assert task.attempts == 2 and task.outputs["Output"] == "second"


@dsl.component
def make_rows(n: int, data: dsl.Output[dsl.Dataset]) -> None:
    with open(data.path, "w") as f:
        f.write("".join(f"{i}\n" for i in range(n)))


@dsl.component
def scaled(data: dsl.Input[dsl.Dataset], factor: int) -> int:
    with open(data.path) as f:
        return factor * sum(int(line) for line in f)


@dsl.component
def total(values: list[int]) -> int:
    return sum(values)


@dsl.pipeline
def fan_out(n: int = 4) -> int:
    # The producer runs on the GPU node, its consumers wherever Ray places them.
    rows = make_rows(n=n).set_accelerator_type("NVIDIA_TESLA_T4").set_accelerator_limit(1)
    with dsl.ParallelFor([1, 2, 3, 4, 5]) as factor:
        part = scaled(data=rows.outputs["data"], factor=factor)
    return total(values=dsl.Collected(part.output)).output


def test_parallel_for_with_artifacts_between_nodes(on_ray: RayCluster) -> None:
    run = sluice.run(fan_out, {"n": 4}, executor="ray")
    assert run.state == "SUCCEEDED", run.error
    assert run.outputs["Output"] == 6 * (1 + 2 + 3 + 4 + 5)
    iterations = [t for t in run.tasks if t.name == "scaled"]
    assert len(iterations) == 5 and {t.state for t in iterations} == {"SUCCEEDED"}


@dsl.component(packages_to_install=["inflection==0.5.1"])
def camel(word: str) -> str:
    import inflection

    return inflection.camelize(word) + "|" + inflection.__file__


@dsl.pipeline
def with_packages() -> str:
    return camel(word="ray_worker").output


def test_packages_to_install_get_a_venv_on_the_worker(on_ray: RayCluster) -> None:
    run = sluice.run(with_packages, executor="ray")
    assert run.state == "SUCCEEDED", run.error
    word, module_file = run.outputs["Output"].split("|")
    assert word == "RayWorker"
    # Built in the node's own SLUICE_HOME, not the driver's.
    assert Path(module_file).is_relative_to(on_ray.node_home / "venvs")


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


@dsl.pipeline
def too_big() -> str:
    small = where(tag="fine")
    big = where(tag="big").set_accelerator_type("NVIDIA_TESLA_T4").set_accelerator_limit(8)
    return big.after(small).output


def test_a_request_no_node_can_meet_is_refused_before_the_run(on_ray: RayCluster) -> None:
    with pytest.raises(ResourceUnavailableError) as caught:
        sluice.run(too_big, executor="ray")
    message = str(caught.value)
    assert "\n" not in message
    assert "task 'where-2' asks for CPU 1, GPU 8, accelerator_type:T4" in message
    assert "largest: CPU 1, GPU 2" in message
    assert Store(Settings.from_env().db_url).list_runs(limit=5) == []
    # A busy cluster is not an infeasible one: asked for less than a node has, it runs.


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


def test_a_server_with_the_ray_executor(on_ray: RayCluster, tmp_path: Path) -> None:
    """`sluice server --executor ray --ray-address`: its runs execute on the cluster, and a
    request no node can meet is a 400 at submission, not a run that waits forever."""
    import kfp
    from kfp_server_api.exceptions import ApiException
    from tests.server.server_process import ServerProcess

    args = ["--executor", "ray", "--ray-address", on_ray.address]
    with ServerProcess(tmp_path / "server", cli_args=args) as server:
        client = kfp.Client(host=server.url)
        created = client.create_run_from_pipeline_func(placement, arguments={})
        run = client.wait_for_run_completion(created.run_id, timeout=120)
        assert run.state == "SUCCEEDED", run.error
        with pytest.raises(ApiException) as caught:
            client.create_run_from_pipeline_func(too_big, arguments={})
        assert caught.value.status == 400
        assert "no alive Ray node has that" in str(caught.value.body)


def test_a_node_without_the_driver_files_runs_the_attempt_in_a_scratch_copy(
    on_ray: RayCluster, tmp_path: Path
) -> None:
    """What a node on another machine does: the driver's attempt directory is not there, so
    the attempt runs in a scratch directory of the node's, its log comes back as chunks and
    its outputs with the result, and nothing is written at the driver's paths."""
    import dataclasses
    import shutil

    import ray

    from sluice.executors.ray.remote import run_attempt

    from ..components import add
    from ..support import make_request

    attempt = tmp_path / "driver-attempt"
    request = make_request(add, attempt, {"a": 2, "b": 3}, name="task")
    outputs = {
        "parameters": {"Output": {"outputFile": str(attempt / "task" / "Output")}},
        "outputFile": str(attempt / "task" / "executor_output.json"),
    }
    request = dataclasses.replace(
        request,
        log_path=attempt / "log.txt",
        executor_input={"inputs": {"parameterValues": {"a": 2, "b": 3}}, "outputs": outputs},
    )
    shutil.rmtree(attempt)  # as on a machine that never saw it
    remote = ray.remote(num_returns="streaming", max_retries=0)(run_attempt)
    items = [ray.get(ref) for ref in remote.remote(request)]
    kinds = [kind for kind, _ in items]
    assert kinds[0] == "started" and kinds[-1] == "result"
    log = b"".join(payload for kind, payload in items if kind == "log").decode()
    assert "Got executor_input" in log
    result = items[-1][1]
    assert result.exit_code == 0, log
    assert result.output.parameter_values == {"Output": 5}
    assert not attempt.exists()


@dsl.component
def hold_gpus(seconds: float) -> str:
    import os
    import time

    time.sleep(seconds)
    return os.environ["CUDA_VISIBLE_DEVICES"]


@dsl.pipeline
def more_than_fits_at_once(copies: list) -> None:
    with dsl.ParallelFor(copies):
        task = hold_gpus(seconds=2.0).set_accelerator_type("NVIDIA_TESLA_T4")
        task.set_accelerator_limit(2)


def test_a_request_that_only_finds_the_nodes_busy_waits(
    on_ray: RayCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sluice.executors.ray import executor

    monkeypatch.setattr(executor, "_PENDING_NOTE_SECONDS", 0.5)  # note the wait sooner
    copies = len(on_ray.node_ids_with(T4)) + 1  # one more than the GPU nodes hold at once
    run = sluice.run(more_than_fits_at_once, {"copies": list(range(copies))}, executor="ray")
    assert run.state == "SUCCEEDED", run.error
    held = [t for t in run.tasks if t.name == "hold-gpus"]
    assert len(held) == copies and all(t.attempts == 1 for t in held)
    assert {t.outputs["Output"] for t in held} == {"0,1"}
    logs = [Path(str(t.log_path)).read_text() for t in held]
    assert any("sluice: waiting" in log and "GPU 2" in log for log in logs)


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
