"""Compiling parsed filters to SQLAlchemy conditions for one :class:`FilterTarget`.

The public entry points are in :mod:`sluice.store.filters`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from types import MappingProxyType
from typing import Any

from lark import Token, Tree
from sqlalchemy import and_, func, not_, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from sluice.store.filters_grammar import Source, Value, parse_timestamp, read_field
from sluice.store.filters_grammar import read_value as _read_value
from sluice.store.filters_sql import json_value, matches
from sluice.store.models import Base, ContextRow, RunRow

_MAX_DEPTH = 64
_TYPED = {"number_value": "number", "string_value": "string", "bool_value": "bool"}
_KIND_NAMES = {"number": "a number", "string": "a string", "bool": "a boolean"}
_EXAMPLES = {"number": "a number such as 0.9", "string": 'a quoted "string"', "bool": "true/false"}
_INT64 = 2**63
_FIELD_KINDS = {"string": "a string", "integer": "an integer", "timestamp": "a timestamp"}


@dataclass(frozen=True)
class FilterField:
    """One filterable column: its kind (string, integer or timestamp) and nullability."""

    column: ColumnElement[Any]
    kind: str
    nullable: bool = False
    # Maps a compared string to what the column stores (an API's enum name to Sluice's
    # state, a resource name to an id); None compares the value as written.
    convert: Callable[[str], str] | None = None


@dataclass(frozen=True)
class FilterTarget:
    """What a filter over one entity can name.

    Attributes:
        name: the plural entity name, for messages ("artifacts").
        model: the ORM class the query selects.
        fields: filterable names (``create_time``, ...) and their columns.
        json_fields: prefixes (``metadata``, ...) of ``prefix.<key>.number_value`` fields and
            the JSON columns they read, the first one holding the key winning.
        context_link: (entity id, context id) columns of the table linking the entity to
            contexts, for ``in_context()``; None when the entity has none.
    """

    name: str
    model: type[Base]
    fields: Mapping[str, FilterField]
    json_fields: Mapping[str, tuple[ColumnElement[Any], ...]]
    context_link: tuple[ColumnElement[Any], ColumnElement[Any]] | None = None
    # Fields that name another resource (``parent_contexts:"<context name>"``): the
    # condition a quoted name gives, compared with ``:`` or ``=``.
    relations: Mapping[str, Callable[[str], ColumnElement[bool]]] = dataclass_field(
        default_factory=lambda: MappingProxyType({})
    )

    def describe_fields(self) -> str:
        """The valid field names, for error messages."""
        names = sorted([*self.fields, *self.relations])
        names += [
            f"{prefix}.<key>.number_value|string_value|bool_value" for prefix in self.json_fields
        ]
        if self.context_link is not None:
            names.append('in_context("...")')
        return ", ".join(names)


def _negate(expression: ColumnElement[bool], nullable: bool) -> tuple[ColumnElement[bool], bool]:
    # SQL's NOT NULL is NULL, which would drop the row: "IS NOT TRUE" keeps it, so NOT means
    # "the condition does not hold". Plain NOT on NOT NULL columns stays index-friendly.
    if nullable:
        return expression.is_not(true()), False
    return not_(expression), False


_COMPARE: dict[str, Callable[[ColumnElement[Any], Any], ColumnElement[bool]]] = {
    "=": lambda column, value: column == value,
    "<": lambda column, value: column < value,
    "<=": lambda column, value: column <= value,
    ">": lambda column, value: column > value,
    ">=": lambda column, value: column >= value,
}


class Compiler:
    """Turns a parse tree into SQLAlchemy expressions for one target."""

    def __init__(self, source: Source, target: FilterTarget) -> None:
        self.source = source
        self.target = target

    # Each method returns (condition, whether it can be NULL).

    def node(self, node: Tree[Token] | Token, depth: int) -> tuple[ColumnElement[bool], bool]:
        """The condition of a parse tree node."""
        assert isinstance(node, Tree)
        if depth > _MAX_DEPTH:
            first = next(node.scan_values(lambda _: True), None)
            raise self.source.error(first, f"the filter nests deeper than {_MAX_DEPTH} levels")
        rule = node.data
        subtrees = [child for child in node.children if isinstance(child, Tree)]
        if rule in ("expression", "factor"):
            parts = [self.node(child, depth + 1) for child in subtrees]
            combine = and_ if rule == "expression" else or_
            return combine(*(p[0] for p in parts)), any(p[1] for p in parts)
        if rule == "negation":
            return _negate(*self.node(subtrees[0], depth + 1))
        if rule == "group":
            return self.node(subtrees[0], depth + 1)
        if rule == "restriction":
            return self.restriction(node)
        return self.call(node)

    def restriction(self, node: Tree[Token]) -> tuple[ColumnElement[bool], bool]:
        """``field OP value``."""
        field_node, op_token, value_node = node.children
        assert isinstance(field_node, Tree) and isinstance(value_node, Tree)
        assert isinstance(op_token, Token)
        segments, first, written = read_field(self.source, field_node)
        value = _read_value(self.source, value_node)
        if segments[0] in self.target.json_fields:
            return self._json(segments, first, written, op_token, value)
        if segments[0] in self.target.relations:
            return self._relation(segments[0], first, op_token, value)
        field = self._field(segments, first)
        op = str(op_token)
        if value.kind == "star":
            present = field.column.is_not(None) if field.nullable else true()
            return self._presence(op_token, value, present)
        if op == ":" and field.kind != "string":
            raise self.source.error(
                op_token,
                f"operator ':' applies to strings and {written} is "
                f"{_FIELD_KINDS[field.kind]} field; use = != < <= > >=",
            )
        literal = self._coerce(written, field.kind, value)
        if field.convert is not None and not value.has_wildcard and op != ":":
            literal = field.convert(literal)
        if field.kind == "string" and (op == ":" or (op in ("=", "!=") and value.has_wildcard)):
            parts = ["", *value.parts, ""] if op == ":" else list(value.parts)
            condition = matches(field.column, parts)
        else:
            condition = _COMPARE["=" if op == "!=" else op](field.column, literal)
        if op == "!=":
            return _negate(condition, field.nullable)
        return condition, field.nullable

    def _relation(
        self, name: str, first: Token, op: Token, value: Value
    ) -> tuple[ColumnElement[bool], bool]:
        if str(op) not in (":", "="):
            raise self.source.error(op, f"{name} takes ':' or '=' and a quoted resource name")
        if value.kind != "string" or value.has_wildcard:
            raise self.source.error(
                value.token, f'{name} takes one quoted resource name, e.g. {name}:"projects/..."'
            )
        return self.target.relations[name](str(value.value)), False

    def _field(self, segments: list[str], first: Token) -> FilterField:
        field = self.target.fields.get(segments[0])
        if field is None:
            raise self.source.error(
                first,
                f"unknown field '{segments[0]}'; the {self.target.name} fields are: "
                + self.target.describe_fields(),
            )
        if len(segments) > 1:
            raise self.source.error(first, f"field '{segments[0]}' has no sub-fields")
        return field

    def _presence(
        self, op: Token, value: Value, present: ColumnElement[bool]
    ) -> tuple[ColumnElement[bool], bool]:
        if op != ":":
            raise self.source.error(
                value.token,
                "'*' alone is only valid after ':' (field:* matches rows where it is set)",
            )
        return present, False

    def _coerce(self, written: str, kind: str, value: Value) -> Any:
        if kind == "string":
            if value.kind != "string":
                raise self.source.error(
                    value.token,
                    f'{written} is a string field: quote the value, e.g. {written}="..."',
                )
            return value.value
        if kind == "integer":
            if value.kind == "number" and isinstance(value.value, int):
                return value.value
            text = str(value.value)
            if value.kind == "string" and text.isascii() and text.isdigit() and int(text) < _INT64:
                return int(text)
            raise self.source.error(
                value.token, f"{written} is an integer field: compare it with a whole number"
            )
        stamp = parse_timestamp(str(value.value)) if value.kind == "string" else None
        if stamp is None:
            raise self.source.error(
                value.token,
                f"{written} is a timestamp: compare it with a quoted RFC 3339 time such as "
                '"2026-01-01T00:00:00Z"',
            )
        return stamp

    def _json(
        self, segments: list[str], first: Token, written: str, op_token: Token, value: Value
    ) -> tuple[ColumnElement[bool], bool]:
        prefix = segments[0]
        columns = self.target.json_fields[prefix]
        kind = self._json_kind(segments, first)
        key = segments[1]
        op = str(op_token)
        if value.kind == "star":
            if kind is None:
                present = or_(*(json_value("any", column, key) for column in columns))
            else:
                present = _coalesce(kind, columns, key).is_not(None)
            return self._presence(op_token, value, present)
        kind = kind or value.kind
        if value.kind != kind:
            raise self.source.error(
                value.token,
                f"{written} holds {_KIND_NAMES[kind]}: compare it with {_EXAMPLES[kind]}",
            )
        if kind == "bool" and op not in ("=", "!="):
            raise self.source.error(
                op_token, f"operator '{op}' does not apply to booleans; use = or !="
            )
        if kind != "string" and op == ":":
            raise self.source.error(
                op_token, "operator ':' applies to strings; compare numbers with = != < <= > >="
            )
        element = _coalesce(kind, columns, key)
        if kind == "string" and (op == ":" or (op in ("=", "!=") and value.has_wildcard)):
            parts = ["", *value.parts, ""] if op == ":" else list(value.parts)
            condition = matches(element, parts)
        else:
            literal = ("true" if value.value else "false") if kind == "bool" else value.value
            condition = _COMPARE["=" if op == "!=" else op](element, literal)
        if op == "!=":
            return _negate(condition, True)
        return condition, True

    def _json_kind(self, segments: list[str], first: Token) -> str | None:
        prefix = segments[0]
        if len(segments) == 2:
            return None
        if len(segments) == 3 and segments[2] in _TYPED:
            return _TYPED[segments[2]]
        if len(segments) == 1:
            message = (
                f"{prefix} needs a key: {prefix}.<key>.number_value (or string_value, bool_value)"
            )
        else:
            message = (
                f"expected {prefix}.<key>.number_value, string_value or bool_value; "
                f'quote a key holding dots: {prefix}."a.b".number_value'
            )
        raise self.source.error(first, message)

    def call(self, node: Tree[Token]) -> tuple[ColumnElement[bool], bool]:
        """``in_context("name, id or run name")``."""
        name = node.children[0]
        assert isinstance(name, Token)
        args = [_read_value(self.source, c) for c in node.children if isinstance(c, Tree)]
        if name != "in_context":
            raise self.source.error(
                name, f"unknown function '{name}'; the one function is in_context(\"...\")"
            )
        if self.target.context_link is None:
            raise self.source.error(name, f"in_context() does not apply to {self.target.name}")
        if len(args) != 1 or args[0].kind != "string":
            raise self.source.error(
                args[0].token if args else name,
                "in_context() takes one quoted argument: a context name or id, or a run name",
            )
        # The Vertex AI SDK names a context in full: projects/.../contexts/ID.
        wanted = str(args[0].value).rsplit("/contexts/", 1)[-1]
        run_contexts = select(RunRow.id).where(RunRow.name == wanted)
        candidates = [
            ContextRow.name == wanted,
            and_(ContextRow.type == "system.PipelineRun", ContextRow.name.in_(run_contexts)),
        ]
        if wanted.isascii() and wanted.isdigit() and int(wanted) < _INT64:
            candidates.append(ContextRow.id == int(wanted))
        contexts = select(ContextRow.id).where(or_(*candidates))
        member, context = self.target.context_link
        members = select(member).where(context.in_(contexts))
        return self.target.fields["id"].column.in_(members), False

    def sort_key(self, node: Tree[Token]) -> tuple[ColumnElement[Any], bool, bool]:
        """An order_by field: (expression, nullable, whether it is the id)."""
        segments, first, _ = read_field(self.source, node)
        if segments[0] in self.target.json_fields:
            kind = self._json_kind(segments, first)
            if kind is None:
                raise self.source.error(
                    first,
                    f"say how to sort {segments[0]}.{segments[1]}: add .number_value, "
                    ".string_value or .bool_value",
                )
            return _coalesce(kind, self.target.json_fields[segments[0]], segments[1]), True, False
        field = self._field(segments, first)
        return field.column, field.nullable, field.column is self.target.fields["id"].column


def _coalesce(kind: str, columns: tuple[ColumnElement[Any], ...], key: str) -> ColumnElement[Any]:
    elements = [json_value(kind, column, key) for column in columns]
    if len(elements) == 1:
        return elements[0]
    combined: ColumnElement[Any] = func.coalesce(*elements)
    return combined
