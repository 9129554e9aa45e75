"""Smoke test against a real ``ray start --head`` (not cluster_utils): ``sluice run --executor
ray --ray-address`` from the CLI, in a process of its own, against a head started the way an
operator starts one. The head runs under ``timeout`` with ``--block`` in a session of its own,
with its own ``--temp-dir``; it is stopped through its process group (never ``ray stop``, which
would stop every Ray process of the host).
"""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .support import process_gone, ray_env, require_ray, wait_for

require_ray()

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

ROOT = Path(__file__).resolve().parents[3]
RAY = Path(sys.executable).with_name("ray")

PIPELINE = textwrap.dedent("""
    from kfp import dsl

    @dsl.component
    def double(x: int) -> int:
        import os
        print("on node", os.environ["SLUICE_RAY_NODE_ID"])
        return 2 * x

    @dsl.pipeline
    def smoke(x: int = 21) -> int:
        return double(x=double(x=x).output).output
""")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _own_ray_processes(temp_dir: Path) -> list[int]:
    """Processes whose command line names this test's Ray temp dir (its head's processes)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if str(temp_dir).encode() in cmdline and not process_gone(int(entry.name)):
                found.append(int(entry.name))
    return found


@pytest.fixture
def ray_head(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A head started by ``ray start --head --block``; its address and the env to reach it."""
    if not RAY.exists():
        pytest.skip(f"no ray command next to {sys.executable}")
    # Short: Ray's socket paths under it must fit in 107 bytes.
    temp_dir = Path(tempfile.mkdtemp(prefix="sluice-ray-"))
    port = _free_port()
    # No drain on SIGTERM: nothing to hand over, and the head would wait 30 s for it.
    env = {**os.environ, **ray_env(temp_dir), "RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S": "0"}
    env.pop("RAY_ADDRESS", None)
    head = subprocess.Popen(
        [
            *("timeout", "150", str(RAY), "start", "--head", "--block"),
            *(f"--port={port}", "--num-cpus=2", "--num-gpus=0", "--include-dashboard=false"),
            *("--node-ip-address=127.0.0.1", f"--temp-dir={temp_dir}", "--disable-usage-stats"),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "ray-start.log").open("wb"),
        start_new_session=True,
    )
    try:

        def listening() -> bool:
            assert head.poll() is None, (tmp_path / "ray-start.log").read_text()[-2000:]
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", port)) == 0

        wait_for("the Ray head to listen", listening, timeout=60)
        yield f"127.0.0.1:{port}", env
    finally:
        # `timeout` passes SIGTERM on to `ray start --block`, which stops what it started;
        # the process group (a session of its own) is only the fallback.
        head.terminate()
        try:
            head.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(head.pid, signal.SIGKILL)
            head.wait()
        deadline = time.monotonic() + 30
        while (left := _own_ray_processes(temp_dir)) and time.monotonic() < deadline:
            time.sleep(0.2)
        for pid in _own_ray_processes(temp_dir):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(temp_dir, ignore_errors=True)
        assert not left, f"Ray processes left running: {left}"


def test_sluice_run_on_a_ray_start_head(
    ray_head: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    address, env = ray_head
    pipeline = tmp_path / "smoke.py"
    pipeline.write_text(PIPELINE)
    env = {
        **env,
        "SLUICE_HOME": str(tmp_path / "home"),
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH")) if p),
    }
    done = subprocess.run(
        [
            *("timeout", "120", sys.executable, "-c", "from sluice.cli.main import main; main()"),
            *("run", str(pipeline)),
            *("--executor", "ray", "--ray-address", address, "--json"),
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    run = json.loads(done.stdout)
    assert run["state"] == "SUCCEEDED"
    assert run["outputs"]["Output"] == 84
