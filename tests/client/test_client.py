"""``sluice.Client`` in local mode, ``RunConfig``, and runs that raise for their state."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import sluice
from sluice import (
    Client,
    ComponentError,
    ComponentTraceback,
    RunCanceledError,
    RunConfig,
    RunFailedError,
    RunNotFoundError,
)
from sluice.client.models import Run
from sluice.store.repository import Store

PIPELINES = """
from kfp import dsl
from tests.states import move_run


@dsl.component(base_image="python:3.11")
def double(n: int) -> int:
    return n * 2


@dsl.component(base_image="python:3.11")
def boom(n: int):
    print("about to fail")
    raise ValueError(f"bad n: {n}")


@dsl.component(base_image="python:3.11")
def wait_for(path: str):
    import pathlib
    import time

    # Held open until the test cancels the run; bounded so nothing can hang forever.
    pathlib.Path(path + ".started").write_text("yes")
    deadline = time.monotonic() + 60
    while not pathlib.Path(path).exists() and time.monotonic() < deadline:
        time.sleep(0.05)


@dsl.pipeline(name="good")
def good(n: int = 3) -> int:
    return double(n=n).output


@dsl.pipeline(name="bad")
def bad(n: int = 3):
    boom(n=double(n=n).output)


@dsl.pipeline(name="held")
def held(path: str):
    wait_for(path=path)
