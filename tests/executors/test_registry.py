"""The executor registry: built-ins, unknown names, executors packages add by entry point."""

from __future__ import annotations

import asyncio
import os
import stat
import textwrap
from pathlib import Path

import pytest

from sluice import executors
from sluice.config import Settings
from sluice.engine.runner import RunOptions
from sluice.errors import ExecutorError
from sluice.executors.containers import ContainerExecutor
from sluice.executors.local import LocalExecutor
from sluice.executors.registry import UnknownExecutorError, container_executor_name


class PluginExecutor:
    """An executor a package registers; the entry point below names it."""

    uses_images = True

    def __init__(self, settings: Settings) -> None:
        self.home = settings.home

    async def execute(self, request: object) -> object:
        raise NotImplementedError

    async def aclose(self) -> None:
        pass


def register(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entries: str) -> None:
    """Install a distribution whose ``entry_points.txt`` holds ``entries`` (on sys.path)."""
    site = tmp_path / "site"
    info = site / "sluice_test_plugin-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: sluice-test-plugin\nVersion: 0.1\n"
    )
    (info / "entry_points.txt").write_text(textwrap.dedent(entries))
    monkeypatch.syspath_prepend(str(site))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", db_url="sqlite://")


def test_builtins(settings: Settings) -> None:
    assert {"local", "docker", "podman"} <= set(executors.available())
    local = executors.get("local", settings)
    assert isinstance(local, LocalExecutor) and local.uses_images is False
    assert local.venvs.root == settings.venvs_dir
    asyncio.run(local.aclose())
    docker = executors.get("docker", settings)
    assert isinstance(docker, ContainerExecutor) and docker.uses_images is True


def test_unknown_name_lists_the_available_ones(settings: Settings) -> None:
    with pytest.raises(UnknownExecutorError) as info:
        executors.get("nope", settings)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("unknown executor 'nope'; available: docker, local, podman")
    assert "sluice.executors" in message


def test_an_entry_point_adds_an_executor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    register(
        tmp_path,
        monkeypatch,
        f"""
        [sluice.executors]
        plugin = {__name__}:PluginExecutor
        local = {__name__}:PluginExecutor
        """,
    )
    assert "plugin" in executors.available()
    assert executors.check_name("plugin") == "plugin"
    made = executors.get("plugin", settings)
    assert isinstance(made, PluginExecutor) and made.home == settings.home
    # A package cannot take over a built-in name.
    local = executors.get("local", settings)
    assert isinstance(local, LocalExecutor)
    asyncio.run(local.aclose())


def test_an_entry_point_that_does_not_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    register(tmp_path, monkeypatch, "[sluice.executors]\nbroken = sluice_no_such_module:Executor\n")
    with pytest.raises(ExecutorError, match=r"executor 'broken' .* cannot be loaded"):
        executors.get("broken", settings)


def _only_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name in names:
        script = bin_dir / name
        script.write_text("#!/bin/sh\nexit 0\n")
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", str(bin_dir))


def test_use_container_stands_for_the_installed_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _only_on_path(tmp_path, monkeypatch, "podman")
    assert container_executor_name() == "podman"
    # Runs recorded before executors had names resume in the container engine they asked for.
    assert RunOptions.from_json({"use_container": True}).executor == "podman"
    assert RunOptions.from_json({"use_container": False}).executor == "local"
    _only_on_path(tmp_path, monkeypatch, "podman", "docker")
    assert container_executor_name() == "docker"
    monkeypatch.setenv("PATH", os.defpath)
    assert RunOptions.from_json({"executor": "podman", "use_container": False}).executor == (
        "podman"
    )
