"""Pipelines the form, pipeline and experiment tests submit (no ``from __future__ import
annotations``: kfp reads the real annotations)."""

from kfp import dsl
from kfp.dsl import Metrics, Output


@dsl.component
def score(
    count: int,
    rate: float,
    flag: bool,
    name: str,
    items: list,
    config: dict,
    metrics: Output[Metrics],
) -> str:
    """Log ``rate`` as the accuracy; answer every argument with its Python type."""
    metrics.log_metric("accuracy", rate)
    metrics.log_metric("count", count)
    values = [count, rate, flag, name, items, config]
    return ";".join(f"{type(value).__name__}={value!r}" for value in values)


@dsl.pipeline(name="ui-typed")
def typed(
    count: int = 3,
    rate: float = 0.75,
    flag: bool = True,
    name: str = "hello",
    items: list = [1, 2],  # noqa: B006 (a pipeline default, never mutated)
    config: dict = {"depth": 2},  # noqa: B006
) -> str:
    """One task taking a parameter of each type and logging metrics."""
    return score(count=count, rate=rate, flag=flag, name=name, items=items, config=config).outputs[
        "Output"
    ]


def upload(client: object, pipeline: object, folder: str, name: str) -> tuple[str, str]:
    """Compile ``pipeline`` and upload it through ``client`` (a ``kfp.Client``) as ``name``;
    returns the pipeline id and its first version's id."""
    from kfp import compiler

    path = f"{folder}/{name}.yaml"
    compiler.Compiler().compile(pipeline, path)  # type: ignore[arg-type]
    made = client.upload_pipeline(path, pipeline_name=name)  # type: ignore[attr-defined]
    versions = client.list_pipeline_versions(made.pipeline_id)  # type: ignore[attr-defined]
    return str(made.pipeline_id), str(versions.pipeline_versions[0].pipeline_version_id)
