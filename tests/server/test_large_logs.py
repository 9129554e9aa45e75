"""A large log is streamed: the server's memory stays flat and /healthz answers meanwhile."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest
from kfp import dsl

import sluice

API = "/apis/v2beta1"
MIB = 1024 * 1024

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux /proc")


@dsl.component(base_image="python:3.11")
def talk():
    print("a few words")


@dsl.pipeline(name="talking")
def talking():
    talk()


MEASURE = textwrap.dedent(
    """
    import resource, subprocess, sys
    done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, timeout=120)
    print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    """
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def _cli_peak_rss_kib(args: list[str], env: dict[str, str], code: int = 0) -> int:
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, sys.executable, "-m", "sluice", *args],
        capture_output=True,
        text=True,
        timeout=150,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    exit_code, kib = (int(word) for word in result.stdout.split())
    assert exit_code == code, result.stderr
    return kib


@pytest.mark.slow
def test_large_log_is_streamed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("SLUICE_HOME", str(home))
    monkeypatch.delenv("SLUICE_DB_URL", raising=False)
    monkeypatch.delenv("SLUICE_TOKEN", raising=False)
    run = sluice.run(talking, enable_caching=False)
    (task,) = run.tasks
    assert task.log_path is not None
    line = b"w" * 1023 + b"\n"
    with task.log_path.open("wb") as handle:
        for _ in range(50):
            handle.write(line * 1024)
        handle.write(b"the very end\n")
    size = task.log_path.stat().st_size

    port = _free_port()
    host = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
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
                if httpx.get(f"{host}{API}/healthz", timeout=1).status_code == 200:
                    break
            assert time.monotonic() < deadline, "the server never answered"
            time.sleep(0.1)
        url = f"{host}{API}/runs/{run.id}/nodes/talk/logs"
        # The default JSON answer holds only the end of the log.
        tail = httpx.get(url, timeout=60).json()
        assert tail["truncated"] is True and tail["data"].endswith("the very end\n")
        assert len(tail["data"]) <= 4 * MIB
        before = _peak_rss_kib(server.pid)
        received = 0
        last = b""
        with httpx.stream("GET", url, headers={"Accept": "text/plain"}, timeout=60) as response:
            assert response.status_code == 200
            assert response.headers["x-sluice-attempt"] == "1"
            chunks = response.iter_raw()
            first = next(chunks)
            received += len(first)
            # Mid-download, the server still answers.
            assert httpx.get(f"{host}{API}/healthz", timeout=10).status_code == 200
            for chunk in chunks:
                received += len(chunk)
                last = (last + chunk)[-64:]
        assert received == size and last.endswith(b"the very end\n")
        grown = _peak_rss_kib(server.pid) - before
        assert grown < 16 * 1024, f"the server grew by {grown} KiB sending a 50 MiB log"

        # `sluice logs --host` copies the stream: its memory does not follow the log's size.
        cli = _cli_peak_rss_kib(["logs", "--host", host, run.id, "talk"], env)
        # The same command, answered 404 (no such attempt): everything but the log itself.
        baseline = _cli_peak_rss_kib(
            ["logs", "--host", host, run.id, "talk", "--attempt", "9"], env, code=2
        )
        assert cli - baseline < 16 * 1024, f"sluice logs --host used {cli} KiB vs {baseline}"
    finally:
        with contextlib.suppress(OSError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
