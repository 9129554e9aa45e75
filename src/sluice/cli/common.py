"""Pieces every ``sluice`` command shares: error handling, exit codes, output helpers.

Nothing here imports kfp or the engine: ``sluice --help`` must stay fast, so commands
import the heavy layers inside their bodies.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console

from sluice.errors import SluiceError, UserInputError

EXIT_OK = 0
EXIT_FAILED = 1  # the run failed or was canceled; or Sluice itself failed
EXIT_BAD_INPUT = 2  # same code click uses for usage errors
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C

P = ParamSpec("P")
R = TypeVar("R")


def fail(message: str, code: int) -> typer.Exit:
    """Print ``error: message`` on stderr and return the ``typer.Exit`` to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def cli_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn Sluice errors raised by a command into one ``error:`` line and an exit code.

    ``UserInputError`` (bad file, argument, unknown run...) exits 2 like a usage error;
    any other ``SluiceError`` exits 1. Other exceptions are bugs and keep their traceback.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except UserInputError as exc:
            raise fail(_one_line(exc), EXIT_BAD_INPUT) from None
        except SluiceError as exc:
            raise fail(_one_line(exc), EXIT_FAILED) from None

    return wrapper


def _one_line(exc: BaseException) -> str:
    # Messages are meant to fit one line; a stray newline must not break `error: ...` parsing.
    return " ".join(str(exc).split()) or type(exc).__name__


def make_console(*, stderr: bool = False) -> Console:
    """A console for command output: colours on a terminal, plain text otherwise.

    Highlighting is off because output holds user data (log lines, values) that rich
    would otherwise colour at random. Off a terminal, lines are not cut at 80 columns
    unless ``COLUMNS`` asks for it, so piped output and logs stay greppable.
    """
    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = 200
    return console


def format_duration(seconds: float | None) -> str:
    """``0.4s``, ``12.3s``, ``2m05s``, ``1h02m``; ``-`` when unknown."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def format_time(moment: datetime | None) -> str:
    """A timestamp in local time, to the second; ``-`` when unknown."""
    if moment is None:
        return "-"
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


_AGE_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_AGE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_age(text: str) -> timedelta:
    """Parse a duration such as ``30m``, ``12h``, ``7d``, ``1d12h`` or plain seconds.

    Raises:
        UserInputError: the text is not such a duration.
    """
    value = text.strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", value):
        return timedelta(seconds=float(value))
    parts = _AGE_PART.findall(value)
    if not parts or "".join(n + u for n, u in parts) != value:
        raise UserInputError(
            f"bad --cache-max-age '{text}': expected a duration like 30m, 12h, 7d or 1d12h"
        )
    return timedelta(seconds=sum(float(n) * _AGE_UNITS[u] for n, u in parts))


def is_artifact(value: object) -> bool:
    """Whether a run/task value is a ``dsl.Artifact`` (duck-typed: kfp is not imported here)."""
    return hasattr(value, "uri") and hasattr(value, "schema_title")


def artifact_json(value: Any) -> dict[str, Any]:
    """A ``dsl.Artifact`` as ``{uri, schema_title, metadata}``."""
    return {
        "uri": value.uri,
        "schema_title": value.schema_title,
        "metadata": dict(value.metadata or {}),
    }


def value_json(value: Any) -> Any:
    """An output value ready for ``json.dumps``: artifacts become dicts, lists recurse."""
    if is_artifact(value):
        return artifact_json(value)
    if isinstance(value, (list, tuple)):
        return [value_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): value_json(v) for k, v in value.items()}
    return value


def value_text(value: Any) -> str:
    """An output value for humans: artifacts as their URI, parameters as JSON."""
    if is_artifact(value):
        return str(value.uri)
    if isinstance(value, (list, tuple)) and value and all(is_artifact(v) for v in value):
        return ", ".join(str(v.uri) for v in value)
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)
