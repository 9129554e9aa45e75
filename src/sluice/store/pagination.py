"""Keyset pagination: pages that stay fast however deep the reader goes.

An OFFSET query reads and throws away every row before the page, so page 10,000 of a
million artifacts costs as much as reading them all. A keyset page instead starts
*after* the last row of the previous page: the page token holds that row's values of
the sort keys, and the next query asks for rows that sort after them, which an index
on the sort keys answers directly.

The sort keys are whatever ``compile_order_by`` returned, with the table's ``id``
appended when it is missing so that every row has a unique position. A key that can
be NULL is sorted NULLS LAST explicitly: SQLite and PostgreSQL disagree on where NULLs
go by default, and the "after" predicate must match the order the database uses.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, and_, false, literal, or_, tuple_
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ColumnElement, Label, UnaryExpression

from sluice.errors import InvalidQueryError


@dataclass(frozen=True)
class SortKey:
    """One ORDER BY term, taken apart: the expression, its direction, whether it can be NULL."""

    expr: ColumnElement[Any]
    descending: bool
    nullable: bool

    def order_clause(self) -> ColumnElement[Any]:
        """The ORDER BY term, with NULLs explicitly last when the key can be NULL."""
        clause = self.expr.desc() if self.descending else self.expr.asc()
        return clause.nulls_last() if self.nullable else clause

    def beyond(self, value: Any) -> ColumnElement[bool]:
        """Rows whose key sorts strictly after ``value``."""
        if value is None:
            return false()  # NULLs sort last: nothing comes after a NULL key
        bound = literal(value, self.expr.type)
        past = self.expr < bound if self.descending else self.expr > bound
        return or_(past, self.expr.is_(None)) if self.nullable else past

    def equal(self, value: Any) -> ColumnElement[bool]:
        """Rows whose key equals ``value`` (NULL equals NULL here, as in the sort)."""
        if value is None:
            return self.expr.is_(None)
        return self.expr == literal(value, self.expr.type)


def _split(term: ColumnElement[Any]) -> tuple[ColumnElement[Any], bool]:
    """An ORDER BY term as (expression, descending), unwrapping NULLS FIRST/LAST."""
    descending = False
    while isinstance(term, UnaryExpression) and term.modifier in (
        operators.desc_op,
        operators.asc_op,
        operators.nulls_first_op,
        operators.nulls_last_op,
    ):
        if term.modifier is operators.desc_op:
            descending = True
        term = term.element
    if isinstance(term, Label):
        term = term.element
    return term, descending


def sort_keys(order_by: Sequence[ColumnElement[Any]], id_column: Any) -> list[SortKey]:
    """The sort keys of ``order_by``, made total by appending ``id_column`` when missing."""
    keys: list[SortKey] = []
    for term in order_by:
        expr, descending = _split(term)
        # Only a plain NOT NULL column is known never to be NULL; a JSON path or a
        # function of a column may be.
        nullable = not (isinstance(expr, Column) and not expr.nullable)
        keys.append(SortKey(expr, descending, nullable))
    id_expr = id_column.expression if hasattr(id_column, "expression") else id_column
    if not any(key.expr.compare(id_expr) for key in keys):
        last_descending = keys[-1].descending if keys else True
        keys.append(SortKey(id_expr, last_descending, False))
    return keys


def after(keys: Sequence[SortKey], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows that sort after the row whose key values are ``values``."""
    same_direction = len({key.descending for key in keys}) == 1
    if same_direction and not any(key.nullable for key in keys):
        # A row-value comparison is what an index on the keys can answer as one range
        # scan (SQLite >= 3.15 and PostgreSQL both support it).
        bounds = [literal(v, key.expr.type) for key, v in zip(keys, values, strict=True)]
        left, right = tuple_(*[key.expr for key in keys]), tuple_(*bounds)
        return left < right if keys[0].descending else left > right
    # Mixed directions or NULLs: (k1 > v1) OR (k1 = v1 AND k2 > v2) OR ...
    alternatives: list[ColumnElement[bool]] = []
    for i, key in enumerate(keys):
        prefix = [keys[j].equal(values[j]) for j in range(i)]
        alternatives.append(and_(*prefix, key.beyond(values[i])))
    return or_(*alternatives)


def query_fingerprint(*parts: str | None) -> str:
    """A short hash of what defines a query, so a token is only used with its own query."""
    text = "\x00".join(part or "" for part in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _to_json(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"n": str(value)}
    return value


def _from_json(value: Any) -> Any:
    if isinstance(value, dict):
        if "t" in value:
            return datetime.fromisoformat(value["t"])
        if "d" in value:
            return date.fromisoformat(value["d"])
        if "n" in value:
            return Decimal(value["n"])
    return value


def encode_token(fingerprint: str, values: Sequence[Any]) -> str:
    """The page token that resumes after a row with these key values."""
    payload = json.dumps({"q": fingerprint, "k": [_to_json(v) for v in values]})
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_token(token: str, fingerprint: str, n_keys: int) -> list[Any]:
    """The key values in ``token``, checked to belong to this query.

    Raises:
        InvalidQueryError: the token is malformed or came from another query.
    """
    try:
        padded = token + "=" * (-len(token) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        values = [_from_json(v) for v in payload["k"]]
        matches = payload["q"] == fingerprint and len(values) == n_keys
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise InvalidQueryError(
            f"malformed page token '{token[:40]}'; pass the next_page_token of a previous page"
        ) from exc
    if not matches:
        raise InvalidQueryError(
            "the page token belongs to another query; pass the same filter and order_by "
            "as the query that returned it"
        )
    return values
