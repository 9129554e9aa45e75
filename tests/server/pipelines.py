"""Pipelines the server tests submit (no ``from __future__ import annotations``: kfp reads
the real annotations)."""

from kfp import compiler, dsl
from kfp.dsl import Artifact, Output


@dsl.component
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@dsl.component
def write_text(text: str, out: Output[Artifact]) -> None:
    """Write ``text`` into an artifact file."""
    with open(out.path, "w") as handle:
        handle.write(text)


@dsl.component
def nap(seconds: int) -> None:
    """Sleep, so that a run can be terminated while it runs."""
    import time

    time.sleep(seconds)


@dsl.pipeline(name="adder")
def adder(a: int = 1, b: int = 2) -> int:
    """One task adding its inputs."""
    return add(a=a, b=b).output


@dsl.pipeline(name="writer")
def writer(text: str = "hello") -> None:
    """One task writing an artifact."""
    write_text(text=text)


@dsl.pipeline(name="sleeper")
def sleeper(seconds: int = 60) -> None:
    """One long task."""
    nap(seconds=seconds)


def compile_to(pipeline: object, path: str) -> str:
    """Compile ``pipeline`` to a YAML file at ``path``; returns the path."""
    compiler.Compiler().compile(pipeline, path)  # type: ignore[arg-type]
    return path
