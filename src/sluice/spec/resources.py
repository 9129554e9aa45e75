"""Resource requests of tasks (CPU, memory, accelerators) and whether this machine meets them.

Both encodings kfp emits are read: the string fields (``resourceCpuLimit: 500m``,
``resourceMemoryLimit: 2Gi``, ``accelerator.resourceType/resourceCount``) and the
legacy numeric ones (``cpuLimit``, ``memoryLimit`` in GB, ``accelerator.type/count``).
A value set from a task output is a ``{{$.inputs.parameters[...]}}`` placeholder in
the IR and is unknown until run time.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

from kfp.pipeline_spec import pipeline_spec_pb2

from sluice.devices import is_gpu_type, machine_gpus
from sluice.errors import InvalidPipelineError, ResourceUnavailableError
from sluice.spec.graph import executor_users
from sluice.spec.loader import LoadedPipeline

__all__ = [
    "MachineResources",
    "ResourceRequest",
    "check_resources",
    "machine_resources",
    "parse_quantity",
    "task_resources",
]

_ResourceSpec: TypeAlias = (
    pipeline_spec_pb2.PipelineDeploymentConfig.PipelineContainerSpec.ResourceSpec
)
_AcceleratorConfig: TypeAlias = (
    pipeline_spec_pb2.PipelineDeploymentConfig.PipelineContainerSpec.ResourceSpec.AcceleratorConfig
)


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)


_CPU_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(m?)\s*$")
_MEM_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([A-Za-z]*)\s*$")
_MEM_UNITS = {
    "": 1,
    "k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18,
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
}  # fmt: skip


@dataclass(frozen=True)
class ResourceRequest:
    """What one executor asks for; ``None`` = not set, or unknown until run time.

    Kubernetes schedules on the request, so the request wins over the limit when
    both are set. ``accelerator_count`` is 0 when no accelerator type is set (a bare
    count allocates nothing on Kubernetes either), 1 when a type is set without a
    count, and ``None`` when the count comes from a placeholder.
    """

    cpu: float | None
    memory_bytes: int | None
    accelerator_type: str | None
    accelerator_count: int | None


@dataclass(frozen=True)
class MachineResources:
    """What this machine has (``memory_bytes`` is ``None`` where it cannot be read).

    ``nvidia_gpus`` counts the GPUs tasks may get: detected NVIDIA ones, or those declared
    with ``--gpus`` / ``$SLUICE_GPUS`` (``gpu_devices``, ``gpus_declared``), which serve a
    request for any GPU type (see :mod:`sluice.devices`).
    """

    cpus: int
    memory_bytes: int | None
    nvidia_gpus: int
    gpu_devices: tuple[str, ...] = ()
    gpus_declared: bool = False


def _is_placeholder(text: str) -> bool:
    return "{{$" in text


def _parse_quantity(text: str, label: str, field: str, *, memory: bool) -> float:
    match = (_MEM_RE if memory else _CPU_RE).match(text)
    unit = match.group(2) if match else ""
    if match is None or (memory and unit not in _MEM_UNITS):
        example = "512M or 2Gi" if memory else "1, 0.5 or 500m"
        raise InvalidPipelineError(
            f"executor '{label}': {field} '{text}' is not a quantity (e.g. {example})"
        )
    number = float(match.group(1))
    if memory:
        return number * _MEM_UNITS[unit]
    return number / 1000 if unit == "m" else number


def parse_quantity(text: str, *, memory: bool, label: str, field: str) -> float:
    """A Kubernetes quantity: CPU cores (``500m`` = 0.5) or memory bytes (``2Gi``, ``512M``).

    Raises:
        InvalidPipelineError: ``text`` is not a quantity; the message names ``label`` and
            ``field``.
    """
    return _parse_quantity(text, label, field, memory=memory)


def _resource_value(
    res: _ResourceSpec,
    label: str,
    *,
    memory: bool,
) -> float | None:
    kind = "Memory" if memory else "Cpu"
    legacy_scale = 1e9 if memory else 1.0  # legacy memory fields are in GB
    for suffix in ("Request", "Limit"):
        text = str(getattr(res, f"resource_{kind.lower()}_{suffix.lower()}"))
        if text:
            if _is_placeholder(text):
                return None
            return _parse_quantity(text, label, f"resource{kind}{suffix}", memory=memory)
        legacy = float(getattr(res, f"{kind.lower()}_{suffix.lower()}"))
        if legacy > 0:
            return legacy * legacy_scale
    return None


def _accelerator_count(acc: _AcceleratorConfig, label: str) -> int | None:
    text = str(acc.resource_count) if acc.resource_count else str(acc.count or "")
    if not text:
        return 1
    if _is_placeholder(text):
        return None
    try:
        return int(float(text))
    except ValueError as exc:
        raise InvalidPipelineError(
            f"executor '{label}': accelerator count '{text}' is not a number"
        ) from exc


def task_resources(loaded: LoadedPipeline) -> dict[str, ResourceRequest]:
    """The resource request of every container executor, keyed by executor label.

    Raises:
        InvalidPipelineError: a quantity that is neither a number nor a placeholder.
    """
    result: dict[str, ResourceRequest] = {}
    for label, executor in loaded.deployment.executors.items():
        if executor.WhichOneof("spec") != "container":
            continue
        res = executor.container.resources
        cpu = _resource_value(res, label, memory=False)
        memory = _resource_value(res, label, memory=True)
        acc = res.accelerator
        raw_type = str(acc.resource_type or acc.type)
        # Without a type Kubernetes has nothing to allocate, so a bare count means nothing.
        count = _accelerator_count(acc, label) if raw_type else 0
        acc_type = raw_type if raw_type and not _is_placeholder(raw_type) else None
        result[label] = ResourceRequest(
            cpu=cpu,
            memory_bytes=round(memory) if memory is not None else None,
            accelerator_type=acc_type,
            accelerator_count=count,
        )
    return result


def machine_resources() -> MachineResources:
    """CPUs, physical memory and GPUs of this machine (cheap to call).

    Raises:
        UserInputError: ``$SLUICE_GPUS`` is malformed.
    """
    memory: int | None = None
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        memory = None
    gpus = machine_gpus()
    return MachineResources(
        cpus=os.cpu_count() or 1,
        memory_bytes=memory,
        nvidia_gpus=len(gpus.devices),
        gpu_devices=gpus.devices,
        gpus_declared=gpus.source != "detected",
    )


def _human_bytes(n: float) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{int(n)} B"


def _accelerator_problem(kind: str | None, count: int, have: MachineResources) -> str | None:
    # Detected GPUs are NVIDIA ones; declared GPUs serve any GPU type. An unknown (run-time)
    # type may be one of them. Only the machine's total is checked: a task whose GPUs are
    # busy waits for them (executors/gpu_pool.py).
    if have.gpus_declared:
        usable = is_gpu_type(kind)
    else:
        usable = kind is None or "nvidia" in kind.lower() or kind.upper().startswith("TESLA")
    available = have.nvidia_gpus if usable else 0
    if count <= available:
        return None
    what = kind or "accelerator"
    if not usable:
        return f"asks for {count} {what} but Sluice finds none on this machine"
    if not available:
        return f"asks for {count} {what} but this machine has none"
    names = ",".join(have.gpu_devices) if have.gpu_devices else ""
    source = "--gpus/$SLUICE_GPUS" if have.gpus_declared else "detected"
    detail = f"GPUs {names}, {source}" if names else source
    return f"asks for {count} {what} but this machine has {available} ({detail})"


def check_resources(
    loaded: LoadedPipeline,
    *,
    allow_unsatisfiable: bool = False,
    machine: MachineResources | None = None,
) -> list[str]:
    """Check every task's resource request against this machine.

    Args:
        loaded: the pipeline.
        allow_unsatisfiable: return the problems as warnings instead of raising.
        machine: what the machine has; measured with :func:`machine_resources` if omitted.

    Raises:
        ResourceUnavailableError: a request cannot be met and ``allow_unsatisfiable`` is false.
    """
    requests = task_resources(loaded)
    if not any(
        r.accelerator_count or r.cpu is not None or r.memory_bytes is not None
        for r in requests.values()
    ):
        # Nothing to check: spare the machine's measurement (a stat, a PATH search for
        # nvidia-smi, maybe running it), which every run's creation would otherwise pay.
        return []
    have = machine or machine_resources()
    exec_users = executor_users(loaded.spec)
    problems: list[str] = []
    for label in sorted(requests):
        req, who = requests[label], f"task {_quoted(exec_users.get(label, []) or [label])}"
        if req.accelerator_count:  # None: decided at run time, not checkable now
            problem = _accelerator_problem(req.accelerator_type, req.accelerator_count, have)
            if problem:
                problems.append(f"{who} {problem}")
        if req.cpu is not None and req.cpu > have.cpus:
            problems.append(f"{who} asks for {req.cpu:g} CPUs but this machine has {have.cpus}")
        if (
            req.memory_bytes is not None
            and have.memory_bytes is not None
            and req.memory_bytes > have.memory_bytes
        ):
            problems.append(
                f"{who} asks for {_human_bytes(req.memory_bytes)} of memory but this machine "
                f"has {_human_bytes(have.memory_bytes)}"
            )
    if problems and not allow_unsatisfiable:
        raise ResourceUnavailableError(
            "; ".join(problems) + "; pass --allow-unsatisfiable-resources / "
            "allow_unsatisfiable_resources=True to run anyway"
        )
    return problems
