"""A 1 GiB artifact between two tasks through the GCS emulation, never held in memory.

The run executes in a ``sluice run`` process of its own that reaches the server's emulation
over HTTP (``STORAGE_EMULATOR_HOST``, gcsfs), as any process with a ``gs://`` root does.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from tests.large_artifacts import run_big_pipeline
from tests.server.server_process import ServerProcess

BIG_MIB = int(os.environ.get("SLUICE_TEST_BIG_ARTIFACT_MIB", "1024"))
RSS_BOUND_MIB = 400


@pytest.mark.slow
def test_a_1_gib_artifact_streams_through_gs(
    gcs_server: ServerProcess, gcs_fs: Any, backing: Path, tmp_path: Path
) -> None:
    gcs_fs.mkdir("big")
    env = {"STORAGE_EMULATOR_HOST": gcs_server.url, "GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT": "false"}
    run, peak_mib = run_big_pipeline("gs://big/root", BIG_MIB, tmp_path, env)
    stored = backing / "big" / "root" / run["name"] / "produce" / "blob"
    assert stored.stat().st_size == BIG_MIB << 20
    assert peak_mib < RSS_BOUND_MIB, f"the orchestrator peaked at {peak_mib:.0f} MiB"
