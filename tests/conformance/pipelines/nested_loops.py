"""ParallelFor inside ParallelFor over pipeline inputs and upstream outputs.

The compiler forwards the outer loop's inputs into the inner loop's component as
``componentInputParameter: pipelinechannel--<input>``, so every iteration must still see
the list the outer loop iterates over (Go keeps it among the loop task's inputs).
"""

# KFP reads these signatures at compile time: mutable defaults are pipeline defaults,
# and typing.List/Optional/functional NamedTuple are the spellings kfp understands.
# ruff: noqa: B006, UP006, UP035

from typing import List

from kfp import dsl


@dsl.component
def ident(x: str) -> str:
    """Carries an outer item into an inner loop under a name of its own."""
    return x


@dsl.component
def pair(a: str, b: str) -> str:
    """One inner-loop body execution."""
    return f"{a}{b}"


@dsl.component
def size(vals: List[str]) -> int:
    """Reads the whole list the enclosing loop iterates over."""
    return len(vals)


@dsl.component
def join(vals: List[str]) -> str:
    """Joins an inner loop's collected strings, in iteration order."""
    return "+".join(vals)


@dsl.component
def gen_words() -> List[str]:
    """An upstream list for an inner loop."""
    return ["u", "v"]


@dsl.component
def flatten(vals: List[str]) -> List[str]:
    """Returns the collected list so the test sees its order and contents."""
    return vals


@dsl.pipeline(name="loop-same-input")
def loop_same_input(words: List[str] = ["x", "y"]) -> List[str]:
    """Two loops over the same pipeline input; the outer item reaches the body via a task."""
    with dsl.ParallelFor(items=words) as a:
        outer = ident(x=a)
        with dsl.ParallelFor(items=words) as b:
            p = pair(a=outer.output, b=b)
        j = join(vals=dsl.Collected(p.output))
    return flatten(vals=dsl.Collected(j.output)).output


@dsl.pipeline(name="loop-same-input-direct")
def loop_same_input_direct(words: List[str] = ["x", "y"]) -> List[str]:
    """Both loop items used directly: the compiler gives them one name (see the test)."""
    with dsl.ParallelFor(items=words) as a:
        with dsl.ParallelFor(items=words) as b:
            p = pair(a=a, b=b)
        j = join(vals=dsl.Collected(p.output))
    return flatten(vals=dsl.Collected(j.output)).output


@dsl.pipeline(name="loop-other-input")
def loop_other_input(words: List[str] = ["x", "y"], nums: List[str] = ["1", "2", "3"]) -> List[str]:
    """Inner loop over another pipeline input; the outer body also reads its own list.

    (Inside the inner loop ``words`` is out of reach: kfp 2.17.3 does not forward an outer
    loop's items source into a nested loop's DAG unless that loop iterates over it too.)
    """
    with dsl.ParallelFor(items=words) as a:
        size(vals=words)
        with dsl.ParallelFor(items=nums) as b:
            p = pair(a=a, b=b)
        j = join(vals=dsl.Collected(p.output))
    return flatten(vals=dsl.Collected(j.output)).output


@dsl.pipeline(name="loop-inner-upstream")
def loop_inner_upstream(words: List[str] = ["x", "y"]) -> List[str]:
    """Inner loop over an upstream task's output inside a loop over a pipeline input."""
    made = gen_words()
    with dsl.ParallelFor(items=words) as a:
        with dsl.ParallelFor(items=made.output) as b:
            p = pair(a=a, b=b)
        j = join(vals=dsl.Collected(p.output))
    return flatten(vals=dsl.Collected(j.output)).output


@dsl.pipeline(name="loop-upstream-twice")
def loop_upstream_twice() -> List[str]:
    """Two loops over the same upstream output, the outer item carried by a task."""
    made = gen_words()
    with dsl.ParallelFor(items=made.output) as a:
        outer = ident(x=a)
        with dsl.ParallelFor(items=made.output) as b:
            p = pair(a=outer.output, b=b)
        j = join(vals=dsl.Collected(p.output))
    return flatten(vals=dsl.Collected(j.output)).output


@dsl.pipeline(name="loop-three-levels")
def loop_three_levels(words: List[str] = ["x", "y"]) -> List[str]:
    """Three loops over the same pipeline input: every triple runs once."""
    with dsl.ParallelFor(items=words) as a:
        first = ident(x=a)
        with dsl.ParallelFor(items=words) as b:
            second = pair(a=first.output, b=b)
            with dsl.ParallelFor(items=words) as c:
                third = pair(a=second.output, b=c)
            inner = join(vals=dsl.Collected(third.output))
        middle = join(vals=dsl.Collected(inner.output))
    return flatten(vals=dsl.Collected(middle.output)).output
