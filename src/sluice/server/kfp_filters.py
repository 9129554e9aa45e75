"""KFP list parameters as SQL: ``filter`` predicates, ``sort_by`` and page tokens.

``filter`` is the URL-encoded JSON of KFP's ``Filter`` message; its predicates are ANDed.
Operations come as numbers (the Python client) or names (the web UI), values in snake or
camel case. Page tokens are an opaque base64 offset.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import DateTime, Select, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from sluice.server.errors import bad_request
from sluice.server.limits import loads_json
from sluice.store.repository import Store

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 200

_OPERATIONS = {
    "EQUALS": 1,
    "NOT_EQUALS": 2,
    "GREATER_THAN": 3,
    "GREATER_THAN_EQUALS": 5,
    "LESS_THAN": 6,
    "LESS_THAN_EQUALS": 7,
    "IN": 8,
    "IS_SUBSTRING": 9,
}
_SCALAR_KEYS = ("string_value", "int_value", "long_value", "timestamp_value")
_LIST_KEYS = ("string_values", "int_values", "long_values")

Columns = Mapping[str, InstrumentedAttribute[Any]]


def _snake(key: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in key)


def _operation(raw: object) -> int:
    if isinstance(raw, bool):
        raise bad_request(f"filter: invalid operation {raw!r}")
    if isinstance(raw, int) and raw in _OPERATIONS.values():
        return raw
    if isinstance(raw, str):
        if raw.upper() in _OPERATIONS:
            return _OPERATIONS[raw.upper()]
        if raw.isdigit() and int(raw) in _OPERATIONS.values():
            return int(raw)
    raise bad_request(f"filter: unknown operation {raw!r}; use one of {', '.join(_OPERATIONS)}")


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
        raise bad_request(f"filter: invalid time {value!r}") from exc
    raise bad_request(f"filter: invalid time {value!r}")


def _coerce(column: InstrumentedAttribute[Any], key: str, value: object) -> object:
    if isinstance(column.type, DateTime):
        # UTC; SQLite's type processor drops the zone on both sides of the comparison.
        return _timestamp(value)
    if isinstance(value, (dict, list)) or value is None:
        raise bad_request(f"filter: invalid value for '{key}'")
    if key == "storage_state" and isinstance(value, str):
        return value.removeprefix("STORAGESTATE_")  # the v1 API's enum names
    return value if isinstance(value, str) else str(value)


def _value(pred: Mapping[str, Any], key: str) -> tuple[object, bool]:
    """The predicate's value and whether it is a list."""
    for name in _SCALAR_KEYS:
        if name in pred:
            return pred[name], False
    for name in _LIST_KEYS:
        if name in pred:
            holder = pred[name]
            values = holder.get("values") if isinstance(holder, Mapping) else None
            if not isinstance(values, list):
                raise bad_request(f"filter: '{name}' of '{key}' needs {{\"values\": [...]}}")
            return values, True
    raise bad_request(f"filter: predicate on '{key}' has no value")


def parse_filter(raw: str | None, columns: Columns) -> list[Any]:
    """SQL conditions (to AND) for a KFP ``filter``; 400 when malformed or on an unknown key."""
    if not raw:
        return []
    doc = loads_json(raw, "filter")
    if not isinstance(doc, dict):
        raise bad_request("filter must be a JSON object with 'predicates'")
    predicates = doc.get("predicates") or []
    if not isinstance(predicates, list):
        raise bad_request("filter: 'predicates' must be a list")
    conditions = []
    for item in predicates:
        if not isinstance(item, dict):
            raise bad_request("filter: every predicate must be an object")
        pred = {_snake(k): v for k, v in item.items()}
        key = pred.get("key")
        if not isinstance(key, str) or key not in columns:
            raise bad_request(
                f"filter: cannot filter on {key!r}; keys: {', '.join(sorted(columns))}"
            )
        column = columns[key]
        op = _operation(pred.get("operation"))
        value, is_list = _value(pred, key)
        conditions.append(_condition(column, key, op, value, is_list))
    return conditions


