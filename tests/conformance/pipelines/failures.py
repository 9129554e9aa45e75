"""A failing component: run FAILED, downstream never runs, the traceback is kept."""

# KFP reads these signatures at compile time: mutable defaults are pipeline defaults,
# and typing.List/Optional/functional NamedTuple are the spellings kfp understands.

from kfp import dsl


@dsl.component
def ok_step(marker: str) -> str:
    """Upstream that succeeds."""
    with open(marker, "a") as f:
        f.write("ok\n")
    return "fine"


@dsl.component
def explode(msg: str, marker: str) -> str:
    """Raises a distinctive exception from a nested helper (visible in the traceback)."""

    def deep_helper_function(m: str) -> None:
        raise ZeroDivisionError(f"conformance boom: {m}")

    with open(marker, "a") as f:
        f.write("explode\n")
    print("about to explode")
    deep_helper_function(msg)
    return "unreachable"


@dsl.component
def downstream(x: str, marker: str) -> str:
    """Must never run after ``explode`` failed."""
    with open(marker, "a") as f:
        f.write("downstream\n")
    return x


@dsl.pipeline(name="failing")
def failing(marker: str, down_marker: str) -> str:
    """ok-step -> explode -> downstream -> downstream-2."""
    a = ok_step(marker=marker)
    b = explode(msg=a.output, marker=marker)
    c = downstream(x=b.output, marker=down_marker)
    return downstream(x=c.output, marker=down_marker).output


@dsl.pipeline(name="failing-in-nested")
def failing_in_nested(marker: str, down_marker: str) -> str:
    """The failure happens inside a nested pipeline; the outer consumer must not run."""
    inner = failing(marker=marker, down_marker=down_marker)
    return downstream(x=inner.output, marker=down_marker).output


@dsl.pipeline(name="failing-in-loop")
def failing_in_loop(marker: str, down_marker: str):
    """One loop iteration fails; the consumer of the loop must not run."""
    with dsl.ParallelFor(["a", "b"]) as m:
        t = explode(msg=m, marker=marker)
    downstream(x="after", marker=down_marker).after(t)
