"""Parameters of every type, defaults, casting, NamedTuple/OutputPath outputs, InputPath."""

# KFP reads these signatures at compile time: mutable defaults are pipeline defaults,
# and typing.List/Optional/functional NamedTuple are the spellings kfp understands.
# ruff: noqa: B006, UP014, UP045

from typing import NamedTuple, Optional

from kfp import dsl
from kfp.dsl import InputPath, OutputPath


@dsl.component
def describe(
    s: str,
    i: int,
    f: float,
    b: bool,
    ints: list,
    d: dict,
    opt: Optional[str] = None,
) -> dict:
    """Echo every input with its Python type name, so tests can check the casting."""
    return {
        "s": [s, type(s).__name__],
        "i": [i, type(i).__name__],
        "f": [f, type(f).__name__],
        "b": [b, type(b).__name__],
        "ints": [ints, [type(x).__name__ for x in ints]],
        "d": [d, {k: type(v).__name__ for k, v in d.items()}],
        "opt": [opt, type(opt).__name__],
    }


@dsl.pipeline(name="all-types")
def all_types(
    s: str = "hello",
    i: int = 3,
    f: float = 1.5,
    b: bool = True,
    ints: list = [1, 2, 3],
    d: dict = {"n": 1, "x": 0.5, "nested": {"k": [1, 2]}},
    opt: Optional[str] = None,
) -> dict:
    """Pipeline parameters of every type flow unchanged into a component."""
    return describe(s=s, i=i, f=f, b=b, ints=ints, d=d, opt=opt).output


@dsl.component
def add_typed(vals: list, cfg: dict) -> int:
    """Sums ints from a list and a dict; must return an int (not a float)."""
    return sum(vals) + cfg["offset"]


@dsl.component
def int_type_name(n: int) -> str:
    """The Python type of an int input (catches 7.0 arriving for 7)."""
    return f"{n}:{type(n).__name__}"


@dsl.pipeline(name="int-fidelity")
def int_fidelity(vals: list = [1, 2, 3], cfg: dict = {"offset": 10}) -> str:
    """Ints stay ints inside lists and dicts, so an int-returning sum type-checks."""
    total = add_typed(vals=vals, cfg=cfg)
    return int_type_name(n=total.output).output


@dsl.component
def stats(vals: list) -> NamedTuple("Outputs", [("total", int), ("mean", float), ("label", str)]):
    """A NamedTuple with int, float and str fields."""
    from typing import NamedTuple as NT

    out = NT("Outputs", [("total", int), ("mean", float), ("label", str)])
    return out(sum(vals), sum(vals) / len(vals), f"n={len(vals)}")


@dsl.component
def fmt_stats(total: int, mean: float, label: str) -> str:
    """Formats the NamedTuple fields after they crossed a task boundary."""
    return f"{label} total={total}:{type(total).__name__} mean={mean}"


@dsl.pipeline(name="named-tuple")
def named_tuple(vals: list = [1, 2, 3, 6]) -> NamedTuple(
    "Outputs", [("total", int), ("label", str), ("summary", str)]
):
    """NamedTuple component outputs consumed downstream and re-exported as pipeline outputs."""
    st = stats(vals=vals)
    summary = fmt_stats(
        total=st.outputs["total"], mean=st.outputs["mean"], label=st.outputs["label"]
    )
    outputs = NamedTuple("Outputs", [("total", int), ("label", str), ("summary", str)])
    return outputs(st.outputs["total"], st.outputs["label"], summary.output)


@dsl.component
def write_outputs(text: str, text_out: OutputPath(str), num_out: OutputPath(int)):
    """OutputPath parameters exist only in their files (no return value)."""
    with open(text_out, "w") as f:
        f.write(text.upper())
    with open(num_out, "w") as f:
        f.write(str(len(text) * 10))


@dsl.component
def use_outputs(text: str, num: int) -> str:
    """Consumes OutputPath parameters: the int must arrive as an int."""
    return f"{text}|{num + 1}|{type(num).__name__}"


@dsl.component
def write_file(text: str, out: OutputPath("Dataset")):
    """Writes a file output consumed by an InputPath."""
    with open(out, "w") as f:
        f.write(text * 2)


@dsl.component
def read_path(data: InputPath("Dataset")) -> str:
    """InputPath: a local file path readable by the component."""
    with open(data) as f:
        return f.read()


@dsl.pipeline(name="output-paths")
def output_paths(text: str = "abc") -> NamedTuple("Outputs", [("used", str), ("read", str)]):
    """OutputPath(str)/OutputPath(int) parameter outputs and an OutputPath/InputPath file."""
    w = write_outputs(text=text)
    used = use_outputs(text=w.outputs["text_out"], num=w.outputs["num_out"])
    f = write_file(text=text)
    r = read_path(data=f.outputs["out"])
    outputs = NamedTuple("Outputs", [("used", str), ("read", str)])
    return outputs(used.output, r.output)


@dsl.component
def greet(name: str, punctuation: str = "!", times: int = 1) -> str:
    """Component defaults apply when the pipeline does not pass an argument."""
    return f"hello {name}{punctuation}" * times


@dsl.pipeline(name="defaults")
def defaults(name: str = "world", times: int = 2) -> NamedTuple(
    "Outputs", [("a", str), ("b", str)]
):
    """Pipeline defaults and component defaults."""
    a = greet(name=name)
    b = greet(name=name, punctuation="?", times=times)
    outputs = NamedTuple("Outputs", [("a", str), ("b", str)])
    return outputs(a.output, b.output)


@dsl.component
def needs_rows(rows: int, label: str) -> str:
    """A component with required inputs (used by the bad-input tests)."""
    return f"{label}:{rows}"


@dsl.pipeline(name="required-params")
def required_params(rows: int, label: str = "x", marker: str = "") -> str:
    """``rows`` is required; ``label`` has a default."""
    return needs_rows(rows=rows, label=label).output