"""


@pytest.fixture(scope="module")
def pipelines(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pipelines") / "pipelines.py"
    path.write_text(textwrap.dedent(PIPELINES))
    return path


@pytest.fixture
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """SLUICE_HOME points at a home no explicit client uses."""
    home = tmp_path / "env-home"
    monkeypatch.setenv("SLUICE_HOME", str(home))
    monkeypatch.delenv("SLUICE_DB_URL", raising=False)
    yield home


def test_two_clients_on_two_homes_do_not_mix(
    tmp_path: Path, pipelines: Path, isolated_env: Path
) -> None:
    one = Client(home=tmp_path / "one")
    two = Client(db_url=f"sqlite:///{tmp_path / 'two.db'}", home=tmp_path / "two")
    first = one.run(str(pipelines), {"n": 4}, pipeline_name="good")
    second = two.run(str(pipelines), config=RunConfig(pipeline_name="good"))
    assert first.state == second.state == "SUCCEEDED"
    assert (first.outputs, second.outputs) == ({"Output": 8}, {"Output": 6})

    assert [r.id for r in one.list_runs()] == [first.id]
    assert [r.id for r in two.list_runs()] == [second.id]
    with pytest.raises(RunNotFoundError):
        two.get_run(first.id)
    assert one.get_run(first.id[:8]).tasks_named("double")[0].outputs == {"Output": 8}
    # Working files stay under each client's own home.
    log = one.get_run(first.id).task("double").log_path
    assert log is not None and (tmp_path / "one") in log.parents
    assert first.pipeline_root.startswith(str(tmp_path / "one"))

    # Metadata queries are bound to the client's store; the module API keeps the env's.
    assert {e.run_id for e in one.metadata.Execution.list()} == {first.id}
    assert {e.run_id for e in two.metadata.Execution.list()} == {second.id}
    context = one.metadata.Context.get(first.name)
    assert [e.run_id for e in context.get_executions()] == [first.id]
    assert sluice.metadata.Execution.list() == []
    assert sluice.list_runs() == []

    # The module-level functions use a client made from the environment.
    isolated_env.mkdir(parents=True, exist_ok=True)
    third = sluice.run(str(pipelines), {"n": 1}, config=RunConfig(pipeline_name="good"))
    assert [r.id for r in sluice.list_runs()] == [third.id]
    assert one.list_runs()[0].id == first.id and len(one.list_runs()) == 1


def test_run_config_overrides_and_rejects_unknown_options() -> None:
    config = RunConfig(enable_caching=False, max_parallel_tasks=2)
    merged = config.with_overrides(max_parallel_tasks=None, run_name="nightly")
    assert (merged.enable_caching, merged.max_parallel_tasks, merged.run_name) == (
        False,
        2,
        "nightly",
    )
    with pytest.raises(TypeError, match="bogus"):
        config.with_overrides(bogus=1)
    with pytest.raises(sluice.UserInputError):
        Client(host="http://127.0.0.1:1", home="/tmp/x")


def test_result_and_raise_for_state_chain_the_component_traceback(
    tmp_path: Path, pipelines: Path
) -> None:
    client = Client(home=tmp_path / "home")
    handle = client.submit(str(pipelines), {"n": 5}, pipeline_name="bad")
    with pytest.raises(ComponentError) as caught:
        handle.result()
    error = caught.value
    assert error.task == "boom" and error.exception_type == "ValueError"
    assert error.exit_code not in (None, 0) and error.attempts == 1
    assert error.run_id == handle.id and error.state == "FAILED"
    assert "bad n: 10" in str(error) and error.traceback and "raise ValueError" in error.traceback
    assert error.output is not None and "about to fail" in error.output
    cause = error.__cause__
    assert isinstance(cause, ComponentTraceback)
    assert cause.exception_type == "ValueError"
    assert "raise ValueError" in str(cause) and "Traceback (most recent call last)" in str(cause)

    # The same from the stored run, read back by another client on the same home.
    run = Client(home=tmp_path / "home").get_run(handle.id)
    with pytest.raises(ComponentError) as again:
        run.raise_for_state()
    assert isinstance(again.value.__cause__, ComponentTraceback)
    assert str(again.value.__cause__) == str(cause)

    ok = client.submit(str(pipelines), {"n": 2}, pipeline_name="good").result()
    assert ok.state == "SUCCEEDED" and ok.raise_for_state() is ok


def test_runs_without_a_component_to_blame() -> None:
    base = {"name": "r", "pipeline_name": "p", "arguments": {}, "outputs": {}}
    with pytest.raises(RunFailedError) as failed:
        Run(id="1", state="FAILED", error="internal error: boom", **base).raise_for_state()
    assert not isinstance(failed.value, ComponentError) and "internal error" in str(failed.value)
    with pytest.raises(RunCanceledError):
        Run(id="2", state="CANCELED", error="canceled", **base).raise_for_state()
    running = Run(id="3", state="RUNNING", error=None, **base)
    assert running.raise_for_state() is running


def test_cancel_a_run_this_process_executes(tmp_path: Path, pipelines: Path) -> None:
    client = Client(home=tmp_path / "home")
    release = tmp_path / "release"
    handle = client.submit(str(pipelines), {"path": str(release)}, pipeline_name="held")
    started = Path(str(release) + ".started")
    deadline = time.monotonic() + 60
    while not started.exists():
        assert time.monotonic() < deadline and not handle.done(), "the task never started"
        time.sleep(0.05)
    # Another client (the module-level one, on the same home) finds the live handle.
    canceled = Client(home=tmp_path / "home").cancel(handle.name)
    assert canceled.state == "CANCELED"
    with pytest.raises(RunCanceledError):
        handle.result(timeout=60)
    release.write_text("done")  # lets nothing linger if the cancel had failed


def test_cancel_a_run_executed_elsewhere_marks_it(tmp_path: Path) -> None:
    client = Client(home=tmp_path / "home")
    assert client.settings is not None
    store = Store(client.settings.db_url)
    from tests.store_rows import new_run

    rows = {
        state: new_run(
            store, name=f"run-{state.lower()}", pipeline_name="p", pipeline_root=str(tmp_path)
        )
        for state in ("PENDING", "RUNNING", "SUCCEEDED")
    }
    from tests.states import move_run

    for state, row in rows.items():
        move_run(store, row.id, state)
    assert client.cancel("run-pending").state == "CANCELED"
    # Executed by another process: only the request is recorded; that process finishes it.
    assert client.cancel("run-running").state == "CANCELING"
    assert client.cancel(rows["SUCCEEDED"].id).state == "SUCCEEDED"


def test_result_timeout(tmp_path: Path, pipelines: Path) -> None:
    client = Client(home=tmp_path / "home")
    release = tmp_path / "release"
    handle = client.submit(str(pipelines), {"path": str(release)}, pipeline_name="held")
    try:
        with pytest.raises(TimeoutError):
            handle.result(timeout=0.01)
    finally:
        release.write_text("go")
    assert handle.result(timeout=60).state == "SUCCEEDED"
