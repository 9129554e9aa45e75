"""``sluice validate``: exit 0 clean, 1 with one line per finding, 2 when nothing loads."""

from __future__ import annotations

import textwrap
from pathlib import Path

from typer.testing import CliRunner

from sluice.cli.main import app

runner = CliRunner()

GOOD = """
from kfp import dsl
from kfp.dsl import Dataset, Output


@dsl.component(base_image="python:3.11")
def make(rows: int, data: Output[Dataset]) -> None:
    with open(data.path, "w") as out:
        out.write("x\\n" * rows)


@dsl.pipeline(name="good")
def good(rows: int = 3) -> None:
    make(rows=rows)
"""

BAD = """
from kfp import dsl
from kfp.dsl import Dataset, Output


@dsl.component(base_image="python:3.11")
def forgets(rows: int, data: Output[Dataset]) -> None:
    print(rows)


@dsl.component(base_image="python:3.11")
def says(out: Output[str]) -> None:
    print(out)


@dsl.pipeline(name="bad")
def bad() -> None:
    forgets(rows=1).set_accelerator_type("NVIDIA_TESLA_T4").set_accelerator_limit(1)
    says()
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_a_clean_py_and_its_compiled_yaml_exit_0(tmp_path: Path) -> None:
    source = _write(tmp_path, "good.py", GOOD)
    result = runner.invoke(app, ["validate", str(source)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "ok (pipeline good)" in result.stderr

    compiled = tmp_path / "good.yaml"
    assert runner.invoke(app, ["compile", str(source), "-o", str(compiled)]).exit_code == 0
    assert runner.invoke(app, ["validate", str(compiled)]).exit_code == 0


def test_findings_exit_1_one_line_each(tmp_path: Path) -> None:
    source = _write(tmp_path, "bad.py", BAD)
    result = runner.invoke(app, ["validate", str(source), "--gpus", "0"])
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 3, lines
    assert all(line.startswith(f"{source}: ") and " — " in line for line in lines)
    assert any(": forgets: forgets() never writes its declared output artifact" in x for x in lines)
    assert any(": says: says() output 'out' is annotated Output[str]" in x for x in lines)
    assert any(": forgets: asks for 1 NVIDIA_TESLA_T4" in x for x in lines)
    assert "3 findings" in result.stderr

    # On a target with the GPU, only the two code mistakes remain.
    with_gpu = runner.invoke(app, ["validate", str(source), "--gpus", "1"])
    assert with_gpu.exit_code == 1 and len(with_gpu.stdout.splitlines()) == 2


def test_what_cannot_be_loaded_exits_2(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["validate", str(tmp_path / "nope.py")])
    assert missing.exit_code == 2
    assert missing.stderr.strip() == f"error: no such file: {tmp_path / 'nope.py'}"

    broken = _write(tmp_path, "broken.yaml", "pipelineInfo: {name: x}\nroot: 3\n")
    result = runner.invoke(app, ["validate", str(broken)])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and result.stdout == ""

    source = _write(tmp_path, "good.py", GOOD)
    memory = runner.invoke(app, ["validate", str(source), "--memory", "lots"])
    assert memory.exit_code == 2
    assert "--memory 'lots' is not a size" in memory.stderr
