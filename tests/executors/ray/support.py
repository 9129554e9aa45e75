"""Ray for the tests: imported or skipped (a failure where CI=true), and a loopback-only env."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TypeVar

import pytest

T = TypeVar("T")

#: What every Ray process of the tests runs with (docs/scale.md, "Ray on one machine"):
#: listeners on 127.0.0.1 only, no token file written to ~/.ray, no usage report.
LOOPBACK_ENV = {
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
    "RAY_AUTH_MODE": "disabled",
    "RAY_USAGE_STATS_ENABLED": "0",
}


def require_ray() -> ModuleType:
    """The ``ray`` module; skips the module when Ray is missing, unless CI=true (fails)."""
    try:
        import ray
    except ImportError:
        if os.environ.get("CI", "").lower() == "true":
            raise
        pytest.skip(
            "ray is not installed (pip install 'sluice[ray]'); with CI=true this fails",
            allow_module_level=True,
        )
    return ray


def ray_env(tmp: Path) -> dict[str, str]:
    """The environment of Ray processes started for a test, their files under ``tmp``."""
    return {**LOOPBACK_ENV, "RAY_TMPDIR": str(tmp)}


def wait_for(what: str, check: Callable[[], T | None], timeout: float = 60.0) -> T:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.1)


def process_gone(pid: int) -> bool:
    """Whether no process ``pid`` runs (a zombie counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"
