"""The metadata filter language: AIP-160 filters and ``order_by`` compiled to SQL.

``Artifact.list(filter='schema_title="system.Model" AND metadata.accuracy.number_value>0.9')``
works as on Vertex AI: :func:`compile_filter` parses the text (see
:mod:`sluice.store.filters_grammar`) and returns a SQLAlchemy condition to put in a
``WHERE``; rows are never filtered in Python. Plain columns compare directly, so an index
such as ``(schema_title, created_at)`` can drive the scan; JSON metadata is read only as a
residual predicate.

Semantics worth knowing:

- ``AND`` binds looser than ``OR`` (AIP-160): ``a AND b OR c`` is ``a AND (b OR c)``.
- ``=``/``!=`` on strings treat an unescaped ``*`` as a wildcard (``\\*`` is a star);
  ``:`` means "contains" for strings, and ``field:*`` means "is set".
- ``a != v`` is ``NOT a = v``, and ``NOT`` keeps the rows where the condition is not true:
  a row without the metadata key matches ``metadata.k.number_value != 1``.
- Timestamps are RFC 3339 strings; without an offset they are UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from lark import Token, Tree
from sqlalchemy import func
from sqlalchemy.sql.elements import ColumnElement

from sluice.store.context_links import has_parent
from sluice.store.filters_compile import Compiler, FilterField, FilterTarget
from sluice.store.filters_grammar import Source, parse
from sluice.store.models import (
    ArtifactRow,
    AssociationRow,
    AttributionRow,
    Base,
    ContextRow,
    ExecutionRow,
)

__all__ = [
    "ARTIFACTS",
    "CONTEXTS",
    "EXECUTIONS",
    "FilterField",
    "FilterTarget",
    "compile_filter",
    "compile_order_by",
]


def _column(model: type[Base], name: str) -> ColumnElement[Any]:
    column: ColumnElement[Any] = model.__table__.c[name]
    return column


def _target(
    name: str,
    model: type[Base],
    fields: dict[str, tuple[str | ColumnElement[Any], str]],
    json_fields: dict[str, tuple[str, ...]],
    context_link: tuple[ColumnElement[Any], ColumnElement[Any]] | None,
    converts: dict[str, Callable[[str], str]] | None = None,
) -> FilterTarget:
    built = {}
    for field_name, (column_name, kind) in fields.items():
        column = _column(model, column_name) if isinstance(column_name, str) else column_name
        nullable = bool(getattr(column, "nullable", True))
        convert = (converts or {}).get(field_name)
        built[field_name] = FilterField(column, kind, nullable, convert)
    return FilterTarget(
        name=name,
        model=model,
        fields=MappingProxyType(built),
        json_fields=MappingProxyType(
            {p: tuple(_column(model, c) for c in cols) for p, cols in json_fields.items()}
        ),
        context_link=context_link,
    )


ARTIFACTS = _target(
    "artifacts",
    ArtifactRow,
    {
        "id": ("id", "integer"),
        "name": ("name", "string"),
        "display_name": ("display_name", "string"),
        "uri": ("uri", "string"),
        "schema_title": ("schema_title", "string"),
        "schema_version": ("schema_version", "string"),
        "create_time": ("created_at", "timestamp"),
        "update_time": ("updated_at", "timestamp"),
        "run_id": ("run_id", "string"),
        "digest": ("digest", "string"),
        "state": ("state", "string"),
        "description": ("description", "string"),
    },
    {"metadata": ("metadata",)},
    (_column(AttributionRow, "artifact_id"), _column(AttributionRow, "context_id")),
)
"""Filters over :class:`~sluice.store.models.ArtifactRow`."""

EXECUTIONS = _target(
    "executions",
    ExecutionRow,
    {
        "id": ("id", "integer"),
        "schema_title": ("type", "string"),
        "state": ("state", "string"),
        "display_name": ("component_name", "string"),
        "component": ("component_name", "string"),
        "run_id": ("run_id", "string"),
        "fingerprint": ("fingerprint", "string"),
        "create_time": ("started_at", "timestamp"),
        # A Vertex execution's last update; a run's attempt's end.
        "update_time": (
            func.coalesce(
                _column(ExecutionRow, "updated_at"), _column(ExecutionRow, "finished_at")
            ),
            "timestamp",
        ),
    },
    {
        # A user's metadata (Vertex AI executions), then outputs shadow inputs of a name.
        "metadata": ("metadata", "output_parameters", "input_parameters"),
        "input_parameters": ("input_parameters",),
        "output_parameters": ("output_parameters",),
    },
    (_column(AssociationRow, "execution_id"), _column(AssociationRow, "context_id")),
    # Vertex AI spells it CANCELLED; Sluice's executions store MLMD's CANCELED.
    {"state": lambda value: "CANCELED" if value == "CANCELLED" else value},
)
"""Filters over :class:`~sluice.store.models.ExecutionRow`."""

CONTEXTS = replace(
    _target(
        "contexts",
        ContextRow,
        {
            "id": ("id", "integer"),
            "name": ("name", "string"),
            "schema_title": ("type", "string"),
            "create_time": ("created_at", "timestamp"),
        },
        {"metadata": ("properties",)},
        None,
    ),
    relations=MappingProxyType({"parent_contexts": has_parent}),
)
# Contexts the engine made have no display name, schema version or update time of their
# own: they read as their name, 0.0.1 and their create time, as the API shows them.
CONTEXTS = replace(
    CONTEXTS,
    fields=MappingProxyType(
        {
            **CONTEXTS.fields,
            "display_name": FilterField(
                func.coalesce(ContextRow.display_name, ContextRow.name), "string"
            ),
            "schema_version": FilterField(
                func.coalesce(ContextRow.schema_version, "0.0.1"), "string"
            ),
            "update_time": FilterField(
                func.coalesce(ContextRow.updated_at, ContextRow.created_at), "timestamp"
            ),
        }
    ),
)
"""Filters over :class:`~sluice.store.models.ContextRow` (``metadata`` reads ``properties``,
``parent_contexts:"<context name>"`` finds a context's children)."""


def compile_filter(text: str | None, target: FilterTarget) -> ColumnElement[bool] | None:
    """The SQL condition of an AIP-160 ``filter`` over ``target``; None for no filter.

    Raises:
        InvalidFilterError: the text does not parse, or names an unknown field, or compares
            a field with a value or operator of the wrong kind.
    """
    if text is None or not text.strip():
        return None
    source = Source("filter", text)
    condition, _ = Compiler(source, target).node(parse(source), 0)
    return condition


def compile_order_by(text: str | None, target: FilterTarget) -> list[ColumnElement[Any]]:
    """ORDER BY clauses of ``"field [asc|desc], ..."``; default ``create_time desc``.

    ``id`` is appended (in the first key's direction) unless named, so pages are stable;
    NULLs sort last on every database.

    Raises:
        InvalidFilterError: an unknown field or direction.
    """
    id_column = target.fields["id"].column
    if text is None or not text.strip():
        return [target.fields["create_time"].column.desc(), id_column.desc()]
    source = Source("order_by", text)
    compiler = Compiler(source, target)
    clauses: list[ColumnElement[Any]] = []
    first_desc: bool | None = None
    has_id = False
    for key in parse(source).children:
        if not isinstance(key, Tree):
            continue  # a comma
        field_node, direction = key.children
        assert isinstance(field_node, Tree)
        expression, nullable, is_id = compiler.sort_key(field_node)
        desc = isinstance(direction, Token) and direction.type == "DESC"
        clause = expression.desc() if desc else expression.asc()
        clauses.append(clause.nulls_last() if nullable else clause)
        first_desc = desc if first_desc is None else first_desc
        has_id = has_id or is_id
    if not has_id:
        clauses.append(id_column.desc() if first_desc else id_column.asc())
    return clauses
