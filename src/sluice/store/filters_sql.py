"""SQL building blocks of the filter language that differ between SQLite and PostgreSQL.

Each is a SQLAlchemy element compiled per dialect (``sqlalchemy.ext.compiler``), so one
filter expression runs on both databases. Every key, path and pattern is a bound
parameter: nothing the user typed is ever spliced into SQL text.

JSON values are typed on read: a metadata value is compared as a number only when its
JSON type is a number, as a string only when it is a string. On PostgreSQL this check
sits inside a ``CASE``, the only construct whose evaluation order PostgreSQL guarantees,
so a string value never reaches the ``CAST(... AS DOUBLE PRECISION)`` and raises.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import Boolean, Float, String, literal, null
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement, Null
from sqlalchemy.sql.functions import FunctionElement

# SQLite's JSON path syntax has no escapes and, before 3.45, matches a quoted label
# against the key as stored (json.dumps escapes non-ASCII): keys made of these characters
# can use a path; any other key is looked up with json_each, which decodes keys.
_PATH_SAFE = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-.:/@#$%&+,;=!?~()[]{}<>|'^`*"
)

# SQLite json_type() names per kind of value, and PostgreSQL json_typeof() names.
_SQLITE_TYPES = {
    "number": "'integer', 'real'",
    "string": "'text'",
    "bool": "'true', 'false'",
}
_PG_TYPES = {"number": "'number'", "string": "'string'", "bool": "'boolean'"}


class _JsonElement(FunctionElement[Any]):
    """Base of the JSON accessors: arguments are (json column, key, SQLite path or NULL)."""

    inherit_cache = True
    kind: ClassVar[str] = ""


class JsonNumber(_JsonElement):
    """The value of a key of a JSON object when it is a number, else NULL."""

    name = "json_number"
    type = Float()
    inherit_cache = True
    kind = "number"


class JsonString(_JsonElement):
    """The value of a key of a JSON object when it is a string, else NULL."""

    name = "json_string"
    type = String()
    inherit_cache = True
    kind = "string"


class JsonBool(_JsonElement):
    """``'true'``/``'false'`` when a key of a JSON object holds a boolean, else NULL."""

    name = "json_bool"
    type = String()
    inherit_cache = True
    kind = "bool"


class JsonHasKey(_JsonElement):
    """Whether a JSON object has a key (whatever its value, ``null`` included)."""

    name = "json_has_key"
    type = Boolean()
    inherit_cache = True
    kind = "any"


def json_value(kind: str, column: ColumnElement[Any], key: str) -> ColumnElement[Any]:
    """The accessor of ``kind`` (number, string, bool or any) for ``column[key]``."""
    cls = {"number": JsonNumber, "string": JsonString, "bool": JsonBool, "any": JsonHasKey}[kind]
    # A key SQLite cannot address with a path gets NULL instead: that changes the statement's
    # structure (not just a bound value), so SQLAlchemy's statement cache stays correct.
    path = literal(f'$."{key}"', String()) if set(key) <= _PATH_SAFE else null()
    element: ColumnElement[Any] = cls(column, literal(key, String()), path)
    return element


def _args(element: _JsonElement, compiler: SQLCompiler, **kw: Any) -> tuple[str, str, str | None]:
    column, key, path = list(element.clauses)
    return (
        compiler.process(column, **kw),
        compiler.process(key, **kw),
        None if isinstance(path, Null) else compiler.process(path, **kw),
    )


@compiles(_JsonElement, "sqlite")
def _json_sqlite(element: _JsonElement, compiler: SQLCompiler, **kw: Any) -> str:
    column, key, path = _args(element, compiler, **kw)
    if element.kind == "any":
        if path is not None:
            return f"(json_type({column}, {path}) IS NOT NULL)"
        return f"EXISTS (SELECT 1 FROM json_each({column}) WHERE json_each.key = {key})"
    types = _SQLITE_TYPES[element.kind]
    # For booleans json_extract() gives 1/0, indistinguishable from numbers: use the type name.
    value = "json_each.type" if element.kind == "bool" else "json_each.value"
    if path is None:
        return (
            f"(SELECT {value} FROM json_each({column}) "
            f"WHERE json_each.key = {key} AND json_each.type IN ({types}))"
        )
    extract = (
        f"json_type({column}, {path})"
        if element.kind == "bool"
        else (f"json_extract({column}, {path})")
    )
    return f"(CASE WHEN json_type({column}, {path}) IN ({types}) THEN {extract} END)"


@compiles(_JsonElement)
def _json_postgresql(element: _JsonElement, compiler: SQLCompiler, **kw: Any) -> str:
    # PostgreSQL (``json`` columns) and the default string form of an expression.
    column, key, _ = _args(element, compiler, **kw)
    item = f"({column} -> {key})"
    if element.kind == "any":
        return f"({item} IS NOT NULL)"
    text = f"({column} ->> {key})"
    if element.kind == "number":
        text = f"CAST({text} AS DOUBLE PRECISION)"
    return f"(CASE WHEN json_typeof({item}) = {_PG_TYPES[element.kind]} THEN {text} END)"


class Matches(FunctionElement[bool]):
    """Whether a string matches a wildcard pattern, case-sensitively on every database.

    Arguments are (string, GLOB pattern for SQLite, LIKE pattern for the others): SQLite's
    LIKE ignores ASCII case while PostgreSQL's does not, GLOB is case-sensitive.
    """

    name = "matches"
    type = Boolean()
    inherit_cache = True


def matches(column: ColumnElement[Any], parts: list[str]) -> ColumnElement[bool]:
    """``column`` matches ``parts`` joined by ``*`` wildcards (each part taken literally)."""
    glob = "*".join("".join(f"[{c}]" if c in "*?[" else c for c in part) for part in parts)
    like = "%".join(
        part.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for part in parts
    )
    element: ColumnElement[bool] = Matches(column, literal(glob, String()), literal(like, String()))
    return element


@compiles(Matches, "sqlite")
def _matches_sqlite(element: Matches, compiler: SQLCompiler, **kw: Any) -> str:
    column, glob, _ = list(element.clauses)
    return f"({compiler.process(column, **kw)} GLOB {compiler.process(glob, **kw)})"


@compiles(Matches)
def _matches_default(element: Matches, compiler: SQLCompiler, **kw: Any) -> str:
    column, _, like = list(element.clauses)
    return f"({compiler.process(column, **kw)} LIKE {compiler.process(like, **kw)} ESCAPE '\\')"
