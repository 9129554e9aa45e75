"""Fixtures shared by the conformance tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def sluice_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Give every test its own, empty run store so tests never see each other's runs or cache."""
    home = tmp_path / "sluice-home"
    home.mkdir()
    monkeypatch.setenv("SLUICE_HOME", str(home))
    return home


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """A directory for marker and timeline files written by components."""
    d = tmp_path / "files"
    d.mkdir()
    return d
