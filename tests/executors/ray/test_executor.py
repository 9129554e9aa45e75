"""Pipelines on a real three-node Ray cluster (loopback): placement by resources, retries,
ParallelFor with artifacts between tasks, packages on the worker, busy requests waiting, an
infeasible request refused before the run, a server with the ray executor, and a node without
the driver's files (failures are in test_failures.py).

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
from .support import require_ray

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
        run = client.wait_for_run_completion(created.run_id, timeout=120, sleep_duration=0.5)
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
