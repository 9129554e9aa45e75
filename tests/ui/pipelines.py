"""Pipelines the UI tests submit (no ``from __future__ import annotations``: kfp reads the
real annotations)."""

from kfp import compiler, dsl


@dsl.component
def make_number(n: int) -> int:
    """Answer ``n``."""
    return n


@dsl.component
def square(x: int) -> int:
    """Square ``x``."""
    return x * x


@dsl.component
def shout(text: str) -> str:
    """Print many lines (the logs tab's fixture) and answer ``text`` upper-cased."""
    for i in range(50):
        print(f"line {i}: {text}")
    print(f"\x1b[1;31mred alert\x1b[0m for {text}")
    return text.upper()


@dsl.component
def gate(path: str) -> str:
    """Wait until the file ``path`` exists: holds a task RUNNING until a test releases it."""
    import os
    import time

    print(f"waiting for {path}", flush=True)
    while not os.path.exists(path):
        time.sleep(0.05)
    print("the gate is open", flush=True)
    return "released"


@dsl.component
def fail(message: str) -> None:
    """Fail with ``message``."""
    raise RuntimeError(message)


@dsl.component
def flaky(marker: str) -> str:
    """Fail the first time (leaving ``marker``), succeed the next."""
    import os

    if not os.path.exists(marker):
        open(marker, "w").close()
        print("first attempt: failing on purpose", flush=True)
        raise RuntimeError("the first attempt fails")
    print("second attempt: fine", flush=True)
    return "ok"


@dsl.pipeline(name="inner")
def inner(x: int) -> int:
    """A nested pipeline: square, then square again."""
    first = square(x=x)
    return square(x=first.output).output


@dsl.pipeline(name="ui-showcase")
def showcase(gate_file: str = "/nonexistent", flip: int = 1) -> None:
    """A loop of a nested pipeline, an If/Else with one branch skipped, an exit handler and a
    gate task that waits for a file."""
    cleanup = shout(text="cleanup")
    with dsl.ExitHandler(cleanup):
        start = make_number(n=flip)
        with dsl.ParallelFor([1, 2, 3]) as item:
            inner(x=item)
        with dsl.If(start.output == 1):
            shout(text="taken").set_display_name("taken-branch")
        with dsl.Else():
            shout(text="skipped").set_display_name("skipped-branch")
        gate(path=gate_file).after(start)


@dsl.pipeline(name="ui-failing")
def failing() -> None:
    """One task that succeeds, then one that fails."""
    first = shout(text="before the failure")
    fail(message="the failure the UI shows").after(first)


@dsl.pipeline(name="ui-retry")
def retried(marker: str = "/nonexistent") -> None:
    """One task that fails once, then succeeds on its retry."""
    flaky(marker=marker).set_caching_options(False).set_retry(num_retries=1, backoff_duration="0s")


def compile_to(pipeline: object, path: str) -> str:
    """Compile ``pipeline`` to a YAML file at ``path``; returns the path."""
    compiler.Compiler().compile(pipeline, path)  # type: ignore[arg-type]
    return path
