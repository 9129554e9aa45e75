"""Venvs for packages the host lacks: built once, shared, reused; failures are attempt failures."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sluice.executors.base import ExecutionResult
from sluice.executors.lightweight import unsatisfied_requirements
from sluice.executors.local import LocalExecutor
from sluice.executors.venvs import VenvSpec

from . import components as c
from .support import executor_output, make_request, run


def test_venv_key() -> None:
    a = VenvSpec(requirements=("b", "a==1"))
    assert a.key() == VenvSpec(requirements=("a==1", "b")).key()
    assert a.key() != VenvSpec(requirements=("a==1",)).key()
    assert a.key() != VenvSpec(requirements=("b", "a==1"), index_url="https://x/simple").key()


def test_missing_package_gets_a_venv_built_once_and_reused(tmp_path: Path) -> None:
    assert unsatisfied_requirements(["inflection"]) == ["inflection"], "test needs it absent"
    venv_root = tmp_path / "venvs"
    first = [
        make_request(c.uses_inflection, tmp_path, {"word": f"hello_{i}"}, name=f"first{i}")
        for i in range(2)
    ]
    later = make_request(c.uses_inflection, tmp_path, {"word": "again_now"}, name="later")

    async def main() -> tuple[list[ExecutionResult], ExecutionResult]:
        # Two executors stand for two concurrent runs sharing SLUICE_HOME.
        executors = [LocalExecutor(venv_root=venv_root) for _ in range(2)]
        try:
            results = await asyncio.gather(
                *(ex.execute(r) for ex, r in zip(executors, first, strict=True))
            )
            return results, await executors[0].execute(later)
        finally:
            for ex in executors:
                await ex.aclose()

    results, again = run(main())
    how = results[0].how
    assert how.startswith("venv:") and len(how) == len("venv:") + 8
    assert [r.exit_code for r in results] == [0, 0]
    assert again == ExecutionResult(exit_code=0, how=how)
    (venv,) = (p for p in venv_root.iterdir() if p.is_dir())
    for i, request in enumerate(first):
        value = executor_output(request)["parameterValues"]["Output"]
        camel, module_file = value.split("|")
        assert camel == f"Hello{i}"
        assert Path(module_file).is_relative_to(venv)
    assert executor_output(later)["parameterValues"]["Output"].startswith("AgainNow|")
    logs = [r.log_path.read_text() for r in (*first, later)]
    assert sum("inflection" in log.split("[KFP Executor")[0] for log in logs) == 1
    assert "inflection" not in logs[-1].split("[KFP Executor")[0]  # reused: no install output


def test_install_failure_is_a_failed_attempt(tmp_path: Path) -> None:
    request = make_request(c.needs_missing_package, tmp_path)

    async def main() -> ExecutionResult:
        executor = LocalExecutor(venv_root=tmp_path / "venvs")
        try:
            return await executor.execute(request)
        finally:
            await executor.aclose()

    result = run(main())
    assert result.exit_code != 0
    assert result.how.startswith("venv:")
    assert "sluice-no-such-package-kq7z" in request.log_path.read_text()
    assert not [p for p in (tmp_path / "venvs").iterdir() if p.is_dir()]
    assert not (tmp_path / "task" / "executor_output.json").exists()
