"""ParallelFor in all its forms, plus dsl.Collected of parameters and artifacts."""

# KFP reads these signatures at compile time: mutable defaults are pipeline defaults,
# and typing.List/Optional/functional NamedTuple are the spellings kfp understands.
# ruff: noqa: B006, UP006, UP014, UP035

from typing import List, NamedTuple

from kfp import dsl
from kfp.dsl import Dataset, Input, Output


@dsl.component
def square(x: int, marker: str) -> int:
    """Counts its executions in ``marker``; returns x*x as an int."""
    with open(marker, "a") as f:
        f.write(f"{x}\n")
    return x * x


@dsl.component
def total(vals: List[int]) -> int:
    """Sum of collected ints; the executor rejects a float return, so ints must stay ints."""
    return sum(vals)


@dsl.component
def echo_list(vals: list) -> list:
    """Returns the collected list unchanged so tests can see its order and contents."""
    return vals


@dsl.component
def gen_list(n: int) -> List[int]:
    """An upstream list to iterate over (``n`` = 0 gives an empty list)."""
    return list(range(1, n + 1))


@dsl.pipeline(name="loop-raw")
def loop_raw(marker: str) -> int:
    """A static list of ints; Collected feeds an int sum."""
    with dsl.ParallelFor([1, 2, 3]) as x:
        sq = square(x=x, marker=marker)
    return total(vals=dsl.Collected(sq.output)).output


@dsl.component
def tag(a: int, b: int) -> str:
    """Joins a dict item's fields; both must arrive as ints (1, not 1.0)."""
    return f"{a}-{b}:{type(a).__name__}:{type(b).__name__}"


@dsl.pipeline(name="loop-dicts")
def loop_dicts() -> list:
    """A list of dicts with field access (``item.a``, ``item.b``)."""
    with dsl.ParallelFor([{"a": 1, "b": 10}, {"a": 2, "b": 20}]) as item:
        t = tag(a=item.a, b=item.b)
    return echo_list(vals=dsl.Collected(t.output)).output


@dsl.pipeline(name="loop-upstream")
def loop_upstream(n: int = 4, marker: str = "") -> NamedTuple(
    "Outputs", [("total", int), ("squares", list)]
):
    """Iterates over an upstream task's list output."""
    g = gen_list(n=n)
    with dsl.ParallelFor(g.output) as x:
        sq = square(x=x, marker=marker)
    outputs = NamedTuple("Outputs", [("total", int), ("squares", list)])
    return outputs(
        total(vals=dsl.Collected(sq.output)).output,
        echo_list(vals=dsl.Collected(sq.output)).output,
    )


@dsl.component
def pair(name: str, v: str, marker: str) -> str:
    """Body of the inner loop: one line per execution."""
    with open(marker, "a") as f:
        f.write(f"{name}{v}\n")
    return f"{name}{v}"


@dsl.component
def join(vals: List[str]) -> str:
    """Joins an inner loop's collected strings."""
    return "+".join(vals)


@dsl.pipeline(name="loop-nested")
def loop_nested(
    groups: list = [{"who": "p", "vals": ["1", "2"]}, {"who": "q", "vals": ["3"]}],
    marker: str = "",
) -> list:
    """Inner loop over the outer item's sub-field; Collected of Collected via a join per group.

    (The field is not called ``name``: ``g.name`` is the loop channel's own name in kfp.)
    """
    with dsl.ParallelFor(groups) as g:
        with dsl.ParallelFor(g.vals) as v:
            p = pair(name=g.who, v=v, marker=marker)
        j = join(vals=dsl.Collected(p.output))
    return echo_list(vals=dsl.Collected(j.output)).output


@dsl.component
def timed(i: int, timeline: str, peers: int):
    """Records start/end in ``timeline``; waits (bounded) until ``peers`` starts are recorded.

    The wait makes concurrency observable by ordering alone: with a concurrency of at least
    ``peers`` the first tasks see each other start; a sequential engine would not. Lines are
    appended, so their order in the file is the order things happened: no clock is read.
    """
    import time

    def starts() -> int:
        with open(timeline) as f:
            return sum(1 for ln in f if ln.startswith("start"))

    with open(timeline, "a") as f:
        f.write(f"start {i}\n")
    deadline = time.monotonic() + 60
    while starts() < peers:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {starts()} of {peers} tasks started together")
        time.sleep(0.05)
    # Not needed for a correct engine: it keeps this task open a little, so that one that
    # started a task too many at once would very likely be caught overlapping it.
    time.sleep(0.3)
    with open(timeline, "a") as f:
        f.write(f"end {i}\n")


