"""Bad input raises a UserInputError subclass before anything runs or is stored."""

from __future__ import annotations

from pathlib import Path

import pytest

import sluice

from .helpers import count
from .pipelines import params


@pytest.mark.parametrize(
    ("arguments", "needle"),
    [
        ({"rows": 1, "nope": 2}, "nope"),  # unknown parameter
        ({"label": "x"}, "rows"),  # missing required parameter
        ({"rows": "abc"}, "rows"),  # wrong type for an int
        ({"rows": [1]}, "rows"),  # wrong type for an int
    ],
)
def test_bad_arguments(arguments: dict, needle: str, files: Path) -> None:
    """The error names the parameter; no run is recorded and no component ran."""
    marker = files / "m"
    arguments = {**arguments, "marker": str(marker)}
    with pytest.raises(sluice.InvalidArgumentError) as err:
        sluice.run(params.required_params, arguments)
    assert needle in str(err.value)
    assert isinstance(err.value, sluice.UserInputError)
    assert sluice.list_runs() == []
    assert count(marker) == 0


def test_missing_file_is_pipeline_not_found(tmp_path: Path) -> None:
    """A path that does not exist."""
    with pytest.raises(sluice.PipelineNotFoundError):
        sluice.run(str(tmp_path / "missing.yaml"))
    assert sluice.list_runs() == []


def test_yaml_that_is_not_a_pipeline(tmp_path: Path) -> None:
    """A YAML file without a pipeline spec is an invalid pipeline."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("hello: world\nlist: [1, 2]\n")
    with pytest.raises((sluice.InvalidPipelineError, sluice.PipelineNotFoundError)):
        sluice.run(str(bad))
    assert sluice.list_runs() == []


def test_py_file_without_the_named_pipeline(tmp_path: Path) -> None:
    """pipeline_name that the file does not define."""
    from .pipelines import entrypoints

    with pytest.raises(sluice.PipelineNotFoundError):
        sluice.run(entrypoints.__file__, pipeline_name="no-such-pipeline")
    assert sluice.list_runs() == []


@pytest.mark.parametrize(
    "arguments", [{"b": "yes"}, {"i": "seven"}, {"d": [1, 2]}, {"ints": {"a": 1}}]
)
def test_wrong_types_for_other_parameter_types(arguments: dict) -> None:
    """bool, int, dict and list parameters reject values of another JSON type."""
    with pytest.raises(sluice.InvalidArgumentError) as err:
        sluice.run(params.all_types, arguments)
    assert next(iter(arguments)) in str(err.value)
    assert sluice.list_runs() == []
