"""benchmarks/ui.py still runs: at a tiny size, in Chromium, checked by its JSON (no time
is looked at)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sluice.server.ui_static import ui_dist

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow

# The loop must be over 20 wide: the graph case measures the summarised loop.
TINY = ("--runs", "60", "--width", "25", "--repeat", "1", "--json")
KEYS = {
    "runs",
    "width",
    "seed_s",
    "api_runs_first_page_ms",
    "api_runs_next_page_ms",
    "api_runs_last_page_ms",
    "api_runs_metric_filter_ms",
    "api_runs_metric_sort_ms",
    "api_graph_ms",
    "api_graph_artifacts_ms",
    "run_list_first_page_ms",
    "run_list_next_page_ms",
    "graph_render_ms",
    "graph_pick_ms",
    "graph_frame_p95_ms",
    "graph_frame_max_ms",
}


def test_ui_benchmark_tiny(tmp_path: Path) -> None:
    if (os.environ.get("SLUICE_CHROMIUM") or shutil.which("chromium")) is None:
        pytest.skip("no Chromium: apt-get install -y chromium")
    if not (ui_dist() / "index.html").is_file():
        pytest.skip("the web UI is not built: run `make setup`")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "ui.py"), *TINY],
        capture_output=True,
        text=True,
        timeout=280,
        env={**os.environ, "SLUICE_HOME": str(tmp_path)},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(result) == KEYS
    assert (result["runs"], result["width"]) == (60, 25)
