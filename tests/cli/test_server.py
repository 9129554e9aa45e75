"""``sluice server``'s start-up line: which store it serves (password masked) and where."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from sluice.cli.server import masked_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql+psycopg://sluice:s3cr%40t@db.example:5432/runs",
            "postgresql+psycopg://sluice:***@db.example:5432/runs",
        ),
        (
            "postgresql+psycopg://sluice@db/runs?password=s3cret&sslmode=require",
            "postgresql+psycopg://sluice@db/runs?password=%2A%2A%2A&sslmode=require",
        ),
        ("postgresql+psycopg://sluice@db/runs", "postgresql+psycopg://sluice@db/runs"),
        ("sqlite:////home/me/.sluice/sluice.db", "sqlite:////home/me/.sluice/sluice.db"),
        ("weird://user:pw@host/x", "weird://user:***@host/x"),
        ("not a url user:pw@host", "***@host"),  # SQLAlchemy cannot read it: mask all
    ],
)
def test_masked_url_hides_passwords(url: str, shown: str) -> None:
    assert masked_url(url) == shown


def test_server_start_up_line_names_store_and_docs(tmp_path: Path) -> None:
    """A real server process on a free port: its line says the store and the OpenAPI URL."""
    home = tmp_path / "home"
    env = {**os.environ, "SLUICE_HOME": str(home)}
    env.pop("SLUICE_DB_URL", None)
    env.pop("SLUICE_TOKEN", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "sluice", "server", "--port", "0"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stderr is not None
        lines: queue.Queue[str] = queue.Queue()
        reader = threading.Thread(target=lambda: [lines.put(x) for x in proc.stderr], daemon=True)
        reader.start()
        line = ""
        while not line.startswith("sluice server:"):
            try:
                line = lines.get(timeout=60)
            except queue.Empty:
                pytest.fail(f"no start-up line; server exit code {proc.poll()}")
        match = re.fullmatch(
            r"sluice server: store (\S+); KFP API (\S+)/apis/v2beta1, OpenAPI (\S+)\n", line
        )
        assert match, line
        assert match.group(1) == f"sqlite:///{home / 'sluice.db'}"
        assert match.group(3) == f"{match.group(2)}/openapi.json"
        # The URLs are the real, bound address: the OpenAPI schema answers there.
        assert httpx.get(match.group(3), timeout=10).status_code == 200
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (
            ["--lease-seconds", "2", "--heartbeat-seconds", "2"],
            {},
            "must be shorter than the lease",
        ),
        ([], {"SLUICE_LEASE_SECONDS": "soon"}, "SLUICE_LEASE_SECONDS='soon' is not a number"),
    ],
)
def test_a_lease_the_heartbeat_cannot_keep_is_refused_in_one_line(
    tmp_path: Path, args: list[str], env: dict[str, str], says: str
) -> None:
    environment = {**os.environ, "SLUICE_HOME": str(tmp_path / "home"), **env}
    for name in ("SLUICE_DB_URL", "SLUICE_TOKEN", "SLUICE_HEARTBEAT_SECONDS"):
        environment.pop(name, None)
    if "SLUICE_LEASE_SECONDS" not in env:
        environment.pop("SLUICE_LEASE_SECONDS", None)
    done = subprocess.run(
        [sys.executable, "-m", "sluice", "server", "--port", "0", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert says in lines[0]
    assert not (tmp_path / "home" / "sluice.db").exists()  # refused before the store opened
