"""A task's resources as Ray options, and the feasibility check against node totals (no Ray)."""

from __future__ import annotations

from sluice.executors.base import Resources
from sluice.executors.ray.resources import (
    RayRequest,
    infeasible_reason,
    ray_accelerator_name,
    ray_request,
)

GIB = 2**30


def test_cpu_memory_and_gpus_map_to_ray_options() -> None:
    asked = Resources(
        cpu_request=0.5,
        cpu_limit=2.0,
        memory_request=GIB,
        memory_limit=2 * GIB,
        accelerator_type="NVIDIA_TESLA_T4",
        accelerator_count=2,
    )
    assert ray_request(asked).options() == {
        "num_cpus": 0.5,  # the request wins: Ray schedules on it, as Kubernetes does
        "num_gpus": 2.0,
        "memory": GIB,
        "resources": {"accelerator_type:T4": 0.001},
    }
    assert ray_request(Resources(cpu_limit=3.0, memory_limit=GIB)).options() == {
        "num_cpus": 3.0,
        "num_gpus": 0.0,
        "memory": GIB,
    }
    assert ray_request(Resources()).options() == {"num_cpus": 1.0, "num_gpus": 0.0}


def test_accelerator_types_as_ray_names_them() -> None:
    assert ray_accelerator_name("nvidia.com/gpu") is None  # any GPU
    assert ray_accelerator_name("NVIDIA_TESLA_V100") == "V100"
    assert ray_accelerator_name("NVIDIA_A100_80GB") == "A100-80G"
    assert ray_accelerator_name("NVIDIA_L4") == "L4"
    assert ray_accelerator_name("NVIDIA_RTX_PRO_6000") == "RTX-PRO-6000"
    assert ray_accelerator_name("H100") == "H100"
    generic = ray_request(Resources(accelerator_type="nvidia.com/gpu", accelerator_count=1))
    assert generic.options() == {"num_cpus": 1.0, "num_gpus": 1.0}
    tpu = ray_request(Resources(accelerator_type="TPU_V4", accelerator_count=4))
    assert tpu.options() == {"num_cpus": 1.0, "num_gpus": 0.0, "resources": {"TPU": 4.0}}


NODES = [
    {"Alive": True, "Resources": {"CPU": 4.0, "memory": 8.0 * GIB}},
    {"Alive": True, "Resources": {"CPU": 1.0, "GPU": 2.0, "accelerator_type:T4": 1.0}},
    {"Alive": False, "Resources": {"CPU": 64.0, "GPU": 8.0, "accelerator_type:T4": 1.0}},
]


def test_a_request_some_alive_node_can_hold_is_feasible() -> None:
    assert infeasible_reason(RayRequest(num_cpus=4), NODES) is None
    t4 = ray_request(Resources(accelerator_type="NVIDIA_TESLA_T4", accelerator_count=2))
    assert infeasible_reason(t4, NODES) is None


def test_an_infeasible_request_says_what_the_largest_node_has() -> None:
    # Only the dead node had 8 GPUs; the CPUs and GPUs must be on one node.
    eight = ray_request(Resources(accelerator_type="NVIDIA_TESLA_T4", accelerator_count=8))
    assert infeasible_reason(eight, NODES) == (
        "asks for CPU 1, GPU 8, accelerator_type:T4 but no alive Ray node has that "
        "(largest: CPU 1, GPU 2, accelerator_type:T4; 2 nodes)"
    )
    spread = RayRequest(num_cpus=4, num_gpus=1)
    assert infeasible_reason(spread, NODES) is not None
    a100 = ray_request(Resources(accelerator_type="NVIDIA_TESLA_A100", accelerator_count=1))
    assert "accelerator_type:A100" in (infeasible_reason(a100, NODES) or "")
    big = RayRequest(memory=16 * GIB)
    assert "memory 16.0 GiB" in (infeasible_reason(big, NODES) or "")
    assert infeasible_reason(RayRequest(), []) == "the Ray cluster has no alive node"
