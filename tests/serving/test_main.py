"""``python -m sluice.serving``: nothing runs on import; a missing model directory is one line."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys


def test_importing_the_entry_point_serves_nothing() -> None:
    module = importlib.import_module("sluice.serving.__main__")
    assert callable(module.main)


def test_without_a_model_directory_it_says_what_is_missing() -> None:
    env = {k: v for k, v in os.environ.items() if k != "AIP_STORAGE_URI"}
    done = subprocess.run(
        [sys.executable, "-m", "sluice.serving"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "sluice-serving: AIP_STORAGE_URI is not set; it names the model's directory "
        "(Sluice sets it when it deploys a model: see docs/models.md)"
    ]
