"""The store's boundary: its database's errors leave it as the ``StoreError`` they mean."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, ProgrammingError
from tests.store_rows import new_run
from tests.tcp_relay import TcpRelay

from sluice.errors import (
    StoreConflictError,
    StoreUnavailableError,
    StoreUnusableError,
    StoreValueError,
)
from sluice.service.listing import ListQuery, Predicate
from sluice.store.db import dispose_engines
from sluice.store.experiments import ExperimentRepository
from sluice.store.models import RecurringRunRow
from sluice.store.recurring_runs import RecurringRunRepository
from sluice.store.repository import Store, new_id


def test_a_postgresql_outage_is_store_unavailable(postgres_url: str) -> None:
    """The database's host goes away mid-use: the next call raises StoreUnavailableError."""
    url = make_url(postgres_url)
    with TcpRelay((url.host or "127.0.0.1", url.port or 5432)) as relay:
        store = Store(url.set(port=relay.port).render_as_string(hide_password=False))
        assert store.get_run("nope") is None
        relay.cut()  # the port now refuses connections, and the pooled one is broken
        with pytest.raises(StoreUnavailableError) as raised:
            store.get_run("nope")
    message = str(raised.value)
    assert isinstance(raised.value.__cause__, OperationalError)
    assert "\n" not in message and "SELECT" not in message  # one line, no SQL
    assert "unavailable" in message and "try again" in message


def test_a_violated_constraint_is_store_conflict(store: Store) -> None:
    # A unique index the repository does not know about: the database alone refuses.
    with store.engine.begin() as connection:
        connection.execute(
            text("CREATE UNIQUE INDEX uq_test_name ON recurring_runs (display_name)")
        )
    repo = RecurringRunRepository(store)
    repo.add(RecurringRunRow(id=new_id(), display_name="nightly"), lambda row: row.id)
    with pytest.raises(StoreConflictError) as raised:
        repo.add(RecurringRunRow(id=new_id(), display_name="nightly"), lambda row: row.id)
    assert isinstance(raised.value.__cause__, IntegrityError)
    assert "\n" not in str(raised.value)
    assert [row.display_name for row in repo.page(ListQuery()).rows] == ["nightly"]


def test_a_value_postgresql_refuses_is_store_value(postgres_url: str) -> None:
    """PostgreSQL text cannot hold NUL; SQLite's can (there the filter simply matches none)."""
    store = Store(postgres_url)
    query = ListQuery(predicates=[Predicate("display_name", "EQUALS", "a\x00b")])
    with pytest.raises(StoreValueError) as raised:
        ExperimentRepository(store).page(query)
    assert isinstance(raised.value.__cause__, DataError)
    assert "NUL" in str(raised.value)


def test_sql_the_database_does_not_understand_stays_a_bug(postgres_url: str) -> None:
    """A ProgrammingError is Sluice's own mistake: it keeps its class and traceback."""
    store = Store(postgres_url)
    with pytest.raises(ProgrammingError), store.session() as session:
        session.execute(text("SELECT no_such_column FROM runs"))


def test_a_store_that_cannot_be_opened_is_named_without_its_password() -> None:
    with pytest.raises(StoreUnavailableError) as caught:
        Store("postgresql+psycopg://sluice:hunter2@127.0.0.1:1/test")
    assert "hunter2" not in str(caught.value)
    assert "cannot open the store at postgresql+psycopg://sluice:***@127.0.0.1:1/test" in str(
        caught.value
    )


def test_a_read_only_sqlite_store_says_so_and_what_to_do(tmp_path: Path) -> None:
    """SQLite raises OperationalError for a read-only file, as for a lock: no "try again"."""
    path = tmp_path / "sluice.db"
    new_run(Store(f"sqlite:///{path}"), name="r1")
    dispose_engines()
    read_only = Store(f"sqlite:///file:{path}?mode=ro&uri=true")
    with pytest.raises(StoreUnusableError) as raised:
        new_run(read_only, name="r2")
    message = str(raised.value)
    assert isinstance(raised.value.__cause__, OperationalError)
    assert "\n" not in message and "INSERT" not in message
    assert "read-only: make it and its directory writable" in message
    assert "try again" not in message


def test_a_file_that_is_not_a_database_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are my notes, not a database" * 100)
    with pytest.raises(StoreUnusableError) as raised:
        Store(f"sqlite:///{path}")
    message = str(raised.value)
    assert message.startswith(f"cannot open the store at sqlite:///{path}:")
    assert "not a SQLite database" in message and "\n" not in message
    assert path.read_bytes().startswith(b"these are my notes")  # nothing written over it


def test_a_postgresql_database_that_does_not_exist_is_not_an_outage(postgres_url: str) -> None:
    url = make_url(postgres_url).set(database="sluice_no_such_database")
    with pytest.raises(StoreUnusableError) as raised:
        Store(url.render_as_string(hide_password=False))
    message = str(raised.value)
    assert "does not exist: create it" in message and "try again" not in message
