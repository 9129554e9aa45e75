"""Pipeline-level input artifacts, passed as a URI or as {"uri", "metadata"}."""

from pathlib import Path

import pytest
from kfp import dsl

import sluice


@dsl.component
def count_lines(data: dsl.Input[dsl.Dataset]) -> str:
    with open(data.path) as f:
        return f"{len(f.read().splitlines())} {data.metadata.get('source', '-')}"


@dsl.pipeline
def takes_dataset(data: dsl.Input[dsl.Dataset]) -> str:
    return count_lines(data=data).output


def test_input_artifact_as_uri(tmp_path: Path) -> None:
    source = tmp_path / "rows.csv"
    source.write_text("a\nb\nc\n")
    run = sluice.run(takes_dataset, {"data": str(source)})
    assert run.state == "SUCCEEDED", run.error
    assert run.outputs == {"Output": "3 -"}
    given = run.task("count-lines").inputs["data"]
    assert given.uri == str(source)


def test_input_artifact_with_metadata(tmp_path: Path) -> None:
    source = tmp_path / "rows.csv"
    source.write_text("a\n")
    run = sluice.run(takes_dataset, {"data": {"uri": str(source), "metadata": {"source": "s"}}})
    assert run.state == "SUCCEEDED", run.error
    assert run.outputs == {"Output": "1 s"}


def test_missing_input_artifact_is_bad_input() -> None:
    with pytest.raises(sluice.InvalidArgumentError, match="data"):
        sluice.run(takes_dataset)
    assert sluice.list_runs() == []
