"""Opening the store: engine, connection settings, and migrations to the newest schema."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DatabaseError,
    DataError,
    DBAPIError,
    DisconnectionError,
    IntegrityError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.pool import NullPool

from sluice.errors import (
    StoreConflictError,
    StoreError,
    StoreUnavailableError,
    StoreUnusableError,
    StoreValueError,
)
from sluice.store.locks import Owner, advisory_key, sqlite_lock_dir, wait_file_lock
from sluice.store.sqlite_image import write_fresh_sqlite

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# The newest migration; tests check it equals alembic's head. Comparing against a constant
# keeps alembic (~100 ms to import and scan) off the path of every CLI call.
SCHEMA_REVISION = "0012"
# How long opening a new store waits for another process migrating it (a migration takes
# well under a second; this only bounds a hung one).
MIGRATION_WAIT_SECONDS = 120

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (the CLI, a server) see a run while the engine writes it;
    # NORMAL sync keeps commits in the millisecond range and is still crash-safe in WAL mode.
    # busy_timeout first: switching a new database to WAL needs a moment of exclusive
    # access, and processes opening the store together must wait for it, not fail.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def head_revision() -> str:
    """The newest migration's revision id."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def migrate(engine: Engine) -> None:
    """Bring the schema at ``engine`` to the newest revision (no-op when it is there).

    Safe when several processes open a new store at once: on PostgreSQL the migration
    transaction first takes an advisory lock; on SQLite the caller holds the migration
    file lock (:func:`_migrate_serialized`). Whoever waited finds the schema current, and
    does nothing.
    """
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # Transaction-scoped: released by the commit (or by the session's end if the
            # process dies), and DDL is transactional, so waiters see all of it or none.
            connection.execute(text(f"SET LOCAL lock_timeout = '{MIGRATION_WAIT_SECONDS}s'"))
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"),
                {"key": advisory_key(connection, "migrate")},
            )
        if _revision_on(connection) == SCHEMA_REVISION:
            return
        empty = engine.dialect.name == "sqlite" and not _sqlite_schema(connection)
        if empty and SCHEMA_REVISION in _fresh_sqlite_schemas:
            _create_sqlite_schema(connection, _fresh_sqlite_schemas[SCHEMA_REVISION])
            return
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        if engine.dialect.name == "sqlite":
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").first()
            if broken is not None:
                raise StoreError(f"migrating left a dangling reference in {broken[0]}: {broken}")
        if empty:
            _fresh_sqlite_schemas[SCHEMA_REVISION] = _sqlite_schema(connection)


# The schema the migrations built from an empty SQLite database, by revision: the DDL
# SQLite itself keeps (``sqlite_master.sql``). A later new store in this process gets the
# same statements replayed, in the same one transaction a migration runs in, instead of
# every migration again (their table rebuilds cost 0.1-0.3 s, as much as a short run; a
# test suite or a benchmark opens many new stores). The replayed schema is the migrated
# one statement for statement, and alembic_version says so.
_fresh_sqlite_schemas: dict[str, list[str]] = {}


def _sqlite_schema(connection: Connection) -> list[str]:
    """The DDL of a SQLite database's own tables, then of their indexes, in creation order."""
    rows = connection.execute(
        text(
            "SELECT type, sql FROM sqlite_master WHERE sql IS NOT NULL "
            "AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
        )
    ).all()
    order = {"table": 0, "index": 1}
    return [str(sql) for _, sql in sorted(rows, key=lambda row: order.get(row[0], 2))]


def _create_sqlite_schema(connection: Connection, statements: list[str]) -> None:
    for statement in statements:
        connection.exec_driver_sql(statement)
    connection.execute(
        text("INSERT INTO alembic_version (version_num) VALUES (:revision)"),
        {"revision": SCHEMA_REVISION},
    )


