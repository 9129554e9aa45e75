"""Where tasks are told to find the emulation, and the bare ``--emulate-gcs`` flag."""

from __future__ import annotations

from sluice.cli.server import bare_emulate_gcs
from sluice.server.gcs.bridge import emulator_url, task_environment


def test_tasks_reach_the_server_on_a_loopback_address() -> None:
    assert emulator_url("0.0.0.0", 8888) == "http://127.0.0.1:8888"
    assert emulator_url("::", 8888) == "http://[::1]:8888"
    assert emulator_url("10.0.0.5", 1) == "http://10.0.0.5:1"
    env = task_environment("http://127.0.0.1:1")
    assert env["STORAGE_EMULATOR_HOST"] == "http://127.0.0.1:1"
    assert "GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT" in env  # "false" unless the user chose


def test_a_bare_emulate_gcs_flag_means_the_default_store() -> None:
    assert bare_emulate_gcs(["server", "--emulate-gcs"]) == ["server", "--emulate-gcs="]
    assert bare_emulate_gcs(["server", "--emulate-gcs", "--port", "1"])[1] == "--emulate-gcs="
    assert bare_emulate_gcs(["server", "--emulate-gcs", "/data"])[1:] == ["--emulate-gcs", "/data"]
    assert bare_emulate_gcs(["run", "x", "--", "--emulate-gcs"])[-1] == "--emulate-gcs"
