"""Pipelines inside pipelines, three levels deep, with outputs and inner defaults."""

# KFP reads these signatures at compile time: mutable defaults are pipeline defaults,
# and typing.List/Optional/functional NamedTuple are the spellings kfp understands.
# ruff: noqa: UP014

from typing import NamedTuple

from kfp import dsl
from kfp.dsl import Dataset, Input, Output


@dsl.component
def concat(a: str, b: str) -> str:
    """Joins two strings."""
    return a + b


@dsl.component
def length(s: str) -> int:
    """Length of a string."""
    return len(s)


@dsl.component
def write_text(text: str, out: Output[Dataset]):
    """Writes ``text`` to an artifact."""
    with open(out.path, "w") as f:
        f.write(text)
    out.metadata["chars"] = len(text)


@dsl.component
def read_text(data: Input[Dataset]) -> str:
    """Reads an artifact written by a nested pipeline."""
    with open(data.path) as f:
        return f"{f.read()}#{data.metadata['chars']}"


@dsl.pipeline(name="inner")
def inner(x: str, suffix: str = "-in") -> str:
    """Level 3: ``suffix`` keeps its default when the caller omits it."""
    return concat(a=x, b=suffix).output


@dsl.pipeline(name="middle")
def middle(x: str, times: int = 2) -> NamedTuple(
    "Outputs", [("joined", str), ("size", int), ("data", Dataset)]
):
    """Level 2: calls ``inner`` with its default, returns a parameter and an artifact."""
    t = inner(x=x)
    size = length(s=t.output)
    w = write_text(text=t.output)
    outputs = NamedTuple("Outputs", [("joined", str), ("size", int), ("data", Dataset)])
    return outputs(t.output, size.output, w.outputs["out"])


@dsl.pipeline(name="nested-three-levels")
def outer(x: str = "abc") -> NamedTuple(
    "Outputs", [("joined", str), ("size", int), ("read", str), ("twice", str)]
):
    """Level 1: consumes the nested outputs, then calls ``inner`` directly with an override."""
    m = middle(x=x)
    r = read_text(data=m.outputs["data"])
    again = inner(x=m.outputs["joined"], suffix="!")
    outputs = NamedTuple("Outputs", [("joined", str), ("size", int), ("read", str), ("twice", str)])
    return outputs(m.outputs["joined"], m.outputs["size"], r.output, again.output)


@dsl.component
def upto(n: int) -> list[int]:
    """[1..n]."""
    return list(range(1, n + 1))


@dsl.component
def double(x: int) -> int:
    """2*x."""
    return 2 * x


@dsl.component
def total(vals: list[int]) -> int:
    """Sum of ints."""
    return sum(vals)


@dsl.pipeline(name="loop-inside")
def loop_inside(n: int = 3) -> list[int]:
    """A nested pipeline that returns a Collected list from its own loop."""
    with dsl.ParallelFor(upto(n=n).output) as x:
        d = double(x=x)
    return dsl.Collected(d.output)


@dsl.pipeline(name="nested-collected")
def nested_collected(n: int = 3) -> NamedTuple("Outputs", [("doubled", list[int]), ("sum", int)]):
    """The outer pipeline consumes the nested pipeline's collected output."""
    inner_loop = loop_inside(n=n)
    s = total(vals=inner_loop.output)
    outputs = NamedTuple("Outputs", [("doubled", list[int]), ("sum", int)])
    return outputs(inner_loop.output, s.output)
