"""``sluice server --gpus``: the server's runs get the declared GPUs, and a request larger
than them is refused at creation (HTTP 400), through the unmodified ``kfp.Client``.

No ``from __future__ import annotations``: kfp reads the components' real annotations.
"""

from collections.abc import Iterator
from pathlib import Path

import kfp
import pytest
from kfp import dsl
from kfp_server_api.exceptions import ApiException
from tests.server.server_process import ServerProcess


@dsl.component
def needs_devices(expected: str) -> str:
    import os

    seen = os.environ.get("CUDA_VISIBLE_DEVICES")
    if seen != expected:
        raise RuntimeError(f"CUDA_VISIBLE_DEVICES is {seen!r}, not {expected!r}")
    return seen


@dsl.pipeline
def two_gpus() -> str:
    task = needs_devices(expected="3,5")
    task.set_accelerator_type("nvidia.com/gpu").set_accelerator_limit(2)
    return task.output


@dsl.pipeline
def four_gpus() -> str:
    task = needs_devices(expected="")
    task.set_accelerator_type("nvidia.com/gpu").set_accelerator_limit(4)
    return task.output


@pytest.fixture(scope="module")
def gpu_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    home = tmp_path_factory.mktemp("gpu-server")
    with ServerProcess(home, cli_args=["--gpus", "3,5"], env={"SLUICE_GPUS": "none"}) as server:
        yield server


def test_the_server_runs_tasks_on_its_declared_gpus(gpu_server: ServerProcess) -> None:
    client = kfp.Client(host=gpu_server.url)
    created = client.create_run_from_pipeline_func(two_gpus, arguments={})
    run = client.wait_for_run_completion(created.run_id, timeout=180)
    assert run.state == "SUCCEEDED", Path(gpu_server.log).read_text()[-2000:]


def test_the_server_refuses_more_gpus_than_it_has(gpu_server: ServerProcess) -> None:
    client = kfp.Client(host=gpu_server.url)
    with pytest.raises(ApiException) as caught:
        client.create_run_from_pipeline_func(four_gpus, arguments={})
    assert caught.value.status == 400
    assert "asks for 4 nvidia.com/gpu but this machine has 2 (GPUs 3,5" in str(caught.value.body)