def _condition(
    column: InstrumentedAttribute[Any], key: str, op: int, value: object, is_list: bool
) -> Any:
    if op == _OPERATIONS["IN"]:
        items = value if is_list else [value]
        assert isinstance(items, list)
        return column.in_([_coerce(column, key, v) for v in items])
    if is_list:
        raise bad_request(f"filter: only IN takes a list of values (key '{key}')")
    coerced = _coerce(column, key, value)
    if op == _OPERATIONS["IS_SUBSTRING"]:
        return column.contains(str(coerced), autoescape=True)
    return {
        1: column == coerced,
        2: column != coerced,
        3: column > coerced,
        5: column >= coerced,
        6: column < coerced,
        7: column <= coerced,
    }[op]


def parse_sort(sort_by: str | None, columns: Columns, default: str = "created_at") -> list[Any]:
    """ORDER BY clauses for ``"field"``, ``"field asc"`` or ``"field desc"``; 400 otherwise."""
    text = (sort_by or "").strip()
    parts = text.split() if text else [default]
    if len(parts) > 2 or parts[0] not in columns:
        raise bad_request(
            f"sort_by {sort_by!r} is invalid; use 'FIELD [asc|desc]' with FIELD one of "
            f"{', '.join(sorted(columns))}"
        )
    direction = parts[1].lower() if len(parts) == 2 else "asc"
    if direction not in ("asc", "desc"):
        raise bad_request(f"sort_by {sort_by!r}: the direction must be 'asc' or 'desc'")
    column = columns[parts[0]]
    return [column.desc() if direction == "desc" else column.asc()]


def page_size_of(page_size: int | None) -> int:
    """KFP's page size rules: 0 means 20, at most 200, negative is an error."""
    if page_size is None or page_size == 0:
        return DEFAULT_PAGE_SIZE
    if page_size < 0:
        raise bad_request(f"page_size must not be negative (got {page_size})")
    return min(page_size, MAX_PAGE_SIZE)


def _offset_of(token: str | None) -> int:
    if not token:
        return 0
    try:
        doc = json.loads(base64.urlsafe_b64decode(token.encode() + b"==="))
        offset = doc["o"]
    except (ValueError, KeyError, TypeError, binascii.Error, RecursionError) as exc:
        raise bad_request("page_token is invalid; pass the next_page_token of a list") from exc
    # Databases overflow on offsets past 64 bits; no real list gets anywhere near 2**53.
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset < 2**53:
        raise bad_request("page_token is invalid; pass the next_page_token of a list")
    return offset


def _token_of(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


@dataclass(frozen=True)
class Page:
    """One page of a list: its rows, the total matching and the next token (None on the last)."""

    rows: list[Any]
    total_size: int
    next_page_token: str | None


def list_page(
    session: Session,
    query: Select[Any],
    *,
    order: list[Any],
    tiebreak: InstrumentedAttribute[Any],
    page_token: str | None,
    page_size: int | None,
) -> Page:
    """Run ``query`` for one page, ordered by ``order`` then ``tiebreak`` (a unique column)."""
    size = page_size_of(page_size)
    offset = _offset_of(page_token)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(
        session.scalars(query.order_by(*order, tiebreak.asc()).offset(offset).limit(size + 1))
    )
    more = len(rows) > size
    return Page(rows[:size], int(total), _token_of(offset + size) if more else None)


def list_response(
    store: Store,
    query: Select[Any],
    *,
    key: str,
    columns: Columns,
    tiebreak: InstrumentedAttribute[Any],
    to_json: Callable[[Any], dict[str, Any]],
    filter: str | None,
    sort_by: str | None,
    page_token: str | None,
    page_size: int | None,
) -> dict[str, Any]:
    """One page of a KFP list call: ``{key: [...], "total_size", "next_page_token"?}``.

    ``filter`` and ``sort_by`` are KFP's query parameters, checked against ``columns``;
    ``next_page_token`` is left out on the last page, as KFP does.
    """
    query = query.where(*parse_filter(filter, columns))
    order = parse_sort(sort_by, columns)
    with store.session() as session:
        page = list_page(
            session,
            query,
            order=order,
            tiebreak=tiebreak,
            page_token=page_token,
            page_size=page_size,
        )
        items = [to_json(row) for row in page.rows]
    out: dict[str, Any] = {key: items, "total_size": page.total_size}
    if page.next_page_token:
        out["next_page_token"] = page.next_page_token
    return out
