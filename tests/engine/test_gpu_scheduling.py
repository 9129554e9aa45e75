"""GPUs scheduled on this machine: declared logical GPUs, each held by one task at a time.

No GPU is needed: ``$SLUICE_GPUS`` declares the devices, and the components report the
``CUDA_VISIBLE_DEVICES`` they were given. Exclusivity and ordering are read from the
store's recorded start and end times, never from the wall clock of the test.
"""

from pathlib import Path

import pytest
from kfp import dsl

import sluice
from sluice.errors import ResourceUnavailableError


@dsl.component
def use_gpus(rendezvous: str, me: str, peer: str) -> str:
    """Report the devices; with a rendezvous dir, wait (bounded) until the peer runs too."""
    import os
    import pathlib
    import time

    devices = os.environ.get("CUDA_VISIBLE_DEVICES", "<unset>")
    if rendezvous:
        here = pathlib.Path(rendezvous)
        (here / me).write_text(devices)
        deadline = time.monotonic() + 120
        while not (here / peer).exists():
            if time.monotonic() > deadline:
                raise RuntimeError(f"{peer} never ran while {me} held its GPUs")
            time.sleep(0.05)
    return devices


@dsl.pipeline
def two_four_gpu_tasks(rendezvous: str = "") -> None:
    use_gpus(rendezvous=rendezvous, me="a", peer="b").set_accelerator_type(
        "nvidia.com/gpu"
    ).set_accelerator_limit(4).set_caching_options(False)
    use_gpus(rendezvous=rendezvous, me="b", peer="a").set_accelerator_type(
        "nvidia.com/gpu"
    ).set_accelerator_limit(4).set_caching_options(False)


@dsl.pipeline
def eight_gpu_task() -> str:
    task = use_gpus(rendezvous="", me="a", peer="b")
    task.set_accelerator_type("NVIDIA_H100_80GB").set_accelerator_limit(8)
    return task.output


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_HOME", str(tmp_path / "home"))


def _devices(run: sluice.Run, name: str) -> set[str]:
    return set(run.task(name).outputs["Output"].split(","))


def test_eight_gpus_all_go_to_the_task_that_asks_for_eight(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLUICE_GPUS", "0,1,2,3,4,5,6,7")
    run = sluice.run(eight_gpu_task, enable_caching=False)
    assert run.state == "SUCCEEDED", run.error
    assert run.outputs == {"Output": "0,1,2,3,4,5,6,7"}


def test_two_four_gpu_tasks_run_side_by_side_on_eight(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLUICE_GPUS", "0,1,2,3,4,5,6,7")
    meet = tmp_path / "meet"
    meet.mkdir()
    # Each task waits until the other one is running: only side by side can both finish.
    run = sluice.run(two_four_gpu_tasks, arguments={"rendezvous": str(meet)})
    assert run.state == "SUCCEEDED", run.error
    a, b = _devices(run, "use-gpus"), _devices(run, "use-gpus-2")
    assert len(a) == len(b) == 4
    assert a.isdisjoint(b)
    assert a | b == {str(i) for i in range(8)}


@pytest.mark.parametrize("declared", ["0,1,2,3", "0,1,2,3,4,5"])
def test_two_four_gpu_tasks_take_turns_when_only_one_fits(
    declared: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLUICE_GPUS", declared)
    run = sluice.run(two_four_gpu_tasks)
    assert run.state == "SUCCEEDED", run.error
    first, second = sorted(
        (run.task("use-gpus"), run.task("use-gpus-2")),
        key=lambda t: t.started_at or t.finished_at,  # type: ignore[arg-type, return-value]
    )
    assert first.started_at and first.finished_at and second.started_at
    # The second was not RUNNING before the first gave its devices back.
    assert second.started_at >= first.finished_at
    for task in (first, second):
        devices = set(task.outputs["Output"].split(","))
        assert len(devices) == 4 and devices <= set(declared.split(","))
        assert task.attempts == 1


def test_a_request_larger_than_the_machine_is_refused_before_the_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLUICE_GPUS", "0,1,2,3")
    with pytest.raises(ResourceUnavailableError) as info:
        sluice.run(eight_gpu_task)
    assert str(info.value).startswith(
        "task 'use-gpus' asks for 8 NVIDIA_H100_80GB but this machine has 4 "
        "(GPUs 0,1,2,3, --gpus/$SLUICE_GPUS)"
    )
    assert sluice.list_runs() == []
