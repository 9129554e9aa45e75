"""One page of a resource list, compiled to SQL: predicates, an order, an offset.

The request shapes (KFP's ``filter`` JSON, ``sort_by``, page tokens) are parsed by the
interfaces (``sluice.server.kfp_filters``) into a :class:`ListQuery`; this module turns
it into SQL against a resource's columns. The keys a resource can be filtered and sorted
on are the keys of its column map, which the repositories export (``LIST_KEYS``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Generic, TypeVar

from sqlalchemy import DateTime, Float, Select, func, select
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement

from sluice.errors import InvalidFilterError
from sluice.store.repository import Store

T = TypeVar("T")
Columns = Mapping[str, InstrumentedAttribute[Any]]
# Keys beyond a resource's columns (a run's ``metrics.<name>``): the key's SQL
# expression, or None when the key is not one of them.
Computed = Callable[[str], ColumnElement[Any] | None]
# A column or a computed key's expression: what a predicate compares.
Operand = InstrumentedAttribute[Any] | ColumnElement[Any]

# KFP's operation names; the parser maps numbers and names onto these.
OPERATIONS = (
    "EQUALS",
    "NOT_EQUALS",
    "GREATER_THAN",
    "GREATER_THAN_EQUALS",
    "LESS_THAN",
    "LESS_THAN_EQUALS",
    "IN",
    "IS_SUBSTRING",
)


@dataclass(frozen=True)
class Predicate:
    """``key OPERATION value``; ``is_list`` when the value is a list (only for IN)."""

    key: str
    operation: str
    value: object
    is_list: bool = False


@dataclass(frozen=True, kw_only=True)
class ListQuery:
    """Which rows of a list, in which order, which page (``offset``, at most ``limit``)."""

    predicates: Sequence[Predicate] = ()
    sort_key: str = "created_at"
    descending: bool = False
    offset: int = 0
    limit: int = 20


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page: its rows, how many match in all, and the next offset (None on the last)."""

    rows: list[T]
    total_size: int
    next_offset: int | None


def _timestamp(value: object) -> datetime:
    """A filter time: Unix seconds (as KFP compares them) or an RFC3339 string."""
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return datetime.fromtimestamp(float(value), tz=timezone.utc)
        if isinstance(value, str):
            if value.lstrip("-").isdigit():
                return datetime.fromtimestamp(int(value), tz=timezone.utc)
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    except (ValueError, OverflowError, OSError) as exc:
        raise InvalidFilterError(f"filter: invalid time {value!r}") from exc
    raise InvalidFilterError(f"filter: invalid time {value!r}")


def _coerce(column: Operand, key: str, value: object) -> object:
    if isinstance(column.type, DateTime):
        # UTC; SQLite's type processor drops the zone on both sides of the comparison.
        return _timestamp(value)
    if isinstance(value, (dict, list)) or value is None:
        raise InvalidFilterError(f"filter: invalid value for '{key}'")
    if isinstance(column.type, Float):
        try:
            return float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise InvalidFilterError(f"filter: '{key}' takes a number, not {value!r}") from exc
    if key == "storage_state" and isinstance(value, str):
        return value.removeprefix("STORAGESTATE_")  # the v1 API's enum names
    return value if isinstance(value, str) else str(value)


def _column(columns: Columns, key: str, computed: Computed | None = None) -> Operand:
    if key in columns:
        return columns[key]
    expression = computed(key) if computed is not None else None
    if expression is None:
        raise InvalidFilterError(
            f"filter: cannot filter on {key!r}; keys: {', '.join(sorted(columns))}"
        )
    return expression


def condition(columns: Columns, predicate: Predicate, computed: Computed | None = None) -> Any:
    """The SQL condition of one predicate; InvalidFilterError for a key or value it refuses."""
    key, op, value = predicate.key, predicate.operation, predicate.value
    column = _column(columns, key, computed)
    if op == "IN":
        items = value if predicate.is_list and isinstance(value, list) else [value]
        return column.in_([_coerce(column, key, v) for v in items])
    if predicate.is_list:
        raise InvalidFilterError(f"filter: only IN takes a list of values (key '{key}')")
    coerced = _coerce(column, key, value)
    if op == "IS_SUBSTRING":
        return column.contains(str(coerced), autoescape=True)
    compare = {
        "EQUALS": column.__eq__,
        "NOT_EQUALS": column.__ne__,
        "GREATER_THAN": column.__gt__,
        "GREATER_THAN_EQUALS": column.__ge__,
        "LESS_THAN": column.__lt__,
        "LESS_THAN_EQUALS": column.__le__,
    }.get(op)
    if compare is None:
        raise InvalidFilterError(
            f"filter: unknown operation {op!r}; use one of {', '.join(OPERATIONS)}"
        )
    return compare(coerced)


def list_page(
    store: Store,
    model: type[T],
    columns: Columns,
    query: ListQuery,
    *,
    tiebreak: InstrumentedAttribute[Any],
    where: Sequence[Any] = (),
    computed: Computed | None = None,
) -> Page[T]:
    """One page of ``model`` rows matching ``query``, ordered by its sort key then ``tiebreak``.

    ``where`` holds the repository's own conditions (a namespace, a parent id);
    ``computed`` the keys beyond ``columns`` that can be filtered and sorted on.

    Raises:
        InvalidFilterError: a predicate or the sort key names no column, or a value does
            not fit its column.
    """
    statement: Select[Any] = select(model).where(*where)
    statement = statement.where(*(condition(columns, p, computed) for p in query.predicates))
    if query.sort_key in columns:
        sort: Operand = columns[query.sort_key]
        order = sort.desc() if query.descending else sort.asc()
    else:
        found = computed(query.sort_key) if computed is not None else None
        if found is None:
            raise InvalidFilterError(
                f"sort_by {query.sort_key!r} is invalid; use one of {', '.join(sorted(columns))}"
            )
        # Rows without the value (a run that logged no such metric) last, either way.
        order = (found.desc() if query.descending else found.asc()).nulls_last()
    with store.session() as session:
        total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
        rows = list(
            session.scalars(
                statement.order_by(order, tiebreak.asc())
                .offset(query.offset)
                .limit(query.limit + 1)
            )
        )
    more = len(rows) > query.limit
    return Page(rows[: query.limit], int(total), query.offset + query.limit if more else None)
