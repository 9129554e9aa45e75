"""benchmarks/ui.py's live-latency and big-log cases still run: tiny, in Chromium, checked
by their JSON (no time is looked at)."""

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

TINY = ("--runs", "60", "--width", "25", "--repeat", "1", "--live", "2", "--log-mb", "5")
LIVE_KEYS = {"live_changes", "live_median_ms", "live_p95_ms", "live_max_ms"}
LOG_KEYS = {"log_mib", "log_first_text_ms", "log_last_lines_ms"}


def test_ui_benchmark_live_and_big_log_tiny(tmp_path: Path) -> None:
    if (os.environ.get("SLUICE_CHROMIUM") or shutil.which("chromium")) is None:
        pytest.skip("no Chromium: apt-get install -y chromium")
    if not (ui_dist() / "index.html").is_file():
        pytest.skip("the web UI is not built: run `make setup`")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "ui.py"), *TINY, "--json"],
        capture_output=True,
        text=True,
        timeout=400,
        env={**os.environ, "SLUICE_HOME": str(tmp_path)},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(result) >= LIVE_KEYS | LOG_KEYS
    # Two gate tasks: the second's RUNNING and both SUCCEEDED (the first's RUNNING may come
    # before the page opens, so it is not counted).
    assert result["live_changes"] == 3
    assert result["log_mib"] == 5
