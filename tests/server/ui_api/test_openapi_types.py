"""The UI's API types are generated from the app's OpenAPI document and committed
(``ui/openapi.json``, ``ui/src/api/schema.d.ts``); these tests fail when either is stale.

Fix a failure with ``make ui-api``.
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from sluice.server.ui_api.openapi import render

UI = Path(__file__).resolve().parents[3] / "ui"
HINT = "stale: run `make ui-api` and commit the result"


def test_openapi_json_is_fresh() -> None:
    assert json.loads((UI / "openapi.json").read_text()) == json.loads(render()), HINT


def test_schema_types_are_fresh(tmp_path: Path) -> None:
    tool = UI / "node_modules" / ".bin" / "openapi-typescript"
    if not tool.exists() or shutil.which("node") is None:
        pytest.skip("ui/node_modules is missing: run `make setup`")
    source = tmp_path / "openapi.json"
    source.write_text(render())
    out = tmp_path / "schema.d.ts"
    subprocess.run(
        [str(tool), str(source), "-o", str(out)], check=True, capture_output=True, cwd=UI
    )
    assert out.read_text() == (UI / "src" / "api" / "schema.d.ts").read_text(), HINT
