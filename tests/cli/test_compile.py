"""``sluice compile`` writes what ``kfp.compiler.Compiler().compile`` writes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from kfp import compiler, components
from typer.testing import CliRunner

from sluice.cli.main import app

runner = CliRunner()


def _kfp_compiled(pipelines: Path, name: str, out: Path) -> str:
    spec = importlib.util.spec_from_file_location("sluice_cli_test_pipelines", pipelines)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    compiler.Compiler().compile(getattr(module, name), package_path=str(out))
    return out.read_text()


def test_compile_writes_kfp_yaml_that_kfp_reads_back(pipelines: Path, tmp_path: Path) -> None:
    out = tmp_path / "good.yaml"
    result = runner.invoke(app, ["compile", str(pipelines), "--pipeline", "good", "-o", str(out)])

    assert result.exit_code == 0, result.output
    assert out.read_text() == _kfp_compiled(pipelines, "good", tmp_path / "ref.yaml")
    loaded = components.load_component_from_file(str(out))
    assert loaded.name == "good"
    assert set(loaded.component_spec.inputs or {}) == {"rows"}


def test_compile_to_stdout_and_from_yaml(pipelines: Path, tmp_path: Path) -> None:
    out = tmp_path / "bad.yaml"
    first = runner.invoke(app, ["compile", str(pipelines), "--pipeline", "bad", "-o", str(out)])
    assert first.exit_code == 0, first.output

    again = runner.invoke(app, ["compile", str(out)])
    assert again.exit_code == 0, again.output
    assert again.stdout == out.read_text()


def test_compile_bad_inputs_exit_2(pipelines: Path, tmp_path: Path) -> None:
    no_dir = runner.invoke(
        app, ["compile", str(pipelines), "--pipeline", "good", "-o", str(tmp_path / "x" / "a.yaml")]
    )
    assert no_dir.exit_code == 2
    assert no_dir.stderr.startswith("error: ")

    missing = runner.invoke(app, ["compile", str(tmp_path / "missing.py"), "-o", "a.yaml"])
    assert missing.exit_code == 2
    assert "missing.py" in missing.stderr

    unknown = runner.invoke(app, ["compile", str(pipelines), "--pipeline", "nope"])
    assert unknown.exit_code == 2
    assert "nope" in unknown.stderr
