"""A real S3-protocol server on loopback for the object-store tests: moto's standalone server.

It runs as a process of its own (``python -m moto.server``) on a free port of 127.0.0.1 and
is stopped by its PID. Clients reach it the way s3fs and boto3 users point at any
S3-compatible store: ``AWS_ENDPOINT_URL`` plus credentials (:meth:`S3Server.environment`).
"""

from __future__ import annotations

import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

_RUNNING = re.compile(r"Running on http://127\.0\.0\.1:(\d+)")


class S3Server:
    """A running moto server; ``url`` is its endpoint."""

    def __init__(self, process: subprocess.Popen[str], url: str) -> None:
        self.process = process
        self.url = url

    def environment(self) -> dict[str, str]:
        """What a process needs to use this server through s3fs / boto3."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def filesystem(self) -> Any:
        """A fresh s3fs filesystem on this server (not fsspec's cached instance)."""
        import s3fs

        return s3fs.S3FileSystem(
            key="testing",
            secret="testing",
            endpoint_url=self.url,
            skip_instance_cache=True,
        )


@contextmanager
def s3_server(timeout: float = 60.0) -> Iterator[S3Server]:
    """Start moto's server on a free loopback port; stop it (by its PID) afterwards."""
    pytest.importorskip("moto.server", reason="needs moto[server] (the dev extra)")
    pytest.importorskip("s3fs", reason="needs s3fs (the dev extra)")
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:  # keeps draining stderr, so the server never blocks on it
        assert process.stderr is not None
        for line in process.stderr:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    try:
        url = _wait_for_port(process, lines, timeout)
        yield S3Server(process, url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def _wait_for_port(process: subprocess.Popen[str], lines: queue.Queue[str], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto's server exited with {process.returncode}")
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            continue
        if match := _RUNNING.search(line):
            url = f"http://127.0.0.1:{match.group(1)}"
            while time.monotonic() < deadline:  # listening: also answering?
                try:
                    httpx.get(url + "/", timeout=5)
                    return url
                except httpx.TransportError:
                    time.sleep(0.1)
    raise RuntimeError(f"moto's server did not start within {timeout:.0f}s")


def apply_environment(server: S3Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point this process's s3fs at ``server`` (undone with the monkeypatch)."""
    for key, value in server.environment().items():
        monkeypatch.setenv(key, value)
    # fsspec caches filesystem instances by their options: one made for another endpoint
    # must not be reused.
    import s3fs

    s3fs.S3FileSystem.clear_instance_cache()
    monkeypatch.delenv("AWS_PROFILE", raising=False)
