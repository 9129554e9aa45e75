"""Fixtures shared by every test layer."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

UI_TESTS = Path(__file__).resolve().parent / "ui"
PG_URL = os.environ.get("SLUICE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _postgres_schema() -> Iterator[str]:
    """A URL of a fresh PostgreSQL schema, dropped when the generator is closed."""
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
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        from sluice.store.db import dispose_engines

        dispose_engines()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A SQLAlchemy URL for a fresh, empty PostgreSQL schema (dropped afterwards).

    Skips when PostgreSQL is unreachable, except under CI, where it must be there.
    """
    yield from _postgres_schema()


@pytest.fixture(scope="module")
def module_postgres_url() -> Iterator[str]:
    """Like ``postgres_url``, one schema for a whole module (a server shared by its tests)."""
    yield from _postgres_schema()


def _sharing_group(item: pytest.Item) -> str | None:
    """The module or package whose tests share a fixture of that scope with ``item``.

    A package-scoped fixture wins over a module-scoped one: it covers more tests.
    """
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return None
    group: str | None = None
    for name in info.names_closure:
        definitions = info.name2fixturedefs.get(name)
        if not definitions:
            continue
        fixture = definitions[-1]
        if fixture.scope == "package":
            return f"package:{fixture.baseid or '.'}"
        if fixture.scope == "module":
            group = f"module:{item.nodeid.split('::', 1)[0]}"
    return group


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep the tests that share a module- or package-scoped fixture (a server, a Ray
    cluster) on one xdist worker, one after another.

    ``make test`` runs ``--dist loadgroup``, where a test without an ``xdist_group`` is a
    unit of its own: the tests of one module went to both workers, interleaved with other
    modules' tests, and each worker started (and, whenever the next test came from another
    module, stopped) the module's server again. A group is scheduled as one unit, so the
    fixture is set up once.

    First of the hooks: this conftest is loaded before xdist's worker plugin, whose own
    hook turns the marks into the group suffix of each node id, and runs after it unless
    told otherwise. tests/ui groups its own tests (its conftest, whose hook runs later),
    so they are left alone here, as are tests that name a group themselves.
    """
    for item in items:
        if item.get_closest_marker("xdist_group") is not None or UI_TESTS in item.path.parents:
            continue
        group = _sharing_group(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
