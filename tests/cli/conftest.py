"""Fixtures of the CLI tests: a private store per test and small pipeline files."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

# Explicit base images keep kfp's FutureWarning about the default image out of the output.
PIPELINES = """
from kfp import dsl


@dsl.component(base_image="python:3.11")
def make(rows: int) -> int:
    print(f"making {rows} rows")
    return rows * 2


@dsl.component(base_image="python:3.11")
def save(n: int, data: dsl.Output[dsl.Dataset]) -> str:
    with open(data.path, "w") as f:
        f.write(str(n))
    data.metadata["n"] = n
    return f"saved {n}"


@dsl.component(base_image="python:3.11")
def boom(x: int):
    print("about to fail with", x)
    raise ValueError(f"bad rows: {x}")


@dsl.component(base_image="python:3.11")
def echo(word: str):
    print(f"echo-marker {word}")


@dsl.pipeline(name="good")
def good(rows: int = 3) -> dsl.Dataset:
    m = make(rows=rows)
    s = save(n=m.output)
    return s.outputs["data"]


@dsl.pipeline(name="bad")
def bad(rows: int = 3):
    m = make(rows=rows)
    boom(x=m.output)


@dsl.pipeline(name="loop")
def loop():
    with dsl.ParallelFor(["a", "b"]) as word:
        echo(word=word)
    make(rows=1)
"""


@pytest.fixture(autouse=True)
def sluice_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own, empty store."""
    home = tmp_path / "sluice-home"
    monkeypatch.setenv("SLUICE_HOME", str(home))
    # Plain, unwrapped output whatever terminal the tests run in.
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    return home


@pytest.fixture
def pipelines(tmp_path: Path) -> Path:
    """A .py file defining the pipelines ``good``, ``bad`` and ``loop``."""
    path = tmp_path / "pipelines.py"
    path.write_text(textwrap.dedent(PIPELINES))
    return path
