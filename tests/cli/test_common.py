"""Shared CLI helpers: durations, values, the error boundary."""

from __future__ import annotations

from datetime import timedelta

import pytest
import typer
from kfp import dsl

from sluice.cli.common import (
    cli_errors,
    format_duration,
    parse_age,
    value_json,
    value_text,
)
from sluice.errors import ExecutorError, InvalidArgumentError, UserInputError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("12h", timedelta(hours=12)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        ("1d12h", timedelta(days=1, hours=12)),
        (" 1.5H ", timedelta(hours=1.5)),
    ],
)
def test_parse_age(text: str, expected: timedelta) -> None:
    assert parse_age(text) == expected


@pytest.mark.parametrize("text", ["", "soon", "7x", "d7", "1d 2h", "-1d"])
def test_parse_age_rejects(text: str) -> None:
    with pytest.raises(UserInputError, match="cache-max-age"):
        parse_age(text)


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(None, "-"), (0.44, "0.4s"), (59.9, "59.9s"), (125, "2m05s"), (3720, "1h02m")],
)
def test_format_duration(seconds: float | None, expected: str) -> None:
    assert format_duration(seconds) == expected


def test_values_artifacts_and_parameters() -> None:
    model = dsl.Model(name="m", uri="file:///tmp/m", metadata={"acc": 0.9})

    assert value_text(model) == "file:///tmp/m"
    assert value_text([model, model]) == "file:///tmp/m, file:///tmp/m"
    assert value_text({"a": [1, 2]}) == '{"a": [1, 2]}'
    assert value_text("hi") == '"hi"'
    assert value_json({"m": model, "n": 3}) == {
        "m": {"uri": "file:///tmp/m", "schema_title": "system.Model", "metadata": {"acc": 0.9}},
        "n": 3,
    }


def test_cli_errors_maps_exceptions_to_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    @cli_errors
    def bad_input() -> None:
        raise InvalidArgumentError("parameter 'rows' expects an integer,\n got 'abc'")

    @cli_errors
    def broken() -> None:
        raise ExecutorError("worker died")

    with pytest.raises(typer.Exit) as exit_2:
        bad_input()
    assert exit_2.value.exit_code == 2
    assert capsys.readouterr().err == "error: parameter 'rows' expects an integer, got 'abc'\n"

    with pytest.raises(typer.Exit) as exit_1:
        broken()
    assert exit_1.value.exit_code == 1
    assert capsys.readouterr().err == "error: worker died\n"
