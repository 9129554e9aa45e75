"""A server killed with SIGKILL takes its task processes along (only its own pid is killed),
and ``:terminate`` kills a task's whole tree, setsid'd grandchildren included.

Otherwise the restarted server would run the task again while the orphan still writes.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from kfp import dsl

API = "/apis/v2beta1"

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux /proc")


@dsl.component(base_image="python:3.11")
def sits(pid_file: str):
    import os
    import subprocess
    import sys
    import time

    child = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True
    )
    with open(pid_file + ".tmp", "w") as f:
        f.write(f"{os.getpid()} {child.pid}")
    os.rename(pid_file + ".tmp", pid_file)
    time.sleep(120)


@dsl.pipeline(name="sitting")
def sitting(pid_file: str):
    sits(pid_file=pid_file).set_caching_options(False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _gone(pid: int, timeout: float = 20.0) -> bool:
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


@pytest.mark.slow
@pytest.mark.parametrize("how", ["sigkill", "terminate"])
def test_task_processes_end_with_the_server_or_the_run(tmp_path: Path, how: str) -> None:
    from sluice.spec.loader import load_pipeline

    home = tmp_path / "home"
    home.mkdir()
    port = _free_port()
    url = f"http://127.0.0.1:{port}{API}"
    env = {**os.environ, "SLUICE_HOME": str(home)}
    env.pop("SLUICE_DB_URL", None)
    env.pop("SLUICE_TOKEN", None)
    pid_file = tmp_path / "pids"
    pids: list[int] = []
    with open(tmp_path / "server.log", "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "sluice", "server", "--port", str(port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            assert time.monotonic() < deadline, "the server never answered"
            time.sleep(0.1)
        body = {
            "display_name": "sitting",
            "pipeline_spec": load_pipeline(sitting).to_dict()["pipeline_spec"],
            "runtime_config": {"parameters": {"pid_file": str(pid_file)}},
        }
        created = httpx.post(f"{url}/runs", json=body, timeout=30)
        assert created.status_code == 200, created.text
        deadline = time.monotonic() + 60
        while not pid_file.exists():
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            assert time.monotonic() < deadline, "the task never started"
            time.sleep(0.05)
        pids.extend(int(p) for p in pid_file.read_text().split())
        if how == "sigkill":
            os.kill(server.pid, signal.SIGKILL)  # the server alone, not its process group
            server.wait(timeout=30)
        else:
            run_id = created.json()["run_id"]
            stopped = httpx.post(f"{url}/runs/{run_id}:terminate", timeout=60)
            assert stopped.status_code == 200, stopped.text
            assert httpx.get(f"{url}/runs/{run_id}", timeout=10).json()["state"] == "CANCELED"
        for pid in pids:
            assert _gone(pid), f"process {pid} outlived the {how}"
    finally:
        with contextlib.suppress(OSError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
