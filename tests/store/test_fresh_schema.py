"""A new SQLite store after the first in a process gets the migrated schema replayed: the
same tables, indexes and revision as the migrations build, and it works as a store."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

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
