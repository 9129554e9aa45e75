"""``examples/vertex/submit.py``, run as a user runs it, against a real ``sluice server``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import kfp
import pytest
from tests.server.server_process import ServerProcess

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "vertex"

pytestmark = pytest.mark.slow


def test_the_vertex_example_submits_schedules_and_queries_lineage(tmp_path: Path) -> None:
    """The Vertex docs' sequence works end to end, its artifacts land in the emulated bucket,
    and the same job is a run that kfp.Client sees."""
    home = tmp_path / "server"
    with ServerProcess(home, cli_args=["--emulate-gcs"]) as server:
        env = {**os.environ, "STORAGE_EMULATOR_HOST": server.url}
        done = subprocess.run(
            [sys.executable, str(EXAMPLE / "submit.py")],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr[-4000:]
        # submit() logs this and goes on when its bucket step fails, e.g. after the minute
        # its Cloud Resource Manager call waits offline (examples/vertex/README.md).
        assert "Error when trying to get or create a GCS bucket" not in done.stderr
        lines = done.stdout.splitlines()
        assert any(line.endswith(": PIPELINE_STATE_SUCCEEDED") for line in lines), done.stdout
        assert any(line.endswith(": ACTIVE") and line.startswith("schedule ") for line in lines)
        datasets = [line for line in lines if line.startswith("dataset ")]
        assert datasets and "gs://my-project-vertex-example/pipeline_root/" in datasets[0]
        assert "'rows': 50" in datasets[0]
        assert any(line.startswith("lineage execution") for line in lines), done.stdout
        assert any("system.Model" in line for line in lines if line.startswith("lineage artifact"))

        runs = kfp.Client(host=server.url).list_runs().runs or []
        assert [run.display_name for run in runs] == ["vertex-example"]
        assert runs[0].state == "SUCCEEDED"

    # Objects are files: the bucket is a directory of the emulation's store.
    bucket = home / "gcs" / "my-project-vertex-example" / "pipeline_root"
    assert list(bucket.glob("**/make-dataset/dataset")), sorted(bucket.rglob("*"))
    assert list(bucket.glob("**/train/model"))
