"""benchmarks/spec_diff.py still runs: at a tiny size, checked by its JSON (no time is
looked at)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TINY = ("--tasks", "20", "--every", "5", "--repeat", "1", "--pyyaml", "--json")


def test_spec_diff_benchmark_tiny() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "spec_diff.py"), *TINY],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    (line,) = proc.stdout.splitlines()
    result = json.loads(line)
    assert result["tasks"] == 20
    assert result["tasks_changed"] == 4
    assert {"yaml_ms", "diff_specs_ms", "pyyaml_dump_ms", "diff_lines"} <= set(result)
