"""Locks between the processes sharing one store: the server, and each run being executed.

Every lock here is one the operating system or the database drops when its holder dies,
so a process killed with SIGKILL never leaves a store or a run locked:

* SQLite: ``flock`` on a file in ``<db>.locks/`` next to the database file. The file
  holds the holder's pid and host, so a refused process can say who holds it.
* PostgreSQL: a session-level advisory lock on a connection of its own (not one of the
  pool's, which would keep the lock when returned). The connection's
  ``application_name`` carries the holder's pid and host; ``pg_locks`` finds it.
* Any other store (an in-memory SQLite database) is private to its process: a lock
  is a name in a set.

Locks are exclusive between processes and between threads of one process alike (flock
locks belong to an open file, not to a process).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import NullPool

from sluice.errors import RunBusyError, StoreBusyError

# How long a refused process keeps re-reading a lock file the holder has just created
# but not yet written its pid into.
_OWNER_READ_SECONDS = 1.0


@dataclass(frozen=True)
class Owner:
    """Who holds a lock, as far as the lock tells: ``None`` when it cannot be read."""

    pid: int | None = None
    host: str | None = None

    def describe(self) -> str:
        """``pid 123 on host box`` (or as much of it as is known)."""
        who = f"pid {self.pid}" if self.pid is not None else "another process"
        return f"{who} on host {self.host}" if self.host else who


def this_owner() -> Owner:
    """This process, as it records itself in the locks it takes."""
    return Owner(pid=os.getpid(), host=socket.gethostname())


class HeldLock:
    """A lock this process holds until :meth:`release` (also a context manager)."""

    def release(self) -> None:
        """Give the lock up; calling it again does nothing."""
        raise NotImplementedError

    def __enter__(self) -> HeldLock:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


# -- SQLite: flock on a file ------------------------------------------------------------------


class _FileLock(HeldLock):
    def __init__(self, path: Path, fd: int, *, remove: bool) -> None:
        self.path = path
        self._fd: int | None = fd
        self._remove = remove

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        if self._remove:
            # Unlinked while still locked: a process that opened the file before this
            # sees, once it gets the lock, that the path no longer names its file and
            # starts over (see _try_file_lock), so two holders can never coexist.
            with contextlib.suppress(OSError):
                self.path.unlink()
        os.close(fd)


def _read_owner(fd: int) -> Owner:
    deadline = time.monotonic() + _OWNER_READ_SECONDS
    while True:
        raw = os.pread(fd, 512, 0).decode(errors="replace").split()
        if len(raw) >= 2 and raw[0].isdigit():
            return Owner(pid=int(raw[0]), host=raw[1])
        if time.monotonic() > deadline:
            return Owner()
        time.sleep(0.01)


def _try_file_lock(path: Path, *, remove: bool) -> HeldLock | Owner:
    """Take the lock at ``path`` now, or return who holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        # O_CLOEXEC (Python's default): task processes must not inherit the lock, or an
        # orphaned task would keep a dead run locked.
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = _read_owner(fd)
            os.close(fd)
            return owner
        except BaseException:
            os.close(fd)
            raise
        try:
            same_file = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same_file = False
        if not same_file:  # the holder removed it as we opened it: take the new one
            os.close(fd)
            continue
        me = this_owner()
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{me.pid} {me.host}\n".encode(), 0)
        return _FileLock(path, fd, remove=remove)


def wait_file_lock(path: Path, *, timeout: float) -> HeldLock | Owner:
    """Take the lock at ``path``, waiting up to ``timeout`` seconds for its holder."""
    deadline = time.monotonic() + timeout
    while True:
        got = _try_file_lock(path, remove=False)
        if isinstance(got, HeldLock) or time.monotonic() > deadline:
            return got
        time.sleep(0.02)


def sqlite_lock_dir(url: str) -> Path | None:
    """``<db>.locks`` beside a SQLite database file; None for in-memory and other stores."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    db = Path(database).expanduser().absolute()
    return db.with_name(db.name + ".locks")


# -- PostgreSQL: advisory locks ---------------------------------------------------------------

_lock_engines: dict[str, Engine] = {}
_lock_engines_guard = threading.Lock()


def _lock_engine(engine: Engine) -> Engine:
    """An engine without a pool: closing a lock's connection must end its session."""
    url = engine.url.render_as_string(hide_password=False)
    with _lock_engines_guard:
        found = _lock_engines.get(url)
        if found is None:
            found = _lock_engines[url] = create_engine(url, poolclass=NullPool)
        return found


