"""Choosing the executor: ``sluice run --executor``, ``sluice server --executor``."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import ClassVar

import pytest
from typer.testing import CliRunner

from sluice.cli.main import app
from sluice.config import Settings
from sluice.executors.base import ExecutionRequest, ExecutionResult
from sluice.executors.local import LocalExecutor
from sluice.store.repository import Store

from .helpers import run_pipeline

runner = CliRunner()


class CountingExecutor(LocalExecutor):
    """The local executor, counting the attempts it runs (registered by entry point)."""

    attempts: ClassVar[int] = 0

    def __init__(self, settings: Settings) -> None:
        super().__init__(venv_root=settings.venvs_dir)

    async def execute(self, request: ExecutionRequest) -> ExecutionResult:
        type(self).attempts += 1
        return await super().execute(request)


@pytest.fixture
def counting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    info = tmp_path / "site" / "sluice_counting-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: sluice-counting\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        textwrap.dedent(f"""
        [sluice.executors]
        counting = {__name__}:CountingExecutor
        """)
    )
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    CountingExecutor.attempts = 0


def _one_line_error(args: list[str], *needles: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0]


def test_run_with_an_executor_by_name(pipelines: Path, counting: None) -> None:
    data = run_pipeline(runner, pipelines, "good", "--executor", "counting")
    assert data["state"] == "SUCCEEDED"
    assert CountingExecutor.attempts == 2  # make, save
    row = Store(Settings.from_env().db_url).get_run(data["id"])
    assert row is not None and row.options["executor"] == "counting"


def test_unknown_executor(pipelines: Path) -> None:
    _one_line_error(
        ["run", str(pipelines), "--pipeline", "good", "--executor", "nope"],
        "unknown executor 'nope'; available: docker, local, podman",
    )
    assert Store(Settings.from_env().db_url).list_runs(limit=5) == []


def test_use_container_with_a_host_executor(pipelines: Path) -> None:
    _one_line_error(
        ["run", str(pipelines), "--pipeline", "good", "--use-container", "--executor", "local"],
        "docker or podman executor",
    )


def test_server_refuses_an_unknown_executor() -> None:
    _one_line_error(["server", "--executor", "nope", "--port", "0"], "unknown executor 'nope'")


def test_ray_address_is_refused_with_a_host(pipelines: Path) -> None:
    _one_line_error(
        ["run", str(pipelines), "--host", "http://127.0.0.1:1", "--ray-address", "10.0.0.5:6379"],
        "--ray-address cannot be used with --host",
    )
