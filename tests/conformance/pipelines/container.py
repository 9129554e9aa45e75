"""Container components: ContainerSpec, Concat/IfPresent placeholders, YAML components."""

# KFP reads these signatures at compile time: mutable defaults are pipeline defaults,
# and typing.List/Optional/functional NamedTuple are the spellings kfp understands.
# ruff: noqa: UP014, UP045

from typing import NamedTuple, Optional

from kfp import components, dsl
from kfp.dsl import Dataset, Input, Output, OutputPath


@dsl.container_component
def shell_writer(text: str, out: Output[Dataset], count: OutputPath(int)):
    """Writes an artifact and an int OutputPath parameter from a shell command."""
    return dsl.ContainerSpec(
        image="python:3.11",
        command=["sh", "-c"],
        args=[
            # The backend pre-creates output directories (Go launcher), but be safe anyway.
            'mkdir -p "$(dirname "$1")" "$(dirname "$2")" && printf "%s" "$0" > "$1"'
            ' && printf "%s" "${#0}" > "$2"',
            text,
            out.path,
            count,
        ],
    )


@dsl.component
def read_shell(data: Input[Dataset], count: int) -> str:
    """Consumes a container component's artifact and int output."""
    with open(data.path) as f:
        return f"{f.read()}:{count + 1}"


@dsl.container_component
def concat_and_flag(name: str, out: OutputPath(str), flag: Optional[str] = None):
    """ConcatPlaceholder and IfPresentPlaceholder (present and absent optional input)."""
    return dsl.ContainerSpec(
        image="python:3.11",
        command=["sh", "-c", 'mkdir -p "$(dirname "$0")" && printf "%s|%s" "$1" "$2" > "$0"'],
        args=[
            out,
            dsl.ConcatPlaceholder(["hello-", name, "-!"]),
            dsl.IfPresentPlaceholder(
                input_name="flag",
                then=[dsl.ConcatPlaceholder(["flag=", flag])],
                else_=["noflag"],
            ),
        ],
    )


YAML_COMPONENT = """
name: yaml-upper
description: A v2 YAML component run by a shell.
inputs:
- {name: text, type: String}
outputs:
- {name: upper, type: String}
- {name: report, type: Dataset}
implementation:
  container:
    image: python:3.11
    command:
    - sh
    - -c
    - |
      mkdir -p "$(dirname "$1")" "$(dirname "$2")"
      printf "%s" "$0" | tr a-z A-Z > "$1"
      printf "report for %s" "$0" > "$2"
    - {inputValue: text}
    - {outputPath: upper}
    - {outputPath: report}
"""

yaml_upper = components.load_component_from_text(YAML_COMPONENT)


@dsl.component
def read_report(report: Input[Dataset]) -> str:
    """Reads the YAML component's artifact."""
    with open(report.path) as f:
        return f.read()


@dsl.pipeline(name="container-components")
def container_components(text: str = "hey") -> NamedTuple(
    "Outputs",
    [("shell", str), ("with_flag", str), ("without_flag", str), ("upper", str), ("report", str)],
):
    """Container component outputs consumed by Python components."""
    w = shell_writer(text=text)
    r = read_shell(data=w.outputs["out"], count=w.outputs["count"])
    with_flag = concat_and_flag(name=text, flag="on")
    without_flag = concat_and_flag(name=text)
    y = yaml_upper(text=text)
    rep = read_report(report=y.outputs["report"])
    outputs = NamedTuple(
        "Outputs",
        [
            ("shell", str),
            ("with_flag", str),
            ("without_flag", str),
            ("upper", str),
            ("report", str),
        ],
    )
    return outputs(
        r.output,
        with_flag.outputs["out"],
        without_flag.outputs["out"],
        y.outputs["upper"],
        rep.output,
    )


@dsl.container_component
def shell_fails():
    """A container component that exits non-zero."""
    return dsl.ContainerSpec(
        image="python:3.11", command=["sh", "-c", "echo container-broke >&2; exit 3"]
    )


@dsl.pipeline(name="container-fails")
def container_fails():
    """A failing container component fails the run."""
    shell_fails()
