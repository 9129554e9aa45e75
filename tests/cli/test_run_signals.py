"""``sluice run`` killed or terminated: no task process outlives it, and SIGTERM cancels.

The task of each pipeline starts a grandchild in a session of its own (out of reach of its
process group), writes both pids and sleeps. Only the CLI's own pid is signalled.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sluice.config import Settings
from sluice.store.repository import Store

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux /proc")

PIPELINES = '''
from kfp import dsl

SITS = """
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"],
                         start_new_session=True)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(f"{os.getpid()} {child.pid}")
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(120)
"""


@dsl.container_component
def sits_in_shell(pid_file: str):
    return dsl.ContainerSpec(image="python:3.11", command=["python3", "-c", SITS],
                             args=[pid_file])


@dsl.component(base_image="python:3.11")
def sits_in_python(pid_file: str):
    import os, subprocess, sys, time
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"],
                             start_new_session=True)
    with open(pid_file + ".tmp", "w") as f:
        f.write(f"{os.getpid()} {child.pid}")
    os.rename(pid_file + ".tmp", pid_file)
    time.sleep(120)


@dsl.pipeline(name="shell")
def shell(pid_file: str):
    sits_in_shell(pid_file=pid_file).set_caching_options(False)


@dsl.pipeline(name="python")
def python(pid_file: str):
    sits_in_python(pid_file=pid_file).set_caching_options(False)
'''


def process_gone(pid: int, timeout: float = 20.0) -> bool:
    """Whether ``pid`` exits within ``timeout`` (a zombie counts as exited)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except (FileNotFoundError, ProcessLookupError):  # gone before (or while) read
            return True
        if stat.rsplit(")", 1)[1].split()[0] in ("Z", "X"):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


@contextlib.contextmanager
def sluice_run(
    tmp_path: Path, home: Path, pipeline: str
) -> Iterator[tuple[subprocess.Popen[str], list[int]]]:
    """``sluice run`` of ``pipeline`` until its task wrote its pids; everything killed after."""
    path = tmp_path / "pipelines.py"
    path.write_text(textwrap.dedent(PIPELINES))
    pid_file = tmp_path / "pids"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sluice",
            "run",
            str(path),
            "--pipeline",
            pipeline,
            "-p",
            f"pid_file={pid_file}",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "SLUICE_HOME": str(home)},
        start_new_session=True,  # so that signalling the CLI's pid is all that reaches it
    )
    pids: list[int] = []
    try:
        deadline = time.monotonic() + 90
        while not pid_file.exists():
            if proc.poll() is not None:
                pytest.fail(f"sluice run exited with {proc.returncode}: {proc.stdout.read()}")  # type: ignore[union-attr]
            if time.monotonic() > deadline:
                pytest.fail("the task never started")
            time.sleep(0.05)
        pids.extend(int(p) for p in pid_file.read_text().split())
        yield proc, pids
    finally:
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.communicate(timeout=30)
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.slow
@pytest.mark.parametrize("pipeline", ["shell", "python"])
def test_sigkill_of_sluice_run_kills_its_task_processes(
    tmp_path: Path, sluice_home: Path, pipeline: str
) -> None:
    with sluice_run(tmp_path, sluice_home, pipeline) as (proc, pids):
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        for pid in pids:
            assert process_gone(pid), f"process {pid} outlived sluice run"


@pytest.mark.slow
@pytest.mark.parametrize("pipeline", ["shell", "python"])
def test_sigterm_of_sluice_run_cancels_like_ctrl_c(
    tmp_path: Path, sluice_home: Path, pipeline: str
) -> None:
    with sluice_run(tmp_path, sluice_home, pipeline) as (proc, pids):
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=60)
        assert proc.returncode == 130, output
        assert "CANCELED" in output
        for pid in pids:
            assert process_gone(pid), f"process {pid} outlived sluice run"
    store = Store(Settings.from_env(home=sluice_home).db_url)
    (run,) = store.list_runs()
    assert run.state == "CANCELED"