def _migrate_serialized(engine: Engine, url: str) -> None:
    """Migrate, one process at a time; on SQLite, in one transaction."""
    lock_dir = sqlite_lock_dir(url) if engine.dialect.name == "sqlite" else None
    if lock_dir is None:
        migrate(engine)
        return
    held = wait_file_lock(lock_dir / "migrate", timeout=MIGRATION_WAIT_SECONDS)
    if isinstance(held, Owner):
        raise StoreError(
            f"cannot open the store at {masked_url(url)}: {held.describe()} has been migrating "
            f"it for over {MIGRATION_WAIT_SECONDS} s; stop that process and try again"
        )
    with held:
        atomic = _sqlite_migration_engine(url)
        try:
            migrate(atomic)
        finally:
            atomic.dispose()


def _sqlite_migration_engine(url: str) -> Engine:
    """An engine whose transactions really contain DDL, so a migration is all or nothing.

    pysqlite commits on its own before DDL statements; a migration that failed (or was
    killed) part way would leave the earlier steps' tables, and every later open would
    trip over them. This engine takes transactions over (the recipe in SQLAlchemy's
    SQLite notes): SQLite's DDL is transactional once pysqlite keeps out of the way.
    """
    engine = create_engine(url, poolclass=NullPool)

    def connect(dbapi_connection: Any, record: Any) -> None:
        _sqlite_pragmas(dbapi_connection, record)  # WAL cannot be set inside a transaction
        # Foreign keys off while migrating (they cannot be switched inside a transaction):
        # rebuilding a table (batch mode's copy, DROP, rename) with them on would cascade
        # the DROP into every row referencing it. ``migrate`` checks them before committing.
        dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        dbapi_connection.isolation_level = None

    def begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN EXCLUSIVE")

    event.listen(engine, "connect", connect)
    event.listen(engine, "begin", begin)
    return engine