@dsl.pipeline(name="loop-parallelism")
def loop_parallelism(timeline: str):
    """Five iterations, at most two at a time (``iteratorPolicy.parallelismLimit``)."""
    with dsl.ParallelFor([1, 2, 3, 4, 5], parallelism=2) as i:
        timed(i=i, timeline=timeline, peers=2)


@dsl.pipeline(name="independent-concurrent")
def independent_concurrent(timeline: str):
    """Two tasks with no dependency between them must be able to run at the same time."""
    timed(i=1, timeline=timeline, peers=2)
    timed(i=2, timeline=timeline, peers=2)


@dsl.pipeline(name="loop-empty")
def loop_empty(marker: str) -> NamedTuple("Outputs", [("total", int), ("items", list)]):
    """An empty upstream list: zero iterations, the Collected consumer gets []."""
    g = gen_list(n=0)
    with dsl.ParallelFor(g.output) as x:
        sq = square(x=x, marker=marker)
    outputs = NamedTuple("Outputs", [("total", int), ("items", list)])
    return outputs(
        total(vals=dsl.Collected(sq.output)).output,
        echo_list(vals=dsl.Collected(sq.output)).output,
    )


@dsl.component
def write_item(x: int, out: Output[Dataset]):
    """One artifact per iteration."""
    with open(out.path, "w") as f:
        f.write(f"item{x}")
    out.metadata["x"] = x


@dsl.component
def read_one(item: Input[Dataset]) -> str:
    """Reads the artifact of its own iteration."""
    with open(item.path) as f:
        return f.read()


@dsl.component
def read_all(items: Input[List[Dataset]]) -> list:
    """Reads a Collected list of artifacts, in order."""
    res = []
    for a in items:
        with open(a.path) as f:
            res.append(f"{f.read()}:{a.metadata['x']}")
    return res


@dsl.pipeline(name="loop-collect-artifacts")
def loop_collect_artifacts() -> NamedTuple(
    "Outputs", [("read", list), ("items", List[Dataset]), ("each", List[str])]
):
    """Collected artifacts feed a List[Dataset] input and a pipeline output."""
    with dsl.ParallelFor([1, 2, 3]) as x:
        w = write_item(x=x)
        one = read_one(item=w.outputs["out"])
    r = read_all(items=dsl.Collected(w.outputs["out"]))
    outputs = NamedTuple("Outputs", [("read", list), ("items", List[Dataset]), ("each", List[str])])
    return outputs(r.output, dsl.Collected(w.outputs["out"]), dsl.Collected(one.output))


@dsl.pipeline(name="loop-collect-nested-artifacts")
def loop_collect_nested_artifacts() -> list:
    """Collected of artifacts across two loop levels: one flat list of 2*2 artifacts."""
    with dsl.ParallelFor([1, 2]), dsl.ParallelFor([10, 20]) as y:
        w = write_item(x=y)
    return read_all(items=dsl.Collected(w.outputs["out"])).output


@dsl.component
def is_big(x: int) -> bool:
    """Condition helper."""
    return x > 2


@dsl.pipeline(name="loop-conditional-producer")
def loop_conditional_producer(marker: str) -> NamedTuple(
    "Outputs", [("squares", list), ("total", int)]
):
    """Collected from a producer under a condition: only iterations that ran contribute."""
    with dsl.ParallelFor([1, 2, 3, 4]) as x:
        big = is_big(x=x)
        with dsl.If(big.output == True):  # noqa: E712 - KFP needs the comparison
            sq = square(x=x, marker=marker)
    outputs = NamedTuple("Outputs", [("squares", list), ("total", int)])
    return outputs(
        echo_list(vals=dsl.Collected(sq.output)).output,
        total(vals=dsl.Collected(sq.output)).output,
    )


@dsl.pipeline(name="one-item")
def one_item(x: int) -> Dataset:
    """A nested pipeline producing one artifact."""
    return write_item(x=x).outputs["out"]


@dsl.pipeline(name="collect-nested-dags")
def collect_nested_dags(outer: list = [1, 2]) -> List[Dataset]:
    """Collected over nested loops of a nested pipeline's artifact, returned as a list."""
    with dsl.ParallelFor(outer), dsl.ParallelFor([100, 200]) as y:
        d = one_item(x=y)
    return dsl.Collected(d.output)


@dsl.pipeline(name="collected-of-nested-dags")
def collected_of_nested_dags() -> list:
    """The outer pipeline reads the artifact list a nested pipeline collected."""
    inner = collect_nested_dags(outer=[1, 2])
    return read_all(items=inner.output).output
