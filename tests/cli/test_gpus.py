"""``--gpus`` on ``sluice run`` and ``sluice server``: declared GPUs, checked before a run."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sluice.cli.main import app
from sluice.config import Settings
from sluice.store.repository import Store

runner = CliRunner()

GPU_PIPELINE = """
from kfp import dsl


@dsl.component(base_image="python:3.11")
def devices() -> str:
    import os

    return os.environ["CUDA_VISIBLE_DEVICES"]


@dsl.pipeline(name="gpus")
def gpus(count: int = 2) -> str:
    task = devices()
    task.set_accelerator_type("nvidia.com/gpu").set_accelerator_limit(2)
    return task.output
"""


@pytest.fixture
def gpu_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # `--gpus` sets $SLUICE_GPUS for the process: set here so that it is undone after.
    monkeypatch.setenv("SLUICE_GPUS", "none")
    path = tmp_path / "gpus.py"
    path.write_text(textwrap.dedent(GPU_PIPELINE))
    return path


def test_run_gives_the_declared_gpus(gpu_file: Path) -> None:
    result = runner.invoke(app, ["run", str(gpu_file), "--gpus", "4,5", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["outputs"] == {"Output": "4,5"}


def test_run_refuses_more_gpus_than_declared(gpu_file: Path) -> None:
    result = runner.invoke(app, ["run", str(gpu_file), "--gpus", "0"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stderr.strip().splitlines() == [
        "error: task 'devices' asks for 2 nvidia.com/gpu but this machine has 1 (GPUs 0, "
        "--gpus/$SLUICE_GPUS); pass --allow-unsatisfiable-resources / "
        "allow_unsatisfiable_resources=True to run anyway"
    ]
    assert Store(Settings.from_env().db_url).list_runs(limit=5) == []


@pytest.mark.parametrize("command", ["run", "server"])
def test_a_malformed_gpu_list_is_one_line(gpu_file: Path, command: str) -> None:
    args = [command, str(gpu_file)] if command == "run" else [command, "--port", "0"]
    result = runner.invoke(app, [*args, "--gpus", "0,,1"])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "'' is not a GPU index or UUID" in lines[0], result.stderr


def test_gpus_are_refused_with_a_host(gpu_file: Path) -> None:
    result = runner.invoke(
        app, ["run", str(gpu_file), "--host", "http://127.0.0.1:1", "--gpus", "0"]
    )
    assert result.exit_code == 2
    assert "--gpus cannot be used with --host" in result.stderr
