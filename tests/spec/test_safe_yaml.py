"""YAML limits: alias bombs, recursive and deep documents are refused before expansion.

The end-to-end tests run ``sluice run`` in a child process with a memory ceiling, so that
a missing limit fails the test quickly (out of memory) instead of using gigabytes.
"""

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from kfp import compiler, dsl

from sluice.spec.safe_yaml import MAX_DEPTH, YamlLimitError, load_all


def billion_laughs(levels: int = 9, width: int = 9) -> str:
    """~600 bytes that expand to ``width ** levels`` strings, inside ``deploymentSpec``
    (a free-form Struct, so the protobuf parser walks all of it)."""
    lines = [
        "pipelineInfo: {name: bomb}",
        "root: {dag: {tasks: {}}}",
        "lol0: &l0 [" + ", ".join(['"lol"'] * width) + "]",
    ]
    for level in range(1, levels):
        lines.append(f"lol{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * width) + "]")
    lines.append(f"deploymentSpec: {{executors: *l{levels - 1}}}")
    return "\n".join(lines) + "\n"


@dsl.component(base_image="python:3.11")
def add(a: int, b: int) -> int:
    return a + b


@dsl.pipeline(name="adder")
def adder(a: int = 1, b: int = 2) -> int:
    return add(a=a, b=b).output


def test_billion_laughs_is_refused() -> None:
    with pytest.raises(YamlLimitError, match="aliases are expanded"):
        load_all(billion_laughs())


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a: &a [*a]", "recursive"),
        ("a: &a {b: [1, {c: *a}]}", "recursive"),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "nested deeper"),
        # An alias may be shallow where it stands and deep once expanded.
        ("d: &d " + "[" * 60 + "]" * 60 + "\ne: " + "[" * 60 + "*d" + "]" * 60, "nested deeper"),
        ("a: &a [1]\nb: [" + ", ".join(["*a"] * 10_001) + "]", "aliases"),
    ],
    ids=["self-alias", "nested-self-alias", "deep", "deep-through-alias", "many-aliases"],
)
def test_dangerous_documents_are_refused(text: str, words: str) -> None:
    with pytest.raises(YamlLimitError, match=words):
        load_all(text)


def test_ordinary_documents_load_as_with_the_safe_loader(tmp_path: Path) -> None:
    path = tmp_path / "adder.yaml"
    compiler.Compiler().compile(adder, package_path=str(path))
    text = path.read_text()
    assert load_all(text) == [yaml.safe_load(text)]
    anchors = "base: &b {image: x, args: [1, 2]}\nother: *b\nmerged: {<<: *b, image: y}\n"
    assert load_all(anchors) == [yaml.safe_load(anchors)]
    assert load_all("---\na: 1\n---\n---\nb: 2\n") == [{"a": 1}, {"b": 2}]
    deep = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert load_all(deep) == [yaml.safe_load(deep)]


def _limit_memory() -> None:
    ceiling = 1024**3
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))


def _sluice(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SLUICE_HOME": str(tmp_path / "home")}
    return subprocess.run(
        [sys.executable, "-m", "sluice", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        preexec_fn=_limit_memory,
    )


def test_sluice_run_refuses_a_bomb_pipeline(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(billion_laughs())
    result = _sluice(tmp_path, "run", str(bomb))
    assert result.returncode == 2, result.stderr[-2000:]
    assert "aliases are expanded" in result.stderr
    assert "Traceback" not in result.stderr


def test_sluice_run_refuses_a_bomb_params_file(tmp_path: Path) -> None:
    pipeline = tmp_path / "adder.yaml"
    compiler.Compiler().compile(adder, package_path=str(pipeline))
    params = tmp_path / "params.yaml"
    params.write_text(billion_laughs().replace("deploymentSpec", "a"))
    result = _sluice(tmp_path, "run", str(pipeline), "--params-file", str(params))
    assert result.returncode == 2, result.stderr[-2000:]
    assert "aliases are expanded" in result.stderr


@pytest.mark.parametrize("depth", [150, 900, 5000])
def test_deep_json_pipelines_and_params_files_are_refused(tmp_path: Path, depth: int) -> None:
    from sluice.errors import InvalidArgumentError, InvalidPipelineError
    from sluice.spec.loader import load_pipeline
    from sluice.spec.validate import parse_cli_arguments

    nested = '{"a":' * depth + "1" + "}" * depth
    deep_pipeline = tmp_path / "deep.json"
    deep_pipeline.write_text(
        '{"pipelineInfo": {"name": "x"}, "root": {"dag": {"tasks": {}}}, "deploymentSpec": '
        + nested
        + "}"
    )
    with pytest.raises(InvalidPipelineError, match="nested"):
        load_pipeline(deep_pipeline)
    pipeline = tmp_path / "adder.yaml"
    compiler.Compiler().compile(adder, package_path=str(pipeline))
    params = tmp_path / "params.json"
    params.write_text('{"a": ' + nested + "}")
    with pytest.raises(InvalidArgumentError, match="nested"):
        parse_cli_arguments(load_pipeline(pipeline), [], params)
