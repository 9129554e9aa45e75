"""Opening a store and a server's claim on it at start-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from sluice.config import Settings
from sluice.errors import StoreBusyError
from sluice.executors.registry import UnknownExecutorError
from sluice.service.stores import claim_store_for_server, masked_url, open_store


def _settings(tmp_path: Path, **changes: str) -> Settings:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return Settings(home=home, db_url=f"sqlite:///{home / 'sluice.db'}", **changes)


def test_a_second_server_claim_on_a_store_is_refused_until_the_first_is_released(
    tmp_path: Path,
) -> None:
    settings = _settings(tmp_path)
    with claim_store_for_server(settings), pytest.raises(StoreBusyError, match="another sluice"):
        claim_store_for_server(settings)
    claim_store_for_server(settings).release()


def test_an_unknown_executor_is_refused_before_the_store_is_claimed(tmp_path: Path) -> None:
    with pytest.raises(UnknownExecutorError, match="unknown executor 'nope'"):
        claim_store_for_server(_settings(tmp_path, executor="nope"))
    claim_store_for_server(_settings(tmp_path)).release()  # nothing was left held


def test_open_store_and_masked_url(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    assert open_store(settings).url == settings.db_url
    assert masked_url("postgresql://me:secret@db/x") == "postgresql://me:***@db/x"
