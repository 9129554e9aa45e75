"""Many processes opening the same new store at once all succeed (migrations serialize)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sluice.store.db import SCHEMA_REVISION

PROCESSES = 20

# Each child imports everything first, says it is ready, then waits for the go file, so the
# twenty really open the store at the same moment rather than one after another.
_CHILD = """
import os, sys, time
from sqlalchemy import text
from sluice.store.repository import Store
ready, go, url = sys.argv[1:4]
open(ready, "w").close()
while not os.path.exists(go):
    time.sleep(0.002)
store = Store(url)
with store.engine.connect() as conn:
    print(conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one())
"""


def _open_all_at_once(url: str, tmp_path: Path) -> list[subprocess.CompletedProcess[str]]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    go = tmp_path / "go"
    procs = []
    for i in range(PROCESSES):
        ready = tmp_path / f"ready-{i}"
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", _CHILD, str(ready), str(go), url],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    deadline = time.monotonic() + 60
    while not all((tmp_path / f"ready-{i}").exists() for i in range(PROCESSES)):
        if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
            break
        time.sleep(0.01)
    go.touch()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return results


def _assert_all_opened(results: list[subprocess.CompletedProcess[str]]) -> None:
    failed = [r.stderr.strip().splitlines()[-1:] for r in results if r.returncode != 0]
    assert not failed, f"{len(failed)} of {PROCESSES} processes failed: {failed}"
    assert [r.stdout.strip() for r in results] == [SCHEMA_REVISION] * PROCESSES


@pytest.mark.slow
def test_twenty_processes_open_a_new_sqlite_store_at_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'home' / 'sluice.db'}"
    _assert_all_opened(_open_all_at_once(url, tmp_path))


@pytest.mark.slow
def test_twenty_processes_open_a_new_postgres_schema_at_once(
    postgres_url: str, tmp_path: Path
) -> None:
    _assert_all_opened(_open_all_at_once(postgres_url, tmp_path))


def test_a_failed_migration_leaves_nothing_half_done(tmp_path: Path) -> None:
    """A migration that stops part way (here: a clashing table) is all or nothing on SQLite.

    Otherwise the tables of the steps before stay, and every later open fails on them.
    """
    import sqlite3

    from sluice.errors import StoreError
    from sluice.store.db import dispose_engines
    from sluice.store.repository import Store

    db = tmp_path / "sluice.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE experiments (x INTEGER)")  # 0003 creates this table
    with pytest.raises(StoreError, match="cannot open the store"):
        Store(f"sqlite:///{db}")
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert tables == {"experiments"}  # 0001 and 0002 were rolled back with it
        conn.execute("DROP TABLE experiments")
    dispose_engines()
    store = Store(f"sqlite:///{db}")  # the clash gone, the store opens and migrates
    assert store.list_runs() == []