def advisory_key(connection: Connection, name: str) -> int:
    """The 64-bit advisory lock key of ``name`` in this database and schema.

    Advisory locks are per database, and several stores can share one database in
    different schemas (the tests do): the key covers both.
    """
    database, schema = connection.execute(text("SELECT current_database(), current_schema()")).one()
    digest = hashlib.blake2b(f"sluice:{database}:{schema}:{name}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


def _application_name(owner: Owner) -> str:
    # PostgreSQL keeps 63 bytes of it; the host goes last so only it can be cut.
    return f"sluice pid={owner.pid} host={owner.host}"[:63]


def _pg_owner(connection: Connection, key: int) -> Owner:
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    row = connection.execute(
        text(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
            " AND l.classid = :high AND l.objid = :low"
            " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ),
        {"high": unsigned >> 32, "low": unsigned & 0xFFFFFFFF},
    ).first()
    fields = dict(part.split("=", 1) for part in str(row[0] if row else "").split() if "=" in part)
    pid = fields.get("pid", "")
    return Owner(pid=int(pid) if pid.isdigit() else None, host=fields.get("host"))


class _PgLock(HeldLock):
    def __init__(self, connection: Connection) -> None:
        self._connection: Connection | None = connection

    def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            # Closing ends the session, which drops its advisory locks; if the database
            # is gone already the lock went with it.
            with contextlib.suppress(Exception):
                connection.close()


def _try_pg_lock(engine: Engine, name: str) -> HeldLock | Owner:
    connection = _lock_engine(engine).connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        connection.execute(
            text("SELECT set_config('application_name', :name, false)"),
            {"name": _application_name(this_owner())},
        )
        key = advisory_key(connection, name)
        if connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar():
            return _PgLock(connection)
        owner = _pg_owner(connection, key)
    except BaseException:
        connection.close()
        raise
    connection.close()
    return owner


# -- stores private to their process ----------------------------------------------------------

_local_held: set[tuple[str, str]] = set()
_local_guard = threading.Lock()


class _LocalLock(HeldLock):
    def __init__(self, key: tuple[str, str]) -> None:
        self._key: tuple[str, str] | None = key

    def release(self) -> None:
        key, self._key = self._key, None
        if key is not None:
            with _local_guard:
                _local_held.discard(key)


def _try_local_lock(url: str, name: str) -> HeldLock | Owner:
    key = (url, name)
    with _local_guard:
        if key in _local_held:
            return this_owner()
        _local_held.add(key)
    return _LocalLock(key)


# -- the entry point --------------------------------------------------------------------------


def try_lock(engine: Engine, name: str, *, remove_when_released: bool = False) -> HeldLock | Owner:
    """Take the store's lock ``name`` now if it is free; else return who holds it.

    ``remove_when_released`` deletes a SQLite lock file on release (per-run locks, which
    would otherwise pile up one file per run).
    """
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name == "postgresql":
        return _try_pg_lock(engine, name)
    lock_dir = sqlite_lock_dir(url)
    if lock_dir is None:
        return _try_local_lock(url, name)
    return _try_file_lock(lock_dir / name, remove=remove_when_released)


def store_is_shared(engine: Engine) -> bool:
    """Whether several servers may share this store: PostgreSQL, where runs are leased
    (:mod:`sluice.store.leases`); a SQLite file serves one server at a time."""
    return engine.dialect.name == "postgresql"


class _NoLock(HeldLock):
    def release(self) -> None:
        """Nothing to give up."""


def lock_store_for_server(engine: Engine) -> HeldLock:
    """The server's lock on the whole store, held for the server's life.

    On PostgreSQL any number of servers share the store (their workers lease the runs),
    so nothing is locked; a SQLite store is one server's.

    Raises:
        StoreBusyError: another server holds a SQLite store.
    """
    if store_is_shared(engine):
        return _NoLock()
    got = try_lock(engine, "server")
    if isinstance(got, HeldLock):
        return got
    who = f"pid {got.pid}" if got.pid is not None else "pid unknown"
    if got.host and got.host != socket.gethostname():
        who += f" on host {got.host}"
    raise StoreBusyError(
        f"another sluice server ({who}) is using this store "
        f"({engine.url.render_as_string(hide_password=True)}); stop it first, or give this "
        "one another store with --db or SLUICE_HOME (several servers can share a PostgreSQL "
        "store)"
    )


def try_lock_run(engine: Engine, run_id: str) -> HeldLock | Owner:
    """Take the lock of the run being executed, or return who is executing it."""
    return try_lock(engine, f"run-{run_id}", remove_when_released=True)


def lock_run(engine: Engine, run_id: str, run_name: str) -> HeldLock:
    """The lock whoever executes a run holds until the run stops executing.

    Raises:
        RunBusyError: another process (or thread) is executing the run.
    """
    got = try_lock_run(engine, run_id)
    if isinstance(got, HeldLock):
        return got
    raise RunBusyError(f"run {run_name} is being executed by {got.describe()}; wait or cancel it")