def _revision_on(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
    return None if row is None else str(row[0])


def _current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return _revision_on(connection)


def get_engine(url: str) -> Engine:
    """A migrated engine for ``url``, created once per process."""
    with _lock:
        engine = _engines.get(url)
        if engine is not None:
            return engine
        try:
            if url.startswith("sqlite:///"):
                path = Path(url.removeprefix("sqlite:///"))
                path.parent.mkdir(parents=True, exist_ok=True)
                if (
                    "?" not in url
                    and path.name not in ("", ":memory:")
                    and not str(path).startswith("file:")
                ):
                    write_fresh_sqlite(
                        path, _fresh_sqlite_schemas.get(SCHEMA_REVISION), SCHEMA_REVISION
                    )
                engine = create_engine(url, connect_args={"check_same_thread": False})
                event.listen(engine, "connect", _sqlite_pragmas)
            else:
                engine = create_engine(url, pool_pre_ping=True)
            if _current_revision(engine) != SCHEMA_REVISION:
                _migrate_serialized(engine, url)
        except SQLAlchemyError as exc:
            reason = _unusable_reason(exc)
            if reason is not None:
                raise StoreUnusableError(
                    f"cannot open the store at {masked_url(url)}: {reason} ({_driver_line(exc)})"
                ) from exc
            error = StoreUnavailableError if _is_outage(exc) else StoreError
            raise error(
                f"cannot open the store at {masked_url(url)}: {exc.__class__.__name__}: "
                f"{str(exc).splitlines()[0]}"
            ) from exc
        _engines[url] = engine
        return engine


# OperationalErrors that waiting will not mend, by what the driver's message says, and
# what to do about each. The DBAPI puts them in the same class as a lost connection.
# SQLite's "unable to open database file" is not here: a directory that went away (an
# unmounted volume) may come back, so it stays an outage.
_UNUSABLE: tuple[tuple[str, str], ...] = (
    ("readonly database", "the database is read-only: make it and its directory writable"),
    ("read-only", "the database is read-only: make it and its directory writable"),
    ("database or disk is full", "the disk holding the database is full: free some space"),
    ("no space left", "the disk holding the database is full: free some space"),
    ("file is not a database", "the file is not a SQLite database: point the store elsewhere"),
    ("malformed", "the database file is damaged: restore it from a backup or start a new one"),
    (
        "no such table",
        "the database is not a Sluice store of this version: point the store at a Sluice "
        "database (or an empty one)",
    ),
    (
        "no such column",
        "the database is not a Sluice store of this version: point the store at a Sluice "
        "database (or an empty one)",
    ),
    (
        "password authentication failed",
        "the database refused the URL's user or password: correct them",
    ),
    ("does not exist", "the database or user the URL names does not exist: create it"),
    ("no pg_hba.conf entry", "the database server does not admit this client (pg_hba.conf)"),
)


def _unusable_reason(exc: SQLAlchemyError) -> str | None:
    """What to fix, if ``exc`` is an OperationalError that trying again will not mend (or
    the plain DatabaseError SQLite raises for a file that is not a database)."""
    if not (isinstance(exc, OperationalError) or type(exc) is DatabaseError):
        return None
    text = str(exc.orig if exc.orig is not None else exc).lower()
    return next((fix for needle, fix in _UNUSABLE if needle in text), None)


def _is_outage(exc: SQLAlchemyError) -> bool:
    """Whether ``exc`` says the database is out of reach rather than that a statement failed.

    OperationalError is the DBAPI's class for it (connection refused or lost, the server
    shutting down, SQLite's "database is locked" once its busy timeout ran out); a pool
    that could not hand out a connection in time, or a connection found dead, count too.
    The DBAPI also raises it for a database that answers but cannot be used (read-only,
    full, someone else's): :func:`_unusable_reason` tells those apart.
    """
    if isinstance(exc, (OperationalError, PoolTimeoutError, DisconnectionError)):
        return _unusable_reason(exc) is None
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def _driver_line(exc: SQLAlchemyError) -> str:
    """The driver's own error on one line, without the SQL SQLAlchemy appends."""
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    text = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {text[0]}" if text else type(cause).__name__


def as_store_error(exc: SQLAlchemyError, url: str) -> StoreError | None:
    """The :class:`StoreError` that ``exc`` means, or None when it is a Sluice bug.

    A database that answers but cannot be used as it stands (read-only, full, not a Sluice
    store, refusing the credentials) is a :class:`StoreUnusableError` naming the fix; an
    outage is a :class:`StoreUnavailableError`, a violated constraint a
    :class:`StoreConflictError`, a value the database refuses a :class:`StoreValueError`.
    Anything else (a ProgrammingError: SQL the database does not understand) is left as
    it is, so it keeps its own class and traceback.
    """
    reason = _unusable_reason(exc)
    if reason is not None:
        return StoreUnusableError(
            f"the store at {masked_url(url)} cannot be used: {reason} ({_driver_line(exc)})"
        )
    if _is_outage(exc):
        return StoreUnavailableError(
            f"the store at {masked_url(url)} is unavailable ({_driver_line(exc)}); try again"
        )
    if isinstance(exc, IntegrityError):
        return StoreConflictError(f"the store refused a conflicting write ({_driver_line(exc)})")
    if isinstance(exc, DataError):
        return StoreValueError(f"the store refused a value ({_driver_line(exc)})")
    return None


@contextmanager
def store_errors(url: str) -> Iterator[None]:
    """Raise the database errors of the block as the :class:`StoreError` they mean.

    The store's boundary (every ``Store.session()`` passes through it): above it, nobody
    handles SQLAlchemy's exceptions. The original error is the ``__cause__``.
    """
    try:
        yield
    except SQLAlchemyError as exc:
        translated = as_store_error(exc, url)
        if translated is None:
            raise
        raise translated from exc


def dispose_engines() -> None:
    """Close every pooled connection (tests, and before a fork)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def masked_url(url: str) -> str:
    """``url`` for a log line: a password in it (``user:secret@`` or ``?password=``) as ***."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        # Not a URL SQLAlchemy reads (the store will say so); hide anything before an '@'.
        head, at, tail = url.rpartition("@")
        if not at:
            return url
        scheme, sep, _ = head.partition("://")
        return f"{scheme}{sep}***@{tail}" if sep else f"***@{tail}"
    if "password" in parsed.query:
        parsed = parsed.update_query_dict({"password": "***"})
    return parsed.render_as_string(hide_password=True)
