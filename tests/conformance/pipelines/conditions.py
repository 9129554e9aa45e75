"""If/Elif/Else, dsl.Condition, nested conditions, conditions in loops, dsl.OneOf."""

# KFP reads these signatures at compile time: mutable defaults are pipeline defaults,
# and typing.List/Optional/functional NamedTuple are the spellings kfp understands.

from kfp import dsl
from kfp.dsl import Dataset, Input, Output


@dsl.component
def pick(v: str) -> str:
    """Returns its input: the value conditions test against."""
    return v


@dsl.component
def say(msg: str, marker: str) -> str:
    """Records that the branch ran and returns ``msg``."""
    with open(marker, "a") as f:
        f.write(msg + "\n")
    return msg


@dsl.pipeline(name="if-elif-else")
def if_elif_else(v: str = "heads", marker: str = "") -> str:
    """Exactly one branch runs; dsl.OneOf returns the output of the branch that ran."""
    p = pick(v=v)
    with dsl.If(p.output == "heads"):
        a = say(msg="H", marker=marker)
    with dsl.Elif(p.output == "tails"):
        b = say(msg="T", marker=marker)
    with dsl.Else():
        c = say(msg="E", marker=marker)
    return dsl.OneOf(a.output, b.output, c.output)


@dsl.pipeline(name="legacy-condition")
def legacy_condition(flag: bool = True, marker: str = ""):
    """The deprecated ``dsl.Condition`` on a pipeline bool parameter."""
    with dsl.Condition(flag == True):  # noqa: E712 - KFP needs the comparison
        say(msg="yes", marker=marker)
    with dsl.Condition(flag == False):  # noqa: E712
        say(msg="no", marker=marker)


@dsl.component
def number(n: int) -> int:
    """Returns ``n``; conditions compare it numerically."""
    return n


@dsl.pipeline(name="nested-conditions")
def nested_conditions(n: int = 7, marker: str = ""):
    """``outer`` runs when n > 1; ``inner`` when also n > 5; ``other`` when n > 1 and n <= 5."""
    num = number(n=n)
    with dsl.If(num.output > 1):
        say(msg="outer", marker=marker)
        with dsl.If(num.output > 5):
            say(msg="inner", marker=marker)
        with dsl.Else():
            say(msg="other", marker=marker)


@dsl.component
def sq(x: int, marker: str) -> int:
    """Loop body under a condition."""
    with open(marker, "a") as f:
        f.write(f"{x}\n")
    return x * x


@dsl.pipeline(name="condition-in-loop")
def condition_in_loop(threshold: int = 2, marker: str = ""):
    """A condition on the loop item against a pipeline parameter, in every iteration."""
    with dsl.ParallelFor([1, 2, 3, 4]) as x, dsl.If(x > threshold):
        sq(x=x, marker=marker)


@dsl.component
def make_ds(text: str, out: Output[Dataset]):
    """Branch-specific artifact."""
    with open(out.path, "w") as f:
        f.write(text)
    out.metadata["branch"] = text


@dsl.component
def read_ds(data: Input[Dataset]) -> str:
    """Reads whichever artifact the OneOf selected."""
    with open(data.path) as f:
        return f"{f.read()}/{data.metadata['branch']}"


@dsl.pipeline(name="oneof-artifacts")
def oneof_artifacts(v: str = "heads") -> str:
    """dsl.OneOf over artifacts feeds a consumer."""
    p = pick(v=v)
    with dsl.If(p.output == "heads"):
        a = make_ds(text="from-if")
    with dsl.Else():
        b = make_ds(text="from-else")
    return read_ds(data=dsl.OneOf(a.outputs["out"], b.outputs["out"])).output


@dsl.pipeline(name="oneof-inner")
def _oneof_inner(v: str) -> Dataset:
    """Nested pipeline whose output artifact is a OneOf."""
    p = pick(v=v)
    with dsl.If(p.output == "heads"):
        a = make_ds(text="inner-if")
    with dsl.Else():
        b = make_ds(text="inner-else")
    return dsl.OneOf(a.outputs["out"], b.outputs["out"])


@dsl.pipeline(name="oneof-artifact-output")
def oneof_artifact_output(v: str = "tails") -> Dataset:
    """A OneOf artifact exported as a nested pipeline output, then as the pipeline output."""
    return _oneof_inner(v=v).output


@dsl.component
def score(v: float) -> float:
    """A float output compared in a condition."""
    return v


@dsl.component
def flag_of(v: float) -> bool:
    """A bool output compared in a condition."""
    return v > 0.5


@dsl.pipeline(name="condition-types")
def condition_types(v: float = 0.75, marker: str = ""):
    """Conditions on float and bool outputs, and on a string loop item."""
    s = score(v=v)
    f = flag_of(v=v)
    with dsl.If(s.output >= 0.5):
        say(msg="float-high", marker=marker)
    with dsl.If(f.output == True):  # noqa: E712 - KFP needs the comparison
        say(msg="bool-true", marker=marker)
    with dsl.ParallelFor(["a", "b", "c"]) as item, dsl.If(item == "b"):
        say(msg="item-b", marker=marker)
