"""Storage tests run against every database Sluice supports: SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sluice.store.repository import Store


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh, migrated store on each supported database."""
    if request.param == "sqlite":
        yield Store(f"sqlite:///{tmp_path / 'sluice.db'}")
    else:
        yield Store(request.getfixturevalue("postgres_url"))
