"""Starting a run through the CLI for tests that then read it back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from sluice.cli.main import app


def run_pipeline(runner: CliRunner, path: Path, pipeline: str, *args: str) -> dict[str, Any]:
    """Run one pipeline of ``path`` with ``sluice run --json`` and return the JSON."""
    result = runner.invoke(app, ["run", str(path), "--pipeline", pipeline, "--json", *args])
    assert result.exit_code in (0, 1), result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data
