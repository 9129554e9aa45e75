"""A task's resources as Ray task options, and whether any node of the cluster can meet them.

Mapping (Ray schedules on what a task asks for, as Kubernetes schedules on requests):

* CPU: the request, else the limit, else 1 (Ray's own default for a task) → ``num_cpus``;
* memory: the request, else the limit (bytes) → ``memory``;
* accelerator count → ``num_gpus`` (``resources={"TPU": n}`` for a TPU type);
* a specific accelerator type (``NVIDIA_TESLA_T4``, ``A100``) → the custom resource
  ``accelerator_type:<Ray's name>`` at 0.001, the resource Ray itself advertises on a node
  whose GPUs it detected (and that ``ray start --resources`` can declare). A generic type
  (``nvidia.com/gpu``, ``gpu``) asks for any GPU.

Pure functions: nothing here imports Ray.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sluice.executors.base import Resources

__all__ = [
    "ACCELERATOR_RESOURCE_PREFIX",
    "RayRequest",
    "infeasible_reason",
    "ray_accelerator_name",
    "ray_request",
]

ACCELERATOR_RESOURCE_PREFIX = "accelerator_type:"

# What Ray adds for `accelerator_type=`: a sliver of the node's one unit, so any number of
# tasks fit on the node as far as this resource goes (GPUs count the devices).
_TYPE_SLIVER = 0.001

# Types that name no model: any GPU will do.
_GENERIC = {"nvidia.com/gpu", "gpu", "nvidia", "amd.com/gpu", "cuda"}

# Vertex AI / KFP names of NVIDIA models, as Ray names them (`ray.util.accelerators`).
_RAY_NAMES = {
    "NVIDIA_TESLA_K80": "K80",
    "NVIDIA_TESLA_P4": "P4",
    "NVIDIA_TESLA_P100": "P100",
    "NVIDIA_TESLA_V100": "V100",
    "NVIDIA_TESLA_T4": "T4",
    "NVIDIA_TESLA_A100": "A100",
    "NVIDIA_A100_80GB": "A100-80G",
    "NVIDIA_H100_80GB": "H100",
    "NVIDIA_H100_MEGA_80GB": "H100",
    "NVIDIA_H200_141GB": "H200",
    "NVIDIA_L4": "L4",
    "NVIDIA_A10G": "A10G",
}


@dataclass(frozen=True, kw_only=True)
class RayRequest:
    """A task's Ray options (``num_cpus``, ``num_gpus``, ``memory``, ``resources``)."""

    num_cpus: float = 1.0
    num_gpus: float = 0.0
    memory: int | None = None
    resources: dict[str, float] = field(default_factory=dict)

    def options(self) -> dict[str, Any]:
        """Keyword arguments for ``remote_function.options(...)``."""
        options: dict[str, Any] = {"num_cpus": self.num_cpus, "num_gpus": self.num_gpus}
        if self.memory:
            options["memory"] = self.memory
        if self.resources:
            options["resources"] = dict(self.resources)
        return options

    def demand(self) -> dict[str, float]:
        """The request as node resources (``CPU``, ``GPU``, ``memory`` and custom ones)."""
        demand = {"CPU": self.num_cpus, "GPU": self.num_gpus, "memory": float(self.memory or 0)}
        demand.update(self.resources)
        return {key: value for key, value in demand.items() if value}

    def describe(self) -> str:
        """``CPU 2, GPU 1, accelerator_type:T4`` (the sliver of a type is not shown)."""
        parts = []
        for key, value in self.demand().items():
            if key.startswith(ACCELERATOR_RESOURCE_PREFIX):
                parts.append(key)
            elif key == "memory":
                parts.append(f"memory {_gib(value)}")
            else:
                parts.append(f"{key} {value:g}")
        return ", ".join(parts)


def ray_accelerator_name(accelerator_type: str) -> str | None:
    """Ray's name of a specific accelerator model; None for a generic type (any GPU)."""
    name = accelerator_type.strip()
    if not name or name.lower() in _GENERIC:
        return None
    upper = name.upper()
    if upper in _RAY_NAMES:
        return _RAY_NAMES[upper]
    for prefix in ("NVIDIA_TESLA_", "NVIDIA_"):
        if upper.startswith(prefix):
            return name[len(prefix) :].replace("_", "-")
    return name


def ray_request(resources: Resources) -> RayRequest:
    """The Ray options of a task that asks for ``resources``."""
    cpu = resources.cpu_request if resources.cpu_request is not None else resources.cpu_limit
    memory = (
        resources.memory_request if resources.memory_request is not None else resources.memory_limit
    )
    count = resources.accelerator_count if resources.accelerator_type else 0
    extra: dict[str, float] = {}
    gpus = 0.0
    if count:
        kind = resources.accelerator_type or ""
        if kind.upper().startswith("TPU"):
            extra["TPU"] = float(count)
        else:
            gpus = float(count)
            model = ray_accelerator_name(kind)
            if model is not None:
                extra[ACCELERATOR_RESOURCE_PREFIX + model] = _TYPE_SLIVER
    return RayRequest(
        num_cpus=float(cpu) if cpu is not None else 1.0,
        num_gpus=gpus,
        memory=int(memory) if memory else None,
        resources=extra,
    )


def infeasible_reason(request: RayRequest, nodes: Iterable[Mapping[str, Any]]) -> str | None:
    """Why no alive node can ever run ``request`` (None: one can, even if busy now).

    ``nodes`` are ``ray.nodes()`` entries: ``Alive`` and ``Resources`` (the node's totals,
    not what is free: a busy node only makes the task wait).
    """
    demand = request.demand()
    alive = [dict(n.get("Resources") or {}) for n in nodes if n.get("Alive")]
    for totals in alive:
        if all(totals.get(key, 0.0) + 1e-9 >= value for key, value in demand.items()):
            return None
    if not alive:
        return "the Ray cluster has no alive node"
    best = max(alive, key=lambda totals: (totals.get("GPU", 0.0), totals.get("CPU", 0.0)))
    return (
        f"asks for {request.describe()} but no alive Ray node has that "
        f"(largest: {_describe_node(best)}; {len(alive)} node{'s' if len(alive) > 1 else ''})"
    )


def _describe_node(totals: Mapping[str, float]) -> str:
    parts = [f"CPU {totals.get('CPU', 0.0):g}", f"GPU {totals.get('GPU', 0.0):g}"]
    if totals.get("memory"):
        parts.append(f"memory {_gib(totals['memory'])}")
    parts += sorted(k for k in totals if k.startswith(ACCELERATOR_RESOURCE_PREFIX))
    return ", ".join(parts)


def _gib(n: float) -> str:
    gib = n / 2**30
    return f"{gib:.1f} GiB" if gib >= 0.1 else f"{math.ceil(n / 2**20)} MiB"
