"""Fixtures shared by the conformance tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.states import illegal_histories

from sluice.config import Settings
from sluice.store.repository import Store


@pytest.fixture(autouse=True)
def sluice_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Give every test its own, empty run store so tests never see each other's runs or cache.

    After the test, every state history it recorded is replayed against the transition
    table (:mod:`sluice.states`): a conformance run never makes an illegal move.
    """
    home = tmp_path / "sluice-home"
    home.mkdir()
    monkeypatch.setenv("SLUICE_HOME", str(home))
    yield home
    settings = Settings.from_env()
    if settings.db_url.startswith("sqlite:") and not (home / "sluice.db").exists():
        return  # the test never opened a store
    store = Store(settings.db_url)
    try:
        assert illegal_histories(store) == []
    finally:
        store.engine.dispose()


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """A directory for marker and timeline files written by components."""
    d = tmp_path / "files"
    d.mkdir()
    return d
