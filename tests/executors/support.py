"""Turning a compiled component into an ExecutionRequest, as the engine would."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from google.protobuf import json_format

from sluice.executors.base import ExecutionRequest

T = TypeVar("T")


def container_of(component: Any) -> dict[str, Any]:
    """The single executor's ``container`` spec of a compiled component."""
    spec = json_format.MessageToDict(component.pipeline_spec)
    (executor,) = spec["deploymentSpec"]["executors"].values()
    return dict(executor["container"])


def raw_command(component: Any) -> list[str]:
    """``command + args`` with placeholders left in."""
    container = container_of(component)
    return list(container.get("command", [])) + list(container.get("args", []))


def make_request(
    component: Any,
    root: Path,
    inputs: dict[str, Any] | None = None,
    *,
    env: dict[str, str] | None = None,
    name: str = "task",
) -> ExecutionRequest:
    """A request running ``component`` with ``inputs``; outputs under ``root/name``."""
    spec = json_format.MessageToDict(component.pipeline_spec)
    (comp,) = spec["components"].values()
    outputs = comp.get("outputDefinitions", {})
    task_root = root / name
    task_root.mkdir(parents=True, exist_ok=True)
    out_params = {
        key: {"outputFile": str(task_root / key)} for key in outputs.get("parameters", {})
    }
    out_artifacts = {
        key: {
            "artifacts": [{"name": key, "type": value["artifactType"], "uri": str(task_root / key)}]
        }
        for key, value in outputs.get("artifacts", {}).items()
    }
    executor_input = {
        "inputs": {"parameterValues": inputs or {}},
        "outputs": {
            "parameters": out_params,
            "artifacts": out_artifacts,
            "outputFile": str(task_root / "executor_output.json"),
        },
    }
    container = container_of(component)
    substitutions = {"{{$}}": json.dumps(executor_input)}
    for key, value in (inputs or {}).items():
        substitutions[f"{{{{$.inputs.parameters['{key}']}}}}"] = str(value)
    for key, value in out_params.items():
        substitutions[f"{{{{$.outputs.parameters['{key}'].output_file}}}}"] = value["outputFile"]

    def resolve(arg: str) -> str:
        for placeholder, value in substitutions.items():
            arg = arg.replace(placeholder, value)
        return arg

    command = [resolve(a) for a in raw_command(component)]
    return ExecutionRequest(
        task_name=name,
        image=container["image"],
        command=command,
        env=env or {},
        log_path=root / "logs" / f"{name}.log",
        work_dir=root / "work" / name,
    )


def executor_output(request: ExecutionRequest) -> dict[str, Any]:
    """The parsed ``executor_output.json`` the component wrote."""
    path = request.log_path.parent.parent / request.task_name / "executor_output.json"
    return dict(json.loads(path.read_text()))


async def wait_for_line(path: Path, line: str, timeout: float = 30) -> None:
    """Wait (bounded) until ``path`` has the line ``line``: an event, never a duration."""
    deadline = time.monotonic() + timeout
    while not (path.exists() and line in path.read_text().splitlines()):
        assert time.monotonic() < deadline, f"{path} never got the line {line!r}"
        await asyncio.sleep(0.02)


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion (the tests are synchronous)."""
    return asyncio.run(coro)
