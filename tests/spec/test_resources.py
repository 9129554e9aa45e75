"""Tests for sluice.spec.resources: reading resource requests and checking them."""

# No `from __future__ import annotations`: kfp reads component annotations at runtime.

import os
from typing import Any

import pytest
from kfp import dsl

from sluice.errors import InvalidPipelineError, ResourceUnavailableError
from sluice.spec import validate
from sluice.spec.loader import load_pipeline
from sluice.spec.resources import (
    MachineResources,
    ResourceRequest,
    check_resources,
    machine_resources,
    task_resources,
)

IMAGE = "python:3.11"
GIB = 2**30
NO_GPU = MachineResources(cpus=2, memory_bytes=8 * GIB, nvidia_gpus=0)


@dsl.component(base_image=IMAGE)
def work(n: int) -> str:
    return str(n)


@dsl.pipeline
def gpu_pipeline() -> None:
    (
        work(n=1)
        .set_cpu_limit("1")
        .set_memory_limit("512M")
        .set_accelerator_type("nvidia.com/gpu")
        .set_accelerator_limit(1)
    )
    work(n=2).set_cpu_request("500m").set_cpu_limit("4").set_memory_limit("2Gi")
    work(n=3)


@dsl.pipeline
def runtime_pipeline() -> None:
    first = work(n=1)
    (
        work(n=2)
        .set_cpu_limit(first.output)
        .set_memory_limit(first.output)
        .set_accelerator_type("nvidia.com/gpu")
        .set_accelerator_limit(first.output)
    )


def _with_resources(resources: dict[str, Any]) -> Any:
    doc = load_pipeline(gpu_pipeline).to_dict()["pipeline_spec"]
    doc["deploymentSpec"]["executors"]["exec-work-3"]["container"]["resources"] = resources
    return load_pipeline(doc)


def test_string_fields_from_kfp() -> None:
    requests = task_resources(load_pipeline(gpu_pipeline))
    assert requests == {
        "exec-work": ResourceRequest(
            cpu=1.0,
            memory_bytes=512_000_000,
            accelerator_type="nvidia.com/gpu",
            accelerator_count=1,
        ),
        # Kubernetes schedules on the request: 500m, not the 4-CPU limit.
        "exec-work-2": ResourceRequest(
            cpu=0.5, memory_bytes=2 * GIB, accelerator_type=None, accelerator_count=0
        ),
        "exec-work-3": ResourceRequest(
            cpu=None, memory_bytes=None, accelerator_type=None, accelerator_count=0
        ),
    }
    assert validate.task_resources is task_resources  # re-exported for the engine


def test_legacy_numeric_fields() -> None:
    loaded = _with_resources(
        {"cpuLimit": 2.5, "memoryLimit": 0.268435456, "accelerator": {"type": "T4", "count": "2"}}
    )
    assert task_resources(loaded)["exec-work-3"] == ResourceRequest(
        cpu=2.5, memory_bytes=268_435_456, accelerator_type="T4", accelerator_count=2
    )


@pytest.mark.parametrize(
    ("memory", "expected"),
    [("1Ki", 1024), ("3k", 3000), ("1.5G", 1_500_000_000), ("1e3", 1000), ("7", 7)],
)
def test_memory_quantities(memory: str, expected: int) -> None:
    loaded = _with_resources({"resourceMemoryLimit": memory})
    assert task_resources(loaded)["exec-work-3"].memory_bytes == expected


def test_placeholders_are_unknown_until_run_time() -> None:
    requests = task_resources(load_pipeline(runtime_pipeline))
    assert requests["exec-work-2"] == ResourceRequest(
        cpu=None, memory_bytes=None, accelerator_type="nvidia.com/gpu", accelerator_count=None
    )
    # Nothing checkable: passes even on a machine without GPUs.
    assert check_resources(load_pipeline(runtime_pipeline), machine=NO_GPU) == []


def test_bad_quantities() -> None:
    with pytest.raises(InvalidPipelineError) as info:
        task_resources(_with_resources({"resourceCpuLimit": "lots"}))
    assert str(info.value) == (
        "executor 'exec-work-3': resourceCpuLimit 'lots' is not a quantity (e.g. 1, 0.5 or 500m)"
    )
    with pytest.raises(InvalidPipelineError, match="resourceMemoryLimit '2GB' is not a quantity"):
        task_resources(_with_resources({"resourceMemoryLimit": "2GB"}))
    with pytest.raises(InvalidPipelineError, match="accelerator count 'two' is not a number"):
        task_resources(
            _with_resources({"accelerator": {"resourceType": "x", "resourceCount": "two"}})
        )


def test_gpu_request_on_a_machine_without_gpus() -> None:
    loaded = load_pipeline(gpu_pipeline)
    with pytest.raises(ResourceUnavailableError) as info:
        check_resources(loaded, machine=NO_GPU)
    # work-2 has a 4-CPU limit but requests only 500m, which fits.
    assert str(info.value) == (
        "task 'work' asks for 1 nvidia.com/gpu but this machine has none; "
        "pass --allow-unsatisfiable-resources / allow_unsatisfiable_resources=True to run anyway"
    )
    warnings = check_resources(loaded, allow_unsatisfiable=True, machine=NO_GPU)
    assert warnings == ["task 'work' asks for 1 nvidia.com/gpu but this machine has none"]


def test_satisfiable_with_a_gpu() -> None:
    machine = MachineResources(cpus=8, memory_bytes=16 * GIB, nvidia_gpus=1)
    assert check_resources(load_pipeline(gpu_pipeline), machine=machine) == []


def test_too_many_cpus_and_too_much_memory() -> None:
    loaded = _with_resources({"resourceCpuLimit": "16", "resourceMemoryLimit": "64Gi"})
    problems = check_resources(
        loaded,
        allow_unsatisfiable=True,
        machine=MachineResources(cpus=2, memory_bytes=8 * GIB, nvidia_gpus=1),
    )
    assert problems == [
        "task 'work-3' asks for 16 CPUs but this machine has 2",
        "task 'work-3' asks for 64.0 GiB of memory but this machine has 8.0 GiB",
    ]


def test_accelerators_we_cannot_detect() -> None:
    loaded = _with_resources({"accelerator": {"resourceType": "amd.com/gpu", "resourceCount": "1"}})
    machine = MachineResources(cpus=2, memory_bytes=None, nvidia_gpus=4)
    problems = check_resources(loaded, allow_unsatisfiable=True, machine=machine)
    assert (
        problems[-1] == "task 'work-3' asks for 1 amd.com/gpu but Sluice finds none on this machine"
    )


def test_machine_resources_measures_this_machine() -> None:
    have = machine_resources()
    assert have.cpus == os.cpu_count()
    assert have.memory_bytes is not None and have.memory_bytes > 0
    assert have.nvidia_gpus >= 0
    # A pipeline asking for nothing is satisfiable anywhere.
    doc = load_pipeline(gpu_pipeline).to_dict()["pipeline_spec"]
    for executor in doc["deploymentSpec"]["executors"].values():
        executor["container"].pop("resources", None)
    assert check_resources(load_pipeline(doc)) == []
