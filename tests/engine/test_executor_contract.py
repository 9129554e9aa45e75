"""The engine takes a task's outputs from its executor, as an executor elsewhere returns them.

The executor here runs nothing on this machine and writes no file: it computes each task's
outputs from the request, as a remote worker would report them, and the run must succeed
with those outputs reaching the downstream task and the run's outputs.
"""

import textwrap
from pathlib import Path
from typing import ClassVar

import pytest
from kfp import dsl

from sluice.client.local import resume, run
from sluice.config import Settings
from sluice.errors import UserInputError
from sluice.executors.base import (
    ExecutionRequest,
    ExecutionResult,
    ExecutorOutput,
    OutputArtifact,
    Resources,
)
from sluice.executors.registry import UnknownExecutorError
from sluice.store.repository import Store


class FarAwayExecutor:
    """Reports outputs it computed itself; fails the first attempt when asked to."""

    uses_images = True
    requests: ClassVar[list[ExecutionRequest]] = []
    fail_first: ClassVar[bool] = False

    def __init__(self, settings: Settings) -> None:
        del settings

    async def execute(self, request: ExecutionRequest) -> ExecutionResult:
        type(self).requests.append(request)
        if type(self).fail_first:
            type(self).fail_first = False
            return ExecutionResult(exit_code=1, how="far-away")
        inputs = request.executor_input["inputs"]
        if request.task_name == "shout":
            word = inputs["parameterValues"]["word"]
            return ExecutionResult(
                exit_code=0,
                how="far-away",
                output=ExecutorOutput(
                    parameter_values={"Output": word.upper()},
                    artifacts={
                        "data": [OutputArtifact(uri="s3://far/shout/data", metadata={"rows": 3})]
                    },
                ),
            )
        if request.task_name == "cpus":
            value = inputs["parameterValues"]["value"]
            output = ExecutorOutput(parameter_values={"Output": value})
            return ExecutionResult(exit_code=0, how="far-away", output=output)
        if request.task_name == "busy":
            return ExecutionResult(exit_code=0, how="far-away", output=ExecutorOutput())
        (data,) = inputs["artifacts"]["data"]["artifacts"]
        assert data["uri"] == "s3://far/shout/data"
        total = len(inputs["parameterValues"]["text"]) + int(data["metadata"]["rows"])
        return ExecutionResult(
            exit_code=0, how="far-away", output=ExecutorOutput(parameter_values={"Output": total})
        )

    async def aclose(self) -> None:
        pass


# The bodies would give other results if they ran here: they must not.
@dsl.component
def shout(word: str, data: dsl.Output[dsl.Dataset]) -> str:
    return word + "-ran-locally"


@dsl.component
def count(text: str, data: dsl.Input[dsl.Dataset]) -> int:
    return -1


@dsl.pipeline
def far_pipeline(word: str = "hi") -> int:
    a = (
        shout(word=word)
        .set_cpu_request("500m")
        .set_cpu_limit("2")
        .set_memory_request("256M")
        .set_memory_limit("512M")
        .set_accelerator_type("nvidia.com/gpu")
        .set_accelerator_limit(1)
    )
    b = count(text=a.outputs["Output"], data=a.outputs["data"])
    return b.output


@dsl.component
def cpus(value: str) -> str:
    return value


@dsl.component
def busy():
    pass


@dsl.pipeline
def cpus_from_upstream(value: str = "3"):
    limit = cpus(value=value)
    busy().set_cpu_limit(limit.output).set_memory_limit("1Gi")


@pytest.fixture(autouse=True)
def far_away(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SLUICE_HOME of its own, and the executor ``far-away`` registered by entry point."""
    monkeypatch.setenv("SLUICE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SLUICE_EXECUTOR", raising=False)
    info = tmp_path / "site" / "sluice_far_away-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: sluice-far-away\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        textwrap.dedent(f"""
        [sluice.executors]
        far-away = {__name__}:FarAwayExecutor
        """)
    )
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    FarAwayExecutor.requests = []
    FarAwayExecutor.fail_first = False


def test_outputs_come_from_the_executor(tmp_path: Path) -> None:
    root = tmp_path / "root"
    result = run(
        far_pipeline,
        {"word": "hi"},
        pipeline_root=root,
        executor="far-away",
        allow_unsatisfiable_resources=True,
    )
    assert result.state == "SUCCEEDED", result.error
    assert result.outputs["Output"] == 5  # len("HI") + rows 3, computed far away
    tasks = {t.name: t for t in result.tasks}
    assert tasks["shout"].outputs["Output"] == "HI"
    # Nothing was written where the engine used to read outputs from.
    assert not list(root.rglob("executor_output.json"))
    store = Store(Settings.from_env().db_url)
    row = store.get_run(result.id)
    assert row is not None and row.options["executor"] == "far-away"
    data = tasks["shout"].outputs["data"]
    assert data.uri == "s3://far/shout/data" and data.metadata == {"rows": 3}


def test_the_request_carries_the_task_resources(tmp_path: Path) -> None:
    run(far_pipeline, executor="far-away", allow_unsatisfiable_resources=True)
    requests = {r.task_name: r for r in FarAwayExecutor.requests}
    assert requests["shout"].resources == Resources(
        cpu_request=0.5,
        cpu_limit=2.0,
        memory_request=256_000_000,
        memory_limit=512_000_000,
        accelerator_type="nvidia.com/gpu",
        accelerator_count=1,
    )
    assert requests["count"].resources == Resources()
    assert not hasattr(requests["count"], "use_container")


def test_a_resumed_run_uses_the_executor_it_started_with() -> None:
    FarAwayExecutor.fail_first = True
    failed = run(far_pipeline, executor="far-away", allow_unsatisfiable_resources=True)
    assert failed.state == "FAILED"
    resumed = resume(failed.id)  # no executor given: the run's own
    assert resumed.state == "SUCCEEDED", resumed.error
    assert resumed.outputs["Output"] == 5
    assert [r.task_name for r in FarAwayExecutor.requests] == ["shout", "shout", "count"]


def test_an_unknown_executor_writes_nothing() -> None:
    with pytest.raises(
        UnknownExecutorError, match=r"unknown executor 'nope'; available: .*far-away"
    ):
        run(far_pipeline, executor="nope", allow_unsatisfiable_resources=True)
    with pytest.raises(UserInputError, match="means the docker or podman executor"):
        run(far_pipeline, executor="far-away", use_container=True)
    assert Store(Settings.from_env().db_url).list_runs(limit=5) == []


def test_resources_set_from_an_upstream_output_are_resolved() -> None:
    result = run(cpus_from_upstream, {"value": "1500m"}, executor="far-away")
    assert result.state == "SUCCEEDED", result.error
    requests = {r.task_name: r for r in FarAwayExecutor.requests}
    assert requests["busy"].resources == Resources(cpu_limit=1.5, memory_limit=2**30)


def test_a_resource_from_an_upstream_output_that_is_no_quantity_fails_the_task() -> None:
    result = run(cpus_from_upstream, {"value": "lots"}, executor="far-away")
    assert result.state == "FAILED"
    assert "resourceCpuLimit 'lots' is not a quantity" in (result.task("busy").error or "")
    assert [r.task_name for r in FarAwayExecutor.requests] == ["cpus"]  # busy never ran
