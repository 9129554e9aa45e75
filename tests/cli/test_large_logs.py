"""``sluice logs`` copies a large log in chunks: its memory does not grow with the log."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sluice.cli.main import app
from sluice.config import Settings
from sluice.store.repository import Store

from .helpers import run_pipeline
from .test_logs import runner

MIB = 1024 * 1024

# Runs a command with its output to /dev/null; prints its peak RSS (KiB).
MEASURE = textwrap.dedent(
    """
    import resource, subprocess, sys
    subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True, timeout=120)
    print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    """
)


def peak_rss_kib(args: list[str], env: dict[str, str]) -> int:
    """Peak RSS (KiB) of ``sluice ARGS`` run in a process of its own."""
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, sys.executable, "-m", "sluice", *args],
        capture_output=True,
        text=True,
        timeout=150,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return int(result.stdout)


def write_large_log(path: Path, mib: int = 50) -> int:
    """Replace ``path`` with ``mib`` MiB of text ending in a known line; returns its size."""
    line = b"z" * 1023 + b"\n"
    with path.open("wb") as handle:
        for _ in range(mib):
            handle.write(line * 1024)
        handle.write(b"the very end\n")
    return path.stat().st_size


@pytest.mark.skipif(sys.platform == "win32", reason="resource module")
@pytest.mark.slow
def test_logs_of_a_large_log_use_little_memory(pipelines: Path, sluice_home: Path) -> None:
    data = run_pipeline(runner, pipelines, "bad", "-p", "rows=2")
    store = Store(Settings.from_env().db_url)
    boom = next(t for t in store.tasks_of_run(data["id"]) if t.name == "boom")
    assert boom.log_path
    log = Path(boom.log_path)
    # Several chunks, with multi-byte characters across their boundaries: copied exactly.
    text = "".join(f"{i} ünïcødé\n" for i in range(300_000))
    log.write_text(text, encoding="utf-8")
    shown = runner.invoke(app, ["logs", data["id"], "boom"])
    assert shown.exit_code == 0 and shown.stdout == text

    size = write_large_log(log)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    kib = peak_rss_kib(["logs", data["id"], "boom"], env) - peak_rss_kib(
        ["logs", data["id"], "make"], env
    )
    # Reading the log whole would take its 50 MiB at least twice (bytes, then str).
    assert kib < 16 * 1024, f"sluice logs grew by {kib} KiB on a {size // MIB} MiB log"
