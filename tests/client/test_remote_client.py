"""``sluice.Client(host=...)`` against a real server: the same ``Run`` views as locally."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Iterator

import httpx
import kfp
import pytest
from tests.server.conftest import RunningServer, start_server
from typer.testing import CliRunner

from sluice import Client, ComponentError, ComponentTraceback, RunConfig, UserInputError
from sluice.cli.main import app
from sluice.client.models import Run

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")

PIPELINES = """
from kfp import dsl
from kfp.dsl import Dataset, Output


@dsl.component(base_image="python:3.11")
def double(n: int) -> int:
    return n * 2


@dsl.component(base_image="python:3.11")
def write(text: str, out: Output[Dataset]):
    with open(out.path, "w") as handle:
        handle.write(text)


@dsl.component(base_image="python:3.11")
def boom(n: int):
    print("about to fail")
    raise ValueError(f"bad n: {n}")


@dsl.component(base_image="python:3.11")
def nap(seconds: int):
    import time

    time.sleep(seconds)


@dsl.pipeline(name="good")
def good(n: int = 3) -> int:
    return double(n=double(n=n).output).output


@dsl.pipeline(name="data")
def data(text: str = "hi") -> Dataset:
    return write(text=text).outputs["out"]


@dsl.pipeline(name="bad")
def bad(n: int = 3):
    boom(n=double(n=n).output)


@dsl.pipeline(name="sleepy")
def sleepy(seconds: int = 60):
    nap(seconds=seconds)
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    home = tmp_path_factory.mktemp("remote-client-home")
    mp = pytest.MonkeyPatch()
    mp.setenv("SLUICE_HOME", str(home))
    for name in ("SLUICE_DB_URL", "SLUICE_TOKEN", "SLUICE_HOST"):
        mp.delenv(name, raising=False)
    running, stop = start_server(home, background=True)
    try:
        yield running
    finally:
        stop()
        mp.undo()


@pytest.fixture(scope="module")
def pipelines(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("pipelines") / "pipelines.py"
    path.write_text(textwrap.dedent(PIPELINES))
    return str(path)


def _summary(run: Run) -> tuple[object, ...]:
    # Artifacts are compared by class and URI (kfp's artifact classes have no equality).
    outputs = {
        k: (type(v).__name__, v.uri) if hasattr(v, "uri") else v for k, v in run.outputs.items()
    }
    return (run.id, run.name, run.pipeline_name, run.state, run.created_at, outputs)


def test_remote_runs_equal_local_views(server: RunningServer, pipelines: str) -> None:
    remote = Client(host=server.url)
    local = Client(home=server.home)
    run = remote.run(pipelines, {"n": 5}, config=RunConfig(pipeline_name="good"))
    assert run.state == "SUCCEEDED" and run.outputs == {"Output": 20}
    assert run == local.get_run(run.id)  # every field, tasks included
    assert remote.get_run(run.id[:8]) == run
    assert [t.path for t in run.tasks] == ["double", "double-2"]

    # Artifacts come back as the same kfp.dsl classes with the same URIs.
    made = remote.submit(pipelines, pipeline_name="data").result(timeout=120)
    there = local.get_run(made.id)
    out, expected = made.outputs["Output"], there.outputs["Output"]
    assert type(out) is type(expected) and type(out).__name__ == "Dataset"
    assert (out.uri, out.name, out.metadata) == (expected.uri, expected.name, expected.metadata)
    assert made.task("write").outputs["out"].uri == expected.uri

    listed, listed_here = remote.list_runs(limit=10), local.list_runs(limit=10)
    assert [_summary(r) for r in listed] == [_summary(r) for r in listed_here]
    assert made.id in [r.id for r in listed]
    with pytest.raises(UserInputError, match="cannot be used with a host client"):
        remote.submit(pipelines, pipeline_name="good", enable_caching=False)
    with pytest.raises(UserInputError):
        _ = remote.metadata

    # The CLI renders host mode with the same functions, so the text is the same.
    runner = CliRunner()
    here = runner.invoke(app, ["runs", "show", run.id])
    there_text = runner.invoke(app, ["runs", "show", "--host", server.url, run.id[:8]])
    assert here.exit_code == there_text.exit_code == 0, there_text.output
    assert there_text.stdout == here.stdout


def test_failed_task_details_carry_the_failure(server: RunningServer, pipelines: str) -> None:
    remote = Client(host=server.url)
    handle = remote.submit(pipelines, {"n": 4}, pipeline_name="bad")
    with pytest.raises(ComponentError) as caught:
        handle.result(timeout=120)
    error = caught.value
    assert error.task == "boom" and error.exception_type == "ValueError"
    assert isinstance(error.__cause__, ComponentTraceback)
    assert "raise ValueError" in str(error.__cause__)

    # The unmodified kfp.Client sees KFP's error status on the task detail ...
    details = kfp.Client(host=server.url).get_run(handle.id).run_details.task_details
    failed = [d for d in details if d.display_name == "boom"]
    assert len(failed) == 1 and failed[0].state == "FAILED"
    assert "bad n: 8" in failed[0].error.message
    # ... and the wire JSON has the whole recorded failure in Sluice's extension field.
    body = httpx.get(f"{server.url}/apis/v2beta1/runs/{handle.id}", timeout=30).json()
    (detail,) = [d for d in body["run_details"]["task_details"] if d["display_name"] == "boom"]
    failure = detail["sluice_failure"]
    assert failure["exception_type"] == "ValueError" and "bad n: 8" in failure["message"]
    assert "raise ValueError" in failure["traceback"] and failure["exit_code"] not in (None, 0)


def test_remote_cancel(server: RunningServer, pipelines: str) -> None:
    remote = Client(host=server.url)
    handle = remote.submit(pipelines, {"seconds": 60}, pipeline_name="sleepy")
    deadline = time.monotonic() + 60
    while not any(t.state == "RUNNING" for t in handle.get().tasks):
        assert time.monotonic() < deadline, "the task never started"
        time.sleep(0.1)
    canceled = remote.cancel(handle.id)
    assert canceled.state in ("CANCELING", "CANCELED")
    assert handle.wait(timeout=60).state == "CANCELED"
