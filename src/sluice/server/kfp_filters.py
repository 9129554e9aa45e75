"""KFP list parameters parsed: ``filter`` predicates, ``sort_by`` and page tokens.

``filter`` is the URL-encoded JSON of KFP's ``Filter`` message; its predicates are ANDed.
Operations come as numbers (the Python client) or names (the web UI), values in snake or
camel case. Page tokens are an opaque base64 offset. The parsed :class:`ListQuery` is
what every service's ``list`` takes (``sluice.service.listing``); the store compiles it
to SQL.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Collection, Mapping
from typing import Any, TypeVar

from sluice.server.errors import bad_request
from sluice.server.limits import loads_json
from sluice.service.listing import ListQuery, Page, Predicate

T = TypeVar("T")
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
_NAMES = {number: name for name, number in _OPERATIONS.items()}
_SCALAR_KEYS = ("string_value", "int_value", "long_value", "timestamp_value")
_LIST_KEYS = ("string_values", "int_values", "long_values")


def _snake(key: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in key)


def _operation(raw: object) -> str:
    """The operation's name, from a number (the Python client) or a name (the web UI)."""
    if isinstance(raw, bool):
        raise bad_request(f"filter: invalid operation {raw!r}")
    if isinstance(raw, int) and raw in _NAMES:
        return _NAMES[raw]
    if isinstance(raw, str):
        if raw.upper() in _OPERATIONS:
            return raw.upper()
        if raw.isdigit() and int(raw) in _NAMES:
            return _NAMES[int(raw)]
    raise bad_request(f"filter: unknown operation {raw!r}; use one of {', '.join(_OPERATIONS)}")


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


def parse_filter(raw: str | None, keys: Collection[str]) -> list[Predicate]:
    """The predicates (to AND) of a KFP ``filter``; 400 when malformed or on an unknown key.

    Values are checked against their column (a time, a string) when the store compiles
    them; a value that does not fit is a 400 too (``InvalidFilterError``).
    """
    if not raw:
        return []
    doc = loads_json(raw, "filter")
    if not isinstance(doc, dict):
        raise bad_request("filter must be a JSON object with 'predicates'")
    predicates = doc.get("predicates") or []
    if not isinstance(predicates, list):
        raise bad_request("filter: 'predicates' must be a list")
    parsed = []
    for item in predicates:
        if not isinstance(item, dict):
            raise bad_request("filter: every predicate must be an object")
        pred = {_snake(k): v for k, v in item.items()}
        key = pred.get("key")
        if not isinstance(key, str) or key not in keys:
            raise bad_request(f"filter: cannot filter on {key!r}; keys: {', '.join(sorted(keys))}")
        op = _operation(pred.get("operation"))
        value, is_list = _value(pred, key)
        if is_list and op != "IN":
            raise bad_request(f"filter: only IN takes a list of values (key '{key}')")
        parsed.append(Predicate(key, op, value, is_list))
    return parsed


def parse_sort(
    sort_by: str | None, keys: Collection[str], default: str = "created_at"
) -> tuple[str, bool]:
    """``(key, descending)`` for ``"field"``, ``"field asc"`` or ``"field desc"``; 400 otherwise."""
    text = (sort_by or "").strip()
    parts = text.split() if text else [default]
    if len(parts) > 2 or parts[0] not in keys:
        raise bad_request(
            f"sort_by {sort_by!r} is invalid; use 'FIELD [asc|desc]' with FIELD one of "
            f"{', '.join(sorted(keys))}"
        )
    direction = parts[1].lower() if len(parts) == 2 else "asc"
    if direction not in ("asc", "desc"):
        raise bad_request(f"sort_by {sort_by!r}: the direction must be 'asc' or 'desc'")
    return parts[0], direction == "desc"


def page_size_of(page_size: int | None) -> int:
    """KFP's page size rules: 0 means 20, at most 200, negative is an error."""
    if page_size is None or page_size == 0:
        return DEFAULT_PAGE_SIZE
    if page_size < 0:
        raise bad_request(f"page_size must not be negative (got {page_size})")
    return min(page_size, MAX_PAGE_SIZE)


def offset_of(token: str | None) -> int:
    """The offset a page token holds (0 for none); 400 for a token we did not hand out."""
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


def token_of(offset: int) -> str:
    """The page token of ``offset``."""
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def list_query(
    keys: Collection[str],
    *,
    filter: str | None,
    sort_by: str | None,
    page_token: str | None,
    page_size: int | None,
) -> ListQuery:
    """KFP's list parameters as a :class:`ListQuery` for a service (400 for any malformed one).

    ``keys`` are the resource's filter and sort keys (its repository's ``LIST_KEYS``).
    """
    # In this order, so that a request with several bad parameters hears of the same one
    # first as before the store compiled lists.
    predicates = parse_filter(filter, keys)
    sort_key, descending = parse_sort(sort_by, keys)
    limit = page_size_of(page_size)
    offset = offset_of(page_token)
    return ListQuery(
        predicates=predicates,
        sort_key=sort_key,
        descending=descending,
        offset=offset,
        limit=limit,
    )


def list_json(page: Page[T], *, key: str, to_json: Callable[[T], dict[str, Any]]) -> dict[str, Any]:
    """One page of a KFP list call: ``{key: [...], "total_size", "next_page_token"?}``.

    ``next_page_token`` is left out on the last page, as KFP does.
    """
    out: dict[str, Any] = {key: [to_json(row) for row in page.rows], "total_size": page.total_size}
    if page.next_offset is not None:
        out["next_page_token"] = token_of(page.next_offset)
    return out
