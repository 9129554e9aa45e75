"""A new SQLite store after the first in a process gets the migrated schema (replayed, or
written whole as a file): the same tables, indexes and revision as the migrations build,
and it works as a store."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from sluice.store.db import SCHEMA_REVISION

SRC = str(Path(__file__).resolve().parents[2] / "src")

# Opens new stores one after the other in one process, and uses the last one.
OPEN_THREE = """
import sys
from sluice.store.repository import Store
for path in sys.argv[1:]:
    store = Store(f"sqlite:///{path}")
run = store.create_run(name="r", display_name="r", pipeline_name="p", pipeline_spec={},
                       arguments={}, pipeline_root="/tmp/root", options={})
print(store.get_run(run.id).state)
"""


def _schema(path: Path) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    with sqlite3.connect(path) as db:
        entries = sorted(db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"), key=str)
        return entries, list(db.execute("SELECT version_num FROM alembic_version"))


def test_later_new_stores_get_the_schema_the_migrations_built(tmp_path: Path) -> None:
    paths = [tmp_path / f"store-{i}.db" for i in range(3)]
    done = subprocess.run(
        [sys.executable, "-c", OPEN_THREE, *map(str, paths)],
        env={"PYTHONPATH": SRC, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "PENDING"
    migrated, *replayed = (_schema(p) for p in paths)
    assert migrated[1] == [(SCHEMA_REVISION,)]
    assert len(migrated[0]) > 20
    assert all(schema == migrated for schema in replayed)


def test_a_new_store_file_is_written_whole_from_the_known_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.store_rows import new_run

    from sluice.store import db
    from sluice.store.repository import Store

    first = tmp_path / "first.db"
    Store(f"sqlite:///{first}")  # this process knows the schema from here on
    assert SCHEMA_REVISION in db._fresh_sqlite_schemas

    def no_migration(*args: object) -> None:
        raise AssertionError("migrated a store that was written whole")

    monkeypatch.setattr(db, "_migrate_serialized", no_migration)
    second = tmp_path / "second.db"
    store = Store(f"sqlite:///{second}")
    run = new_run(store)
    assert store.get_run(run.id) is not None
    assert _schema(second) == _schema(first)
    with sqlite3.connect(second) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert not [p.name for p in tmp_path.iterdir() if ".new-" in p.name]


def test_a_leftover_wal_file_means_the_ordinary_path(tmp_path: Path) -> None:
    from sluice.store import db
    from sluice.store.repository import Store
    from sluice.store.sqlite_image import write_fresh_sqlite

    Store(f"sqlite:///{tmp_path / 'first.db'}")
    schema = db._fresh_sqlite_schemas[SCHEMA_REVISION]
    target = tmp_path / "second.db"
    (tmp_path / "second.db-wal").write_bytes(b"")
    assert write_fresh_sqlite(target, schema, SCHEMA_REVISION) is False
    assert not target.exists()
    (tmp_path / "second.db-wal").unlink()
    assert write_fresh_sqlite(target, schema, SCHEMA_REVISION) is True
    assert (
        write_fresh_sqlite(target, schema, SCHEMA_REVISION) is False
    )  # exists now: never overwritten
