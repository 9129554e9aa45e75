"""Resource requests and unsatisfiable accelerators."""

from __future__ import annotations

from typing import Any

import pytest

import sluice

from .pipelines import resources


def _flat(d: Any) -> dict[str, Any]:
    """Flattens nested dicts to ``a.b`` keys, lower-cased, so the check is layout-agnostic."""
    out: dict[str, Any] = {}
    if isinstance(d, dict):
        for k, v in d.items():
            for sub_k, sub_v in _flat(v).items():
                out[f"{str(k).lower()}{'.' + sub_k if sub_k else ''}"] = sub_v
    else:
        out[""] = d
    return out


def test_cpu_and_memory_are_recorded() -> None:
    """set_cpu_limit/set_memory_limit/... are recorded on the task; the task runs."""
    run = sluice.run(resources.cpu_memory)
    assert run.state == "SUCCEEDED", run.error
    assert run.outputs["Output"] == 2
    flat = _flat(run.task("light").resources)
    values = {k: str(v) for k, v in flat.items()}
    cpu_limit = [v for k, v in values.items() if "cpu" in k and "limit" in k]
    mem_limit = [v for k, v in values.items() if "memory" in k and "limit" in k]
    cpu_req = [v for k, v in values.items() if "cpu" in k and "request" in k]
    mem_req = [v for k, v in values.items() if "memory" in k and "request" in k]
    assert set(cpu_limit) & {"1", "1.0"}, flat
    assert set(mem_limit) & {"1G", "1.0"}, flat
    assert set(cpu_req) & {"500m", "0.5"}, flat
    assert set(mem_req) & {"256M", "0.256"}, flat


def test_gpu_request_is_rejected_before_the_run() -> None:
    """This machine has no GPU: ResourceUnavailableError, and no run is recorded."""
    with pytest.raises(sluice.ResourceUnavailableError) as err:
        sluice.run(resources.needs_gpu)
    assert "gpu" in str(err.value).lower()
    assert isinstance(err.value, sluice.UserInputError)
    assert sluice.list_runs() == []


def test_gpu_request_allowed_when_asked() -> None:
    """allow_unsatisfiable_resources=True runs the task anyway and records the request."""
    run = sluice.run(resources.needs_gpu, allow_unsatisfiable_resources=True)
    assert run.state == "SUCCEEDED", run.error
    assert run.outputs["Output"] == 2
    assert "nvidia.com/gpu" in str(run.task("light").resources)


def test_resource_from_upstream_output() -> None:
    """The producer of a resource value runs first; the resolved value is recorded."""
    run = sluice.run(resources.cpu_from_output)
    assert run.state == "SUCCEEDED", run.error
    producer, consumer = run.task("pick-cpu"), run.task("light")
    assert producer.state == consumer.state == "SUCCEEDED"
    assert producer.finished_at is not None and consumer.started_at is not None
    assert producer.finished_at <= consumer.started_at
    flat = {k: str(v) for k, v in _flat(consumer.resources).items()}
    assert {v for k, v in flat.items() if "cpu" in k and "limit" in k} & {"2", "2.0"}, flat
    assert "{{" not in str(consumer.resources)
