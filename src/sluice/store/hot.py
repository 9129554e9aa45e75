"""The engine's most frequent statements, run on SQLite's own cursor.

A task's start and end are a handful of small INSERTs and UPDATEs; through SQLAlchemy
Core each costs about 0.1 ms of Python beside SQLite's own work (looking the compiled
statement up in the cache, building an execution context, processing every parameter,
building a result), which made the store the largest part of the engine's time per task.
On SQLite, :class:`HotStatement` keeps what SQLAlchemy would send: the statement is
compiled by SQLAlchemy, for the connection's dialect and the parameters' keys, once; each
execution then applies the compiled statement's own bind processors (JSON, DateTime) and
the columns' Python-side defaults, and runs it on the DBAPI cursor of the same
connection, so it is part of the transaction it is called in. Any other database runs the
statement through Core unchanged, so the store stays portable; so does SQLite when a
statement compiles to something this does not handle (:meth:`HotStatement._compile`).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Column, Select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.dml import UpdateBase

__all__ = ["HotStatement"]


@dataclass(frozen=True)
class _Compiled:
    """One statement compiled for SQLite and one set of parameter keys."""

    sql: str
    # Bind names in the order of the statement's "?" placeholders.
    order: tuple[str, ...]
    processors: dict[str, Any]
    # Binds the statement itself supplies (an IN list's values).
    constants: dict[str, Any]
    # Columns whose Python-side default (INSERT) or onupdate (UPDATE) fills a missing key.
    defaults: tuple[tuple[str, Any], ...]
    # Names of the RETURNING columns, if any.
    returning: tuple[str, ...]
    # A SELECT's result processors (None: the value as the driver gives it), by column.
    results: tuple[Any, ...] = ()


class HotStatement:
    """A statement that skips Core's per-execution work on SQLite (see the module)."""

    def __init__(self, statement: UpdateBase | Select[Any]) -> None:
        self.statement = statement
        self._compiled: dict[tuple[str, ...], _Compiled | None] = {}

    def insert(self, connection: Connection, params: dict[str, Any]) -> int:
        """Run a single-row INSERT; the integer primary key it generated."""
        compiled = self._for(connection, params)
        if compiled is None:
            key = connection.execute(self.statement, params).inserted_primary_key
            assert key is not None
            return int(key[0])
        cursor = self._run(connection, compiled, params)
        row_id = cursor.lastrowid
        cursor.close()
        assert row_id is not None
        return int(row_id)

    def execute(self, connection: Connection, params: dict[str, Any]) -> None:
        """Run the statement, with no result."""
        compiled = self._for(connection, params)
        if compiled is None:
            connection.execute(self.statement, params)
            return
        self._run(connection, compiled, params).close()

    def one_or_none(self, connection: Connection, params: dict[str, Any]) -> Any:
        """Run a statement with RETURNING; its one row (attributes by column), or None."""
        compiled = self._for(connection, params)
        if compiled is None:
            return connection.execute(self.statement, params).one_or_none()
        cursor = self._run(connection, compiled, params)
        rows = cursor.fetchall()
        cursor.close()
        if not rows:
            return None
        assert len(rows) == 1, "one_or_none: more than one row"
        return SimpleNamespace(**dict(zip(compiled.returning, rows[0], strict=True)))

    def first(self, connection: Connection, params: dict[str, Any]) -> tuple[Any, ...] | None:
        """Run a SELECT; its first row as a tuple of values Core would give, or None."""
        compiled = self._for(connection, params)
        if compiled is None:
            row = connection.execute(self.statement, params).first()
            return None if row is None else tuple(row)
        cursor = self._run(connection, compiled, params)
        raw = cursor.fetchone()
        cursor.close()
        if raw is None:
            return None
        return tuple(
            value if process is None else process(value)
            for value, process in zip(raw, compiled.results, strict=True)
        )

    # -- internals -------------------------------------------------------------------------

    def _for(self, connection: Connection, params: dict[str, Any]) -> _Compiled | None:
        if connection.dialect.name != "sqlite":
            return None
        keys = tuple(params)
        try:
            return self._compiled[keys]
        except KeyError:
            compiled = self._compiled[keys] = self._compile(connection, keys)
            return compiled

    def _compile(self, connection: Connection, keys: tuple[str, ...]) -> _Compiled | None:
        """SQLAlchemy's compilation of the statement for these keys, or None to use Core."""
        compiled: Any = self.statement.compile(dialect=connection.dialect, column_keys=list(keys))
        if connection.dialect.paramstyle != "qmark" or getattr(compiled, "postfetch", None):
            return None  # server-side defaults to read back: Core knows how
        defaults: list[tuple[str, Any]] = []
        prefetch = [
            *getattr(compiled, "insert_prefetch", ()),
            *getattr(compiled, "update_prefetch", ()),
        ]
        for column in prefetch:
            default = _default_of(column, insert=column in compiled.insert_prefetch)
            if default is None:
                return None
            defaults.append((column.key, default))
        given = set(keys) | {name for name, _ in defaults}
        # An IN list of constants is rendered as one "?" per value (the statement's own).
        expanded = compiled.construct_expanded_state(dict.fromkeys(given))
        order = tuple(expanded.positiontup or ())
        constants = {
            name: value for name, value in expanded.parameters.items() if name not in given
        }
        if any(name not in given and name not in constants for name in order):
            return None
        returning = tuple(column.key for column in compiled.effective_returning or ())
        results: tuple[Any, ...] = ()
        if isinstance(self.statement, Select):
            dialect = connection.dialect
            results = tuple(
                column.type._cached_result_processor(dialect, None)
                for column in self.statement.selected_columns
            )
        return _Compiled(
            sql=expanded.statement,
            order=order,
            processors={**compiled._bind_processors, **expanded.processors},
            constants=constants,
            defaults=tuple(defaults),
            returning=returning,
            results=results,
        )

    @staticmethod
    def _run(connection: Connection, compiled: _Compiled, params: dict[str, Any]) -> Any:
        values = {**compiled.constants, **params}
        for name, default in compiled.defaults:
            if name not in params:
                values[name] = default()
        processors = compiled.processors
        row = []
        for name in compiled.order:
            value = values[name]
            process = processors.get(name)
            row.append(process(value) if process is not None else value)
        # The connection's own DBAPI connection: the statement runs in its transaction.
        dbapi = connection.connection.dbapi_connection
        assert dbapi is not None
        cursor = dbapi.cursor()
        try:
            cursor.execute(compiled.sql, row)
        except Exception as exc:
            cursor.close()
            dialect = connection.dialect
            if not isinstance(exc, dialect.loaded_dbapi.Error):
                raise
            # The exception Core would have raised, so store_errors() maps it alike.
            raise DBAPIError.instance(
                compiled.sql, row, exc, dialect.loaded_dbapi.Error, dialect=dialect
            ) from exc
        return cursor


def _default_of(column: Column[Any], *, insert: bool) -> Any:
    """A zero-argument function giving the column's Python-side default, or None."""
    default = column.default if insert else column.onupdate
    if default is None or not (default.is_scalar or default.is_callable):
        return None
    arg = default.arg  # type: ignore[attr-defined]
    if default.is_callable:
        return lambda: arg(None)  # SQLAlchemy wraps it to take an execution context
    return lambda: arg
