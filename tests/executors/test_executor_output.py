"""read_executor_output: the outputs a component wrote where its executor input says."""

import json
from pathlib import Path

import pytest

from sluice.errors import ComponentError
from sluice.executors.base import ExecutionRequest, Resources, read_executor_output


def _request(tmp_path: Path) -> ExecutionRequest:
    executor_input = {
        "outputs": {
            "parameters": {"Output": {"outputFile": str(tmp_path / "outputs" / "Output")}},
            "artifacts": {},
            "outputFile": str(tmp_path / "executor_output.json"),
        }
    }
    return ExecutionRequest(
        task_name="t",
        image="python:3.11",
        command=["true"],
        env={},
        log_path=tmp_path / "log.txt",
        work_dir=tmp_path,
        executor_input=executor_input,
        resources=Resources(),
    )


def test_the_executor_outputs_values_are_read(tmp_path: Path) -> None:
    (tmp_path / "executor_output.json").write_text(json.dumps({"parameterValues": {"Output": 3}}))
    assert read_executor_output(_request(tmp_path)).parameter_values == {"Output": 3}


def test_no_executor_output_means_no_values(tmp_path: Path) -> None:
    (tmp_path / "outputs").mkdir()
    (tmp_path / "outputs" / "Output").write_text("7")
    output = read_executor_output(_request(tmp_path))
    assert output.parameter_values == {}
    assert output.parameter_files == {"Output": "7"}


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe\xfa"])
def test_an_executor_output_that_is_not_json_is_the_components_error(
    tmp_path: Path, content: bytes
) -> None:
    (tmp_path / "executor_output.json").write_bytes(content)
    with pytest.raises(ComponentError, match="is not JSON"):
        read_executor_output(_request(tmp_path))
