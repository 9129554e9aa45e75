"""Storage tests run against every database Sluice supports: SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from sluice.store.repository import Store

PG_URL = os.environ.get("SLUICE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _postgres_store() -> Iterator[Store]:
    psycopg = pytest.importorskip("psycopg")
    schema = f"sluice_test_{uuid.uuid4().hex[:12]}"
    dsn = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
    except psycopg.OperationalError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield Store(f"{PG_URL}{sep}options=-csearch_path%3D{schema}")
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh, migrated store on each supported database."""
    if request.param == "sqlite":
        yield Store(f"sqlite:///{tmp_path / 'sluice.db'}")
    else:
        yield from _postgres_store()
