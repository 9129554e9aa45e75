"""Things that can be run: pipelines, a lone component, compiled YAML, a .py file."""

# KFP reads these signatures at compile time: mutable defaults are pipeline defaults,
# and typing.List/Optional/functional NamedTuple are the spellings kfp understands.

from kfp import dsl


@dsl.component
def add(a: int, b: int = 2) -> int:
    """A lone component is a one-task pipeline."""
    return a + b


@dsl.pipeline(name="first-pipeline")
def first_pipeline(a: int = 1) -> int:
    """One of two pipelines in this file."""
    return add(a=a).output


@dsl.pipeline(name="second-pipeline")
def second_pipeline(a: int = 10, b: int = 5) -> int:
    """The other pipeline in this file, picked by ``pipeline_name``."""
    return add(a=a, b=b).output
